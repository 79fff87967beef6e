// A resident's phone (a 360 px wide Chromium) scans the community's poster: the hub's
// wish form opens in Chinese with no horizontal scroll and no asset from outside; the
// resident types a wish with their name, phone and address and submits; the page shows
// a receipt code and the wish as 待审核. In `lookup` mode the phone looks a receipt up
// and reports the state the page shows. Prints a JSON summary; exits non-zero on the
// first failure.
//
// Usage: node browser-resident.mjs submit http://127.0.0.1:PORT COMMUNITY NAME PHONE ADDRESS
//        node browser-resident.mjs lookup http://127.0.0.1:PORT COMMUNITY RECEIPT

import { launchChromium } from './chromium.mjs';

const [mode, base, community, ...rest] = process.argv.slice(2);
if (!['submit', 'lookup'].includes(mode) || !base || !community) {
  console.error('usage: node browser-resident.mjs submit|lookup <hub url> <community> ...');
  process.exit(2);
}

const browser = await launchChromium();

// What a Chinese phone page must not show: horizontal overflow, English words (the
// receipt code, letters by design, is left out), another language.
const check = () => {
  const receipt = document.getElementById('receipt-code')?.innerText ?? '';
  const text = document.body.innerText.replace(receipt, '');
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    words: text.match(/[A-Za-z]{2,}/g) ?? [],
    lang: document.documentElement.lang,
  };
};
const assertPhonePage = async (page) => {
  const found = await page.evaluate(check);
  if (found.lang !== 'zh-CN') throw new Error(`the page is ${found.lang}`);
  if (found.overflow > 0) throw new Error(`${found.overflow}px of horizontal overflow at 360px`);
  if (found.words.length) throw new Error(`English on the phone page: ${found.words.join(' ')}`);
};

let step = 'start';
const summary = {};
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', isMobile: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const outside = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(base)) outside.push(request.url());
  });

  if (mode === 'submit') {
    const [name, phone, address] = rest;
    step = 'the poster link opens the form';
    await page.goto(`${base}/m/wish/new?c=${community}`);
    await page.waitForSelector('form');
    await assertPhonePage(page);

    step = 'the resident submits a wish';
    await page.fill('#title', '希望有一台助行器');
    await page.selectOption('#kind', 'goods');
    await page.selectOption('#group', 'elderly_alone');
    await page.fill('#name', name);
    await page.fill('#phone', phone);
    await page.fill('#address', address);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.waitForSelector('#receipt-code');
    summary.receipt = (await page.textContent('#receipt-code')).trim();
    summary.state = await page.getAttribute('#wish-state', 'data-state');
    summary.words = (await page.textContent('#wish-state')).trim();
    await assertPhonePage(page);
    const shown = await page.evaluate(() => document.body.innerText);
    for (const secret of [name, phone, address]) {
      if (shown.includes(secret)) throw new Error('the receipt page shows personal data');
    }
  } else {
    const [receipt] = rest;
    step = 'the resident looks the receipt up';
    await page.goto(`${base}/m/wish/lookup`);
    await page.fill('#c', community);
    await page.fill('#code', receipt);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.waitForSelector('#wish-state');
    summary.state = await page.getAttribute('#wish-state', 'data-state');
    summary.words = (await page.textContent('#wish-state')).trim();
    await assertPhonePage(page);
  }
  if (outside.length) throw new Error(`assets from outside: ${outside.join(' ')}`);
  await context.close();
} catch (error) {
  console.error(`failed at: ${step}: ${error.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(summary));
