// A member's phone opens their card at the hub (a 360 px wide Chromium): the card link
// (`/m/card#<card>`) is exchanged by the page's script for a card session, the
// fragment leaves the address bar, the member's own pages show in Chinese with no
// horizontal scroll and no script-readable cookie; a bad card link shows its refusal
// in Chinese. With a check-in code, the member then claims the first wish of the
// market (`/m/`) and checks in to the activity by the code's link (`/m/checkin#…`).
// Prints a JSON summary; exits non-zero on the first failure.
//
// Usage: node browser-card.mjs http://127.0.0.1:PORT CARD_TEXT MEMBER_NAME [CHECK_IN_CODE]

import { launchChromium } from './chromium.mjs';

const [base, card, memberName, checkInCode] = process.argv.slice(2);
if (!base || !card || !memberName) {
  console.error('usage: node browser-card.mjs <hub url> <card text> <member name>');
  process.exit(2);
}

const browser = await launchChromium();

// The words a Chinese phone page may show in Latin letters: none.
const check = () => ({
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  words: document.body.innerText.match(/[A-Za-z]{2,}/g) ?? [],
  hash: location.hash,
  cookie: document.cookie,
  lang: document.documentElement.lang,
});

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

  step = 'the card link opens the member page';
  await page.goto(`${base}/m/card#${card}`);
  await page.waitForSelector('#member-name');
  const name = await page.textContent('#member-name');
  if (name.trim() !== memberName) throw new Error(`the page names ${name}, not ${memberName}`);
  let found = await page.evaluate(check);
  if (found.lang !== 'zh-CN') throw new Error(`the page is ${found.lang}`);
  if (found.hash) throw new Error('the card stays in the address bar');
  if (found.cookie.includes('wishtree_card')) throw new Error('a script can read the card session');
  if (found.overflow > 0) throw new Error(`${found.overflow}px of horizontal overflow at 360px`);
  if (found.words.length) throw new Error(`English on the phone page: ${found.words.join(' ')}`);
  summary.balance = (await page.textContent('#balance')).trim();

  step = 'the session carries without the card';
  await page.goto(`${base}/m/card`);
  await page.waitForSelector('#member-name');

  if (checkInCode) {
    step = 'the member claims a wish from the market';
    await page.goto(`${base}/m/`);
    await page.click('button.claim');
    await page.waitForFunction(() => document.getElementById('claim-status').textContent.trim() !== '');
    summary.claimed = (await page.textContent('#claim-status')).trim();
    found = await page.evaluate(check);
    if (found.overflow > 0) throw new Error(`${found.overflow}px of horizontal overflow on the market`);

    step = 'the member checks in by the activity code';
    await page.goto(`${base}/m/checkin#${checkInCode}`);
    await page.click('#check-in');
    await page.waitForFunction(() => document.getElementById('checkin-status').textContent.trim() !== '');
    summary.checked_in = (await page.textContent('#checkin-status')).trim();
    found = await page.evaluate(check);
    if (found.overflow > 0) throw new Error(`${found.overflow}px of horizontal overflow on check-in`);
    if (found.words.length) throw new Error(`English on the check-in page: ${found.words.join(' ')}`);
  }

  step = 'a bad card link is refused in Chinese';
  const stranger = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', isMobile: true });
  const other = await stranger.newPage();
  other.setDefaultTimeout(15000);
  await other.goto(`${base}/m/card#${card.slice(0, -4)}AAAA`);
  await other.waitForSelector('#card-status.error');
  summary.refused = (await other.textContent('#card-status')).trim();
  found = await other.evaluate(check);
  if (found.words.length) throw new Error(`English on the refusal: ${found.words.join(' ')}`);
  if (found.overflow > 0) throw new Error(`${found.overflow}px of horizontal overflow at 360px`);
  if (outside.length) throw new Error(`assets from outside: ${outside.join(' ')}`);
  await stranger.close();
  await context.close();
} catch (error) {
  console.error(`failed at: ${step}: ${error.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(summary));
