// A community worker's day on the node's pages, in headless Chromium, at a phone
// (390×844) and at a desktop (1280×900): every main page fits the width with no
// horizontal scroll, shows no English words on a zh-CN page (beyond an allow-list),
// keeps its controls at least 44 px tall on the phone, folds its navigation on the
// phone, turns tables into cards; a wish is rejected through its confirmation page
// with a reason; the half-year report hides the navigation when printed. Prints a
// JSON summary of what it measured and exits 0, or exits non-zero with the step and
// what failed.
//
// Usage: node browser-node-day.mjs http://127.0.0.1:PORT '{"member":…,"wish":…,"activity":…,"org":…,"pairing":…,"post":…,"project":…}'

import { launchChromium } from './chromium.mjs';

const base = process.argv[2];
const seeded = JSON.parse(process.argv[3] ?? '{}');
if (!base || !seeded.member || !seeded.wish || !seeded.activity || !seeded.org || !seeded.pairing || !seeded.post || !seeded.project) {
  console.error('usage: node browser-node-day.mjs <node url> <seeded ids as JSON>');
  process.exit(2);
}

// Latin words a Chinese page may show: file formats, the date pattern, the switch to
// English (its own name), and the half-year code people type.
const ALLOWED = new Set(['CSV', 'Excel', 'YYYY', 'MM', 'DD', 'English']);

const pages = [
  '/',
  '/wishes/new',
  `/wishes/${seeded.wish}`,
  `/wishes/${seeded.wish}/withdraw`,
  '/wishes/closed',
  '/members',
  `/members/${seeded.member}`,
  '/activities',
  `/activities/${seeded.activity}`,
  '/orgs',
  '/orgs?q=%E5%8F%91%E5%B1%95',
  `/orgs/${seeded.org}`,
  '/pairings',
  `/pairings/${seeded.pairing}`,
  `/pairings/${seeded.pairing}/end`,
  '/posts',
  `/posts/${seeded.post}`,
  `/posts/${seeded.post}/withdraw`,
  '/projects',
  `/projects/${seeded.project}`,
  `/projects/${seeded.project}/release`,
  '/branches',
  `/branches/${seeded.branch}`,
  '/teams',
  `/teams/${seeded.team}`,
  '/services',
  `/services/${seeded.service}`,
  `/services/${seeded.voided}`,
  '/redemptions',
  `/redemptions/${seeded.redemption}`,
  '/voids',
  `/voids/${seeded.void}`,
  '/board',
  '/reports',
  `/reports/half-year?member=${seeded.member}`,
  '/no-such-page',
];

const browser = await launchChromium();

let step = 'start';
const summary = { phone: {}, desktop: {} };
try {
  for (const [name, viewport] of [
    ['phone', { width: 390, height: 844 }],
    ['desktop', { width: 1280, height: 900 }],
  ]) {
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    for (const path of pages) {
      step = `${name} ${path}`;
      await page.goto(`${base}${path}`);
      const found = await page.evaluate(() => {
        // A unified social credit code (18 digits and capitals) is a code, not English.
        const text = document.body.innerText.replace(/\b(?=[0-9A-Z]*\d)[0-9A-Z]{18}\b/g, '');
        const words = (text.match(/[A-Za-z]{2,}/g) ?? []);
        const small = [];
        for (const element of document.querySelectorAll(
          'button, a.button, select, input:not([type=hidden]):not([type=checkbox]), textarea, header nav a, .menu-button, label.choice',
        )) {
          const box = element.getBoundingClientRect();
          if (box.width > 0 && box.height > 0 && box.height < 44) {
            small.push(`${element.tagName.toLowerCase()}#${element.id} ${Math.round(box.height)}px`);
          }
        }
        const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter((input) => !(input.labels?.length || input.getAttribute('aria-label') || input.closest('fieldset')?.querySelector('legend')))
          .map((input) => input.name || input.id);
        return {
          overflow: document.documentElement.scrollWidth - window.innerWidth,
          words,
          small,
          unlabelled,
          chrome: Math.round(document.querySelector('header').getBoundingClientRect().height
            + document.querySelector('#status').getBoundingClientRect().height),
        };
      });
      if (found.overflow > 0) throw new Error(`${found.overflow}px of horizontal overflow`);
      const english = found.words.filter((word) => !ALLOWED.has(word));
      if (english.length) throw new Error(`English words on a Chinese page: ${english.join(' ')}`);
      if (name === 'phone' && found.small.length) throw new Error(`controls under 44px: ${found.small.join(', ')}`);
      if (found.unlabelled.length) throw new Error(`inputs without a label: ${found.unlabelled.join(', ')}`);
      summary[name].chrome = Math.max(summary[name].chrome ?? 0, found.chrome);
    }

    if (name === 'desktop') {
      step = 'desktop: a group of the navigation opens on hover and on focus';
      await page.goto(`${base}/`);
      if (await page.isVisible('header nav a[href="/services"]')) throw new Error('the group is open before it is asked');
      await page.hover('header .group-name >> nth=1');
      if (!(await page.isVisible('header nav a[href="/services"]'))) throw new Error('the group does not open on hover');
      await page.mouse.move(0, 600);
      await page.focus('header .group-name >> nth=0');
      if (!(await page.isVisible('header nav a[href="/branches"]'))) throw new Error('the group does not open on focus');
    }

    if (name === 'phone') {
      step = 'phone: the navigation folds and opens';
      await page.goto(`${base}/members`);
      if (await page.isVisible('header nav a[href="/activities"]')) throw new Error('the nav is open on a phone');
      await page.click('.menu-button');
      if (!(await page.isVisible('header nav a[href="/activities"]'))) throw new Error('the menu does not open');
      if (!(await page.isVisible('header nav a[href="/voids"]'))) throw new Error("a group's links are hidden in the phone's menu");
      if (summary.phone.chrome > 844 * 0.2) throw new Error(`header and status take ${summary.phone.chrome}px`);

      step = 'phone: tables are cards';
      const nameCell = await page.evaluate(() => {
        const cell = document.querySelector('#members td[data-label]');
        return { display: getComputedStyle(cell).display, width: cell.getBoundingClientRect().width };
      });
      if (nameCell.display !== 'block' || nameCell.width < 300) {
        throw new Error(`a member's row is no card: ${JSON.stringify(nameCell)}`);
      }

      step = 'phone: reject through the confirmation';
      await page.goto(`${base}/wishes/${seeded.wish}`);
      await Promise.all([page.waitForURL(`${base}/wishes/${seeded.wish}/reject`), page.click('#action-reject')]);
      await page.fill('#note', '与第二批重复登记');
      await Promise.all([page.waitForURL(`${base}/wishes/${seeded.wish}`), page.click('#confirm-reject')]);
      const state = await page.getAttribute('#wish-state', 'data-state');
      if (state !== 'rejected') throw new Error(`the wish is ${state}`);
      if (!(await page.textContent('#history')).includes('与第二批重复登记')) throw new Error('no reason in the history');
      await page.goto(`${base}/wishes/closed`);
      if (!(await page.textContent('#closed')).includes('与第二批重复登记')) throw new Error('no reason in the closed list');
    }

    step = `${name}: the report prints without navigation`;
    await page.goto(`${base}/reports/half-year?member=${seeded.member}`);
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => ({
      header: getComputedStyle(document.querySelector('header')).display,
      status: getComputedStyle(document.querySelector('#status')).display,
      forms: [...document.querySelectorAll('form')].filter((f) => getComputedStyle(f).display !== 'none').length,
      csv: getComputedStyle(document.querySelector('#report-csv').parentElement).display,
      signOff: getComputedStyle(document.querySelector('#sign-off')).display,
      printLine: getComputedStyle(document.querySelector('#print-line')).display,
    }));
    await page.emulateMedia({ media: 'screen' });
    if (printed.header !== 'none' || printed.status !== 'none' || printed.forms || printed.csv !== 'none') {
      throw new Error(`navigation prints: ${JSON.stringify(printed)}`);
    }
    if (printed.signOff === 'none' || printed.printLine === 'none') {
      throw new Error(`the paper lacks its boxes: ${JSON.stringify(printed)}`);
    }
    await context.close();
  }
  console.log(JSON.stringify(summary));
} catch (error) {
  console.error(`failed at step "${step}": ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
