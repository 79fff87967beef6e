// Drives a community node's web UI in headless Chromium as a worker would: records a
// resident's wish on the intake form, publishes it, claims it for a member, and checks
// that its apple on the tree turned red. Prints {"wish": id} and exits 0, or exits
// non-zero with the step that failed.
//
// Usage: node browser-node.mjs http://127.0.0.1:PORT

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
if (!base) {
  console.error('usage: node browser-node.mjs <node url>');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'wishtree-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

let step = 'start';
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);

  step = 'open the intake form';
  await page.goto(`${base}/`);
  await Promise.all([page.waitForURL(`${base}/wishes/new`), page.click('header nav a[href="/wishes/new"]')]);

  step = 'submit the wish';
  await page.fill('#title', '希望有一台微波炉');
  await page.fill('#detail', '母亲重病，午休时间短，想更快热饭');
  await page.selectOption('#kind', 'goods');
  await page.selectOption('#group', 'disabled');
  await page.fill('#resident_label', '行宫社区 彭女士');
  await page.fill('#resident_name', '彭程');
  await Promise.all([
    page.waitForURL(/\/wishes\/[0-9a-f]{32}$/),
    page.click('#wish-form button[type=submit]'),
  ]);
  const wish = page.url().split('/').pop();
  await expectState(page, 'submitted');

  step = 'publish it';
  await Promise.all([page.waitForLoadState('load'), page.click('#action-publish')]);
  await expectState(page, 'published');

  step = 'see a green apple';
  await page.goto(`${base}/`);
  await expectApple(page, wish, 'published', 'apple-green');

  step = 'claim it for a member';
  await page.goto(`${base}/wishes/${wish}`);
  const options = await page.locator('#actions select[name=by] option').evaluateAll((all) => all.map((o) => o.value));
  const member = options.find((value) => value.startsWith('member:'));
  if (!member) throw new Error('no member to claim with');
  await page.selectOption('#actions select[name=by]', member);
  await Promise.all([page.waitForLoadState('load'), page.click('#actions .claim-button')]);
  await expectState(page, 'claimed');

  step = 'see the apple turn red';
  await page.goto(`${base}/`);
  await expectApple(page, wish, 'claimed', 'apple-red');

  console.log(JSON.stringify({ wish }));
} catch (error) {
  console.error(`failed to ${step}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

async function expectState(page, state) {
  const shown = await page.locator('#wish-state').getAttribute('data-state');
  if (shown !== state) throw new Error(`the wish page shows ${shown}, expected ${state}`);
}

async function expectApple(page, wish, state, colour) {
  const apple = page.locator(`#apple-${wish}`);
  const shown = await apple.getAttribute('data-state');
  if (shown !== state) throw new Error(`the apple is ${shown}, expected ${state}`);
  const fill = await apple.locator('circle').evaluate((circle) => getComputedStyle(circle).fill);
  const expected = colour === 'apple-red' ? 'rgb(198, 40, 40)' : 'rgb(46, 125, 50)';
  if (fill !== expected) throw new Error(`the apple is painted ${fill}, expected ${expected}`);
}
