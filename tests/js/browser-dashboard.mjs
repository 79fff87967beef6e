// Opens the hub's dashboard in headless Chromium, drills from the city into a
// district, a street and a community, reads the headline numbers each page shows,
// and checks them against the hub's JSON API. Then switches to English and checks
// again. Prints a JSON summary; exits non-zero on the first mismatch.
//
// Usage: node browser-dashboard.mjs http://127.0.0.1:PORT NAME=VALUE
// (the session cookie of a signed-in viewer: the dashboard and its API need one)

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
const cookie = process.argv[3];
if (!base || !cookie || !cookie.includes('=')) {
  console.error('usage: node browser-dashboard.mjs <dashboard url> <session cookie name=value>');
  process.exit(2);
}
const [cookieName, ...cookieValue] = cookie.split('=');

// The headline figures and how to read each from the API's figures object.
const HEADLINE = {
  members_reported: (f) => f.members_reported,
  orgs_reported: (f) => f.orgs_reported,
  pairings: (f) => f.pairings,
  wishes_total: (f) => f.wishes.total,
  wishes_claimed: (f) => f.wishes.claimed + f.wishes.fulfilled,
  wishes_fulfilled: (f) => f.wishes.fulfilled,
  activities: (f) => f.activities,
  participations: (f) => f.participations,
  service_hours: (f) => f.service_hours,
  projects_fulfilled: (f) => f.projects.fulfilled,
};

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

await context.addCookies([{ name: cookieName, value: cookieValue.join('='), url: base }]);

const visited = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);

  await page.goto(`${base}/`);
  await checkHeadline(page);

  // City → district → street → community, by clicking the drill-down links.
  for (const digits of [6, 9, 12]) {
    const regions = await page
      .locator('table.children a[data-region]')
      .evaluateAll((links) => links.map((a) => a.dataset.region));
    const target = regions.find((region) => region.length === digits);
    if (!target) throw new Error(`no link to a region of ${digits} digits on ${page.url()}`);
    await Promise.all([
      page.waitForURL((url) => url.searchParams.get('region') === target),
      page.locator(`table.children a[data-region="${target}"]`).click(),
    ]);
    const shown = await page.locator('h1[data-region]').getAttribute('data-region');
    if (shown !== target) throw new Error(`clicked ${target} but the page shows ${shown}`);
    await checkHeadline(page);
  }

  // The English switch shows the same numbers.
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('lang') === 'en'),
    page.locator('header a.lang').click(),
  ]);
  const lang = await page.locator('html').getAttribute('lang');
  if (lang !== 'en') throw new Error(`the English switch gave lang=${lang}`);
  await checkHeadline(page);

  console.log(JSON.stringify({ ok: true, visited }));
} catch (error) {
  console.error(`browser test failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

/** Reads the headline numbers of the page and compares them with the API. */
async function checkHeadline(page) {
  const region = await page.locator('h1[data-region]').getAttribute('data-region');
  const shown = await page
    .locator('ul.headline b[data-figure]')
    .evaluateAll((cells) => cells.map((b) => [b.dataset.figure, b.textContent.trim()]));
  const answer = await fetch(`${base}/api/figures?region=${region}`, { headers: { Cookie: cookie } });
  if (!answer.ok) throw new Error(`/api/figures?region=${region} answered ${answer.status}`);
  const figures = await answer.json();
  const seen = new Set();
  for (const [key, text] of shown) {
    const read = HEADLINE[key];
    if (!read) throw new Error(`unexpected headline figure ${key}`);
    const expected = read(figures);
    const value = Number(text);
    if (!Number.isFinite(value)) throw new Error(`${key} shows "${text}" on region ${region}`);
    // Hours are shown to one decimal.
    const close = key === 'service_hours' ? Math.abs(value - expected) <= 0.05 + 1e-9 : value === expected;
    if (!close) throw new Error(`${key} on region ${region}: page shows ${text}, API says ${expected}`);
    seen.add(key);
  }
  for (const key of Object.keys(HEADLINE)) {
    if (!seen.has(key)) throw new Error(`the headline of region ${region} lacks ${key}`);
  }
  visited.push({ region, members_reported: figures.members_reported, wishes: figures.wishes.total });
}
