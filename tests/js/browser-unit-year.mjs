// A unit's whole year on a community node's pages, in headless Chromium, as a worker
// does it (issue 14): the unit and a second one added from the city's directory, a
// branch of the unit (党支部) beside its own organisation, a pairing signed with its
// commitments, two members of the unit registered (the second in the branch), a service
// post opened and its seats filled, an activity both members attended, a livelihood project taken through every stage
// (征集 → 认领意向书 → 立项 → 实施 → 完成) jointly by the two units, individual service
// recorded, points redeemed, a mistaken record voided with its reason, and the ledgers
// exported as CSV (BOM and content checked). The hub's side is checked by the Rust test
// that runs this script (tests/tests/unit_year.rs).
//
// The walk is a list of named steps, run in order; each throws with what it found when
// the page does not show what the step did. To add a step, add an entry to `steps`.
// Every wait is bounded by the page's default timeout; nothing sleeps.
//
// Prints a JSON summary (what was done, for the Rust test to compare with the hub's
// figures) and exits 0, or exits non-zero with the step and what failed.
//
// Usage: node browser-unit-year.mjs http://127.0.0.1:PORT '{"today":"2026-12-03",
//   "units":[{"code":…,"name":…,"search":…},{…}]}'

import { launchChromium } from './chromium.mjs';

const base = process.argv[2];
const given = JSON.parse(process.argv[3] ?? '{}');
if (!base || !given.today || given.units?.length !== 2) {
  console.error('usage: node browser-unit-year.mjs <node url> \'{"today":…,"units":[{code,name,search},{…}]}\'');
  process.exit(2);
}
const [unit, partner] = given.units;
const today = given.today;

// What the walk records; the summary the Rust test reads.
const done = {
  members: ['欧阳晓明', '张婷'],
  // The unit's branch, and the member who belongs to it rather than to the unit's own
  // organisation.
  branch: { name: '第一党支部', member: '张婷' },
  post: { title: '楼道长', seats: 2 },
  activity: { title: '青少年七彩暑期安全教育', hours: '1' },
  project: { title: '老旧楼道加装扶手', shares: { [unit.code]: '60%', [partner.code]: '40%' } },
  // Hours by member; the mistaken record is voided, so it counts nowhere.
  services: [
    { member: '欧阳晓明', hours: '2', description: '陪独居老人就医' },
    { member: '张婷', hours: '1.5', description: '政策宣讲' },
  ],
  mistaken: { member: '欧阳晓明', hours: '1', description: '登记重复', reason: '与陪独居老人就医的记录重复' },
  benefit: { title: '理发一次', cost: '5' },
  redeemed_by: '欧阳晓明',
};

/// Fills the form `form` (a selector) with `fields` (name → value; a select takes the
/// option whose value is the value, else whose text is it, else whose text contains
/// it — so a unit's name picks the unit's own organisation, not its branch), submits
/// it, and waits
/// for the page it leads to; a refusal on that page fails the step with its words.
async function submit(page, form, fields) {
  for (const [name, value] of Object.entries(fields)) {
    const field = page.locator(`${form} [name="${name}"]`).first();
    if ((await field.evaluate((element) => element.tagName)) === 'SELECT') {
      const option = await field.evaluate((select, wanted) => {
        const options = [...select.options];
        const found = options.find((o) => o.value === wanted)
          ?? options.find((o) => o.text.trim() === wanted)
          ?? options.find((o) => wanted && o.text.includes(wanted));
        return found?.value ?? null;
      }, value);
      if (option === null) throw new Error(`no choice "${value}" in ${form} [name=${name}]`);
      await field.selectOption(option);
    } else {
      await field.fill(value);
    }
  }
  await Promise.all([page.waitForNavigation(), page.click(`${form} button[type=submit]`)]);
  await refusedNot(page, form);
}

/// Fails if the page shows a refusal.
async function refusedNot(page, what) {
  const error = page.locator('#error, .field-error');
  if (await error.count()) throw new Error(`${what} refused: ${await error.first().innerText()}`);
}

/// Opens the record the list at `list` links as `title`.
async function open(page, list, title) {
  await page.goto(`${base}${list}`);
  await Promise.all([page.waitForNavigation(), page.click(`#${list.slice(1)} a:text-is("${title}")`)]);
}

/// Clicks the step button `button` on a record's page and waits for the page after it.
async function act(page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
  await refusedNot(page, button);
}

async function text(page, selector) {
  return (await page.locator(selector).innerText()).trim();
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const steps = [
  ['both units from the city directory', async (page) => {
    for (const chosen of [unit, partner]) {
      await page.goto(`${base}/orgs?q=${encodeURIComponent(chosen.search)}`);
      const row = page.locator('#directory-found tr', { hasText: chosen.code });
      await Promise.all([page.waitForNavigation(), row.locator('a.choose').click()]);
      expect((await page.inputValue('#credit_code')) === chosen.code, 'the form is not filled from the directory');
      expect((await page.inputValue('#name')) === chosen.name, "the directory's name is not in the form");
      await submit(page, '#org-form', { reported_in: today });
      await page.goto(`${base}/orgs`);
      expect((await text(page, '#orgs')).includes(chosen.name), `${chosen.name} is not in the list`);
    }
  }],
  ['a branch of the unit beside its own organisation', async (page) => {
    // The unit is here already (the directory's row links to it): the form is opened
    // filled from the directory by its code, as that row's 选用 does for a new unit.
    await page.goto(`${base}/orgs?code=${unit.code}`);
    expect((await page.inputValue('#credit_code')) === unit.code, 'the form is not filled from the directory');
    await submit(page, '#org-form', { party_org: done.branch.name, reported_in: today });
    await page.goto(`${base}/orgs`);
    const list = await text(page, '#orgs');
    expect(list.includes(done.branch.name), `the branch is not in the list: ${list}`);
  }],
  ['a pairing with its commitments', async (page) => {
    await page.goto(`${base}/pairings`);
    await submit(page, '#pairing-form', {
      org: unit.name,
      commitments: '每季度开展一次志愿服务\n资助两名困难学生',
      signed_on: today,
    });
    await open(page, '/pairings', unit.name);
    const record = await page.locator('main').innerText();
    expect(record.includes('资助两名困难学生'), `the pairing's page lacks a commitment: ${record}`);
  }],
  ['two members of the unit', async (page) => {
    for (const [index, name] of done.members.entries()) {
      await page.goto(`${base}/members`);
      await submit(page, '#member-form', {
        name,
        work_unit: '沧州市发展和改革委员会',
        org: name === done.branch.member ? done.branch.name : unit.name,
        position: '科员',
        reported_in: today,
        address: `3号楼2单元50${index + 1}`,
        phone: `1391234567${index}`,
      });
    }
    await page.goto(`${base}/orgs`);
    // The unit's own organisation and its branch have one member each.
    const rows = page.locator('#orgs tr', { hasText: unit.name });
    expect((await rows.count()) === 2, `the unit has not two rows (its own and the branch)`);
    const branch = await page.locator('#orgs tr', { hasText: done.branch.name }).innerText();
    expect(/\b1\b/.test(branch), `the branch's row does not count its member: ${branch}`);
  }],
  ['a service post with its seats filled', async (page) => {
    await page.goto(`${base}/posts`);
    await submit(page, '#post-form', { kind: 'aid', title: done.post.title, detail: '每周走访独居老人', seats: String(done.post.seats) });
    for (const name of done.members) {
      await open(page, '/posts', done.post.title);
      await submit(page, 'form.claim', { by: name });
    }
    const holders = await page.locator('#holders li').count();
    expect(holders === done.post.seats, `${holders} holders of ${done.post.seats} seats`);
    expect((await page.locator('form.claim').count()) === 0, 'a full post still offers a seat');
  }],
  ['a joint project through every stage', async (page) => {
    await page.goto(`${base}/projects`);
    await submit(page, '#project-form', { title: done.project.title, kind: 'micro_project', detail: '3号楼老人多，楼道没有扶手' });
    await open(page, '/projects', done.project.title);
    const stage = async () => page.getAttribute('#project-stage', 'data-stage');
    await act(page, '#action-publish');
    expect((await stage()) === 'collecting', `published: ${await stage()}`);
    for (const chosen of [unit, partner]) {
      const share = done.project.shares[chosen.code].replace('%', '');
      await submit(page, '#intent-form', { unit: chosen.name, share, part: chosen === unit ? '提供扶手材料' : '负责安装' });
    }
    expect((await stage()) === 'intents', `after the letters: ${await stage()}`);
    await page.check('#approval-form input[name=units] >> nth=0');
    await page.check('#approval-form input[name=units] >> nth=1');
    await act(page, '#action-approve');
    expect((await stage()) === 'approved', `after 立项: ${await stage()}`);
    const claimants = await text(page, '#project-claimants');
    for (const chosen of [unit, partner]) {
      expect(claimants.includes(`${chosen.name} ${done.project.shares[chosen.code]}`), `claimants: ${claimants}`);
    }
    await act(page, '#action-start');
    expect((await stage()) === 'in_progress', `after 实施: ${await stage()}`);
    await page.fill('input[name=note]', '扶手已装好，居民验收');
    await act(page, '#action-fulfil');
    expect((await stage()) === 'done', `after 完成: ${await stage()}`);
  }],
  ['an activity both members attended', async (page) => {
    await page.goto(`${base}/activities`);
    await submit(page, '#activity-form', { title: done.activity.title, category: 'safety', date: today, hours: done.activity.hours, place: '社区居委会' });
    for (const name of done.members) {
      await open(page, '/activities', done.activity.title);
      await submit(page, 'form[action$="/participants"]', { member: name });
    }
    const count = await text(page, '#participant-count');
    expect(count === String(done.members.length), `${count} participants`);
  }],
  ['individual service, one of it by mistake', async (page) => {
    for (const service of [...done.services, done.mistaken]) {
      await page.goto(`${base}/services`);
      await submit(page, '#service-form', {
        member: service.member,
        date: today,
        hours: service.hours,
        category: 'aid',
        description: service.description,
      });
    }
  }],
  ['points redeemed for a benefit', async (page) => {
    await page.goto(`${base}/benefits`);
    await submit(page, '#benefit-form', { title: done.benefit.title, cost: done.benefit.cost });
    await page.goto(`${base}/redemptions`);
    await submit(page, '#redemption-form', { member: done.redeemed_by, benefit: done.benefit.title });
  }],
  ['the mistaken record voided with its reason', async (page) => {
    await page.goto(`${base}/services`);
    const row = page.locator('#services tr', { hasText: done.mistaken.description });
    await Promise.all([page.waitForNavigation(), row.locator('a').first().click()]);
    await submit(page, '#void-form', { reason: done.mistaken.reason });
    expect((await text(page, '#void-reason')).includes(done.mistaken.reason), 'no reason on the voided record');
  }],
  ['the ledgers exported as Excel-safe CSV', async (page) => {
    const download = async (path) => {
      const answer = await page.request.get(`${base}${path}`);
      expect(answer.ok(), `${path}: ${answer.status()}`);
      const bytes = await answer.body();
      expect(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, `${path} has no BOM`);
      return bytes.toString('utf8');
    };
    const members = await download('/members.csv');
    for (const name of done.members) expect(members.includes(name), `${name} is not in members.csv`);
    expect(members.includes(unit.name), "the unit is not in members.csv");
    // Personal fields stay on the node, and the node's own ledger has them.
    expect(members.includes('13912345670'), 'the phone is not in the node\'s member ledger');
    const services = await download('/services.csv');
    for (const service of [...done.services, done.mistaken]) {
      expect(services.includes(service.description), `${service.description} is not in services.csv`);
    }
    const mistaken = services.split('\n').find((line) => line.includes(done.mistaken.description));
    expect(mistaken.includes('作废'), `the voided record is not marked: ${mistaken}`);
    const projects = await download('/projects.csv');
    expect(projects.includes(done.project.title) && projects.includes(partner.name), `projects.csv: ${projects}`);
  }],
];

const browser = await launchChromium();

let step = 'start';
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.setDefaultNavigationTimeout(15000);
  for (const [name, run] of steps) {
    step = name;
    await run(page);
  }
  await context.close();
  console.log(JSON.stringify(done));
} catch (error) {
  console.error(`failed at step "${step}": ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
