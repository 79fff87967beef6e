// Debian's Chromium, headless, as every browser walk in this folder launches it
// (playwright-core gives each launch its own temporary profile and removes it).

import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}
