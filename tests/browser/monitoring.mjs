// NetLedger browser test of latency monitoring (issue 5).
//
// playwright-core drives Debian's Chromium, with the shared harness.mjs. Scenario: add a destination
// through the dialog (its name is an XSS payload, which must render as text), import two more by
// CSV with one bad line reported, create a job against 127.0.0.1 every 200 ms for 60 s, watch
// the job page draw its charts and fill its target table, see the alert its tiny RTT threshold
// raises (job page, bell, /alerts) and acknowledge it with a note, cancel the job through the
// confirmation dialog, download the CSV export in page context, and take screenshots of the jobs
// list, the job page and the alerts page. Any console error, page error or HTTP >= 400 from the app's origin
// fails the step it happened in.
//
// Env: NETLEDGER_URL (or BASE_URL), NETLEDGER_ADMIN_PASSWORD, NETLEDGER_CHROMIUM,
//      NETLEDGER_SCREENSHOT_DIR (default <repo>/docs/screenshots), NETLEDGER_MON_TIMEOUT_MS.

import { BASE, NAV_MS, assert, harness, shot, signIn, waitHydrated } from './harness.mjs';

const OVERALL_MS = Number(process.env.NETLEDGER_MON_TIMEOUT_MS || 300_000);
const VIEWPORT = { width: 1280, height: 900 };
const RUN = Date.now().toString(36);
const XSS = `<img src=x onerror=alert(1)> ${RUN}`;
const IMPORTED = [`mon-import-a-${RUN}`, `mon-import-b-${RUN}`];
const JOB = `browser-test loopback ${RUN}`;
const SAMPLES_MS = 60_000; // until the first points are charted

const h = harness('monitoring', OVERALL_MS);
const step = h.step;

// Same-origin GET with the page's session cookie.
async function fetchText(page, url) {
  return page.evaluate(async (u) => {
    const res = await fetch(u);
    return { status: res.status, type: res.headers.get('content-type') || '', body: await res.text() };
  }, url);
}

async function gotoHydrated(page, path, ready) {
  await page.goto(path);
  await waitHydrated(page);
  await page.waitForSelector(ready, { state: 'visible' });
}

const browser = await h.launch();
console.log(`monitoring: ${browser.version()} against ${BASE}; run ${RUN}`);
const P = await h.page(browser, VIEWPORT, 'monitoring');
// A script injected through a destination name would call alert(): fail loudly if it ever does.
let dialogs = 0;
P.on('dialog', async (d) => {
  dialogs += 1;
  await d.dismiss().catch(() => {});
});

let jobId = '';

try {
  await step('a', 'sign in, land on /destinations (hydrated)', [], async () => {
    await P.goto('/destinations');
    if (new URL(P.url()).pathname === '/login') {
      await waitHydrated(P);
      await signIn(P);
    }
    if (new URL(P.url()).pathname !== '/destinations') await P.goto('/destinations');
    await waitHydrated(P);
    await P.waitForSelector('[data-testid="destinations-page"] #add-destination', { state: 'visible' });
    return `at ${new URL(P.url()).pathname}`;
  });

  await step('b', 'add a destination via the dialog (field error first), name is an XSS payload', ['a'], async () => {
    await P.click('#add-destination');
    const dialog = P.locator('[data-testid="destination-dialog"]');
    await dialog.waitFor({ state: 'visible' });
    // Empty form: the domain's parser reports the fields next to them, nothing is sent.
    await P.click('#dst-save');
    await dialog.locator('.field.has-error #dst-name').waitFor({ state: 'attached' });
    await P.fill('#dst-name', XSS);
    await P.fill('#dst-address', '127.0.0.1');
    await P.fill('#dst-site', 'LAB');
    await P.fill('#dst-city', 'Loopback');
    await P.fill('#dst-country', 'ZZ');
    await P.fill('#dst-tags', `browser-${RUN}`);
    await P.click('#dst-save');
    await dialog.waitFor({ state: 'detached' });
    const row = P.locator('#destinations-table tr', { hasText: RUN }).first();
    await row.waitFor({ state: 'visible' });
    const name = (await row.locator('td.dst-name').innerText()).trim();
    assert(name === XSS, `the name shows as "${name}"`);
    const imgs = await P.locator('#destinations-table img').count();
    assert(imgs === 0, `${imgs} <img> element(s) in the table: the name was interpreted as HTML`);
    assert(dialogs === 0, 'a dialog opened: script ran');
    return `row "${name}" rendered as text, no <img>`;
  });

  await step('c', 'import 2 destinations by CSV; the bad line is reported by number', ['a'], async () => {
    await P.locator('#destinations-import > summary').click();
    const csv = [
      'name,address,site,city,country,tags',
      `${IMPORTED[0]},127.0.0.2,LAB,Loopback,ZZ,browser-${RUN}`,
      `bad-${RUN},not an address!,LAB,,,`,
      `${IMPORTED[1]},127.0.0.3,LAB,Loopback,ZZ,browser-${RUN}`,
    ].join('\n');
    await P.fill('#dst-csv', csv);
    await P.click('#dst-import-submit');
    const report = P.locator('#dst-import-report');
    await report.waitFor({ state: 'visible' });
    const added = Number(await report.getAttribute('data-imported'));
    const refused = Number(await report.getAttribute('data-errors'));
    assert(added === 2 && refused === 1, `report: ${added} added, ${refused} refused`);
    const line = await P.locator('#dst-import-errors tr[data-line]').first().getAttribute('data-line');
    assert(line === '3', `the refused row is reported as line ${line} (expected 3)`);
    for (const n of IMPORTED) {
      await P.locator('#destinations-table tr', { hasText: n }).first().waitFor({ state: 'visible' });
    }
    return `${added} added, line ${line} refused: ${(await P.locator('#dst-import-errors tbody td').last().innerText()).trim()}`;
  });

  await step('d', 'new job: 127.0.0.1 every 200 ms for 60 s (browser-side validation first)', ['b'], async () => {
    await gotoHydrated(P, '/monitoring/new', '#monitor-form');
    // Too-short interval: the domain rule runs in the browser and shows next to the field.
    await P.fill('#job-name', JOB);
    await P.fill('#job-interval', '50');
    await P.click('#job-submit');
    await P.locator('#job-interval-error').waitFor({ state: 'visible' });
    assert(new URL(P.url()).pathname === '/monitoring/new', 'an invalid form navigated away');
    await P.fill('#job-interval', '200');
    await P.fill('#dst-picker-search', RUN);
    await P.locator('#dst-picker-search').press('Enter');
    const pick = P.locator('#dst-picker-results li', { hasText: '127.0.0.1' }).first();
    await pick.waitFor({ state: 'visible' });
    await pick.locator('input[type="checkbox"]').check();
    await P.check('#job-end-after-mode');
    // Long enough to cancel it while it runs (the charts appear within seconds).
    await P.fill('#job-end-after', '60 s');
    // Loopback answers in tens of microseconds: a 1 µs RTT threshold over 3 rounds must alert.
    await P.fill('#job-th-rtt', '0.001');
    await P.fill('input#job-window', '3');
    await Promise.all([
      P.waitForURL((u) => /^\/monitoring\/[^/]+$/.test(u.pathname) && u.pathname !== '/monitoring/new', { timeout: NAV_MS }),
      P.click('#job-submit'),
    ]);
    jobId = new URL(P.url()).pathname.split('/').pop();
    await P.waitForSelector('[data-testid="monitor-job-page"] #job-status', { state: 'visible' });
    return `job ${jobId} (${await P.getAttribute('#job-status', 'data-job-status')})`;
  });

  await step('e', 'job page: charts draw points, the target table fills in', ['d'], async () => {
    await P.waitForFunction(
      () => {
        const fig = document.querySelector('#chart-rtt');
        const path = document.querySelector('#chart-rtt path[data-series="rtt-avg"]');
        return fig && Number(fig.dataset.points) >= 5 && path && (path.getAttribute('d') || '').length > 20;
      },
      null,
      { timeout: SAMPLES_MS },
    );
    const points = Number(await P.getAttribute('#chart-rtt', 'data-points'));
    const d = await P.getAttribute('#chart-rtt path[data-series="rtt-avg"]', 'd');
    assert(/^M[\d.]+,[\d.]+/.test(d), `the RTT path is "${d.slice(0, 40)}"`);
    const band = await P.getAttribute('#chart-rtt path[data-series="rtt-band"]', 'd');
    assert(band && band.includes('Z'), 'no min–max band');
    assert((await P.locator('#chart-jitter path[data-series="jitter"]').count()) === 1, 'no jitter line');
    assert((await P.locator('#chart-loss path[data-series="loss"]').count()) === 1, 'no loss bars path');
    const ticks = await P.locator('#chart-rtt text.chart-tick').count();
    assert(ticks >= 4, `${ticks} axis labels`);
    // The table: the target has rounds and a measured RTT.
    await P.waitForFunction(
      () => {
        const tr = document.querySelector('#job-targets tbody tr');
        return tr && Number(tr.dataset.rounds) > 0 && /ms/.test(tr.querySelector('[data-field="avg"]')?.textContent || '');
      },
      null,
      { timeout: SAMPLES_MS },
    );
    const row = P.locator('#job-targets tbody tr').first();
    const rounds = await row.getAttribute('data-rounds');
    const avg = (await row.locator('[data-field="avg"]').innerText()).trim();
    const name = (await row.locator('td.target-name a').innerText()).trim();
    assert(name === XSS, `the target name shows as "${name}"`);
    assert((await P.locator('[data-testid="monitor-job-page"] img').count()) === 0, 'an <img> on the job page');
    assert(dialogs === 0, 'a dialog opened: script ran');
    // Zoom: a preset narrows the range; reset returns to the whole run.
    await P.click('button[data-preset="900"]');
    await P.locator('#zoom-reset').waitFor({ state: 'visible' });
    await P.click('#zoom-reset');
    await P.locator('#zoom-reset').waitFor({ state: 'detached' });
    const file = await shot(P, 'monitoring-job.png');
    return `${points} point(s) charted; ${rounds} round(s), avg ${avg}; ${file}`;
  });

  await step('e2', 'the RTT alert shows on the job page, in the bell and on /alerts; acknowledge it', ['e'], async () => {
    await P.locator('#job-open-alerts li').first().waitFor({ state: 'visible', timeout: 30_000 });
    const badge = P.locator('#notif-count');
    await badge.waitFor({ state: 'visible', timeout: 30_000 });
    const before = Number(await badge.getAttribute('data-count'));
    assert(before >= 1, `bell count ${before}`);
    await P.click('#notif-button');
    await P.locator('#notif-panel a[id^="notif-item-"]').first().waitFor({ state: 'visible' });
    const focused = await P.evaluate(() => document.activeElement && document.activeElement.id);
    assert(focused === 'notif-item-0', `focus after opening the bell is on "${focused}"`);
    await P.keyboard.press('Escape');
    await P.locator('#notif-panel').waitFor({ state: 'detached' });
    await gotoHydrated(P, `/alerts?state=unacknowledged&job=${jobId}`, '[data-testid="alerts-page"]');
    const row = P.locator('#alerts-table tr[data-state="open"]').first();
    await row.waitFor({ state: 'visible' });
    const value = (await row.locator('[data-field="value"]').innerText()).trim();
    assert(/ms > 0\.001 ms$/.test(value), `value vs threshold reads "${value}"`);
    const link = await row.locator('td a').first().getAttribute('href');
    assert(link === `/monitoring/${jobId}`, `subject links to ${link}`);
    const file = await shot(P, 'monitoring-alerts.png');
    await row.locator('button.ack-btn').click();
    await P.locator('[data-testid="ack-dialog"] #ack-note').waitFor({ state: 'visible' });
    await P.fill('#ack-note', 'browser test: expected on loopback');
    await P.click('#ack-confirm');
    await P.locator('[data-testid="ack-dialog"]').waitFor({ state: 'detached' });
    await gotoHydrated(P, `/alerts?state=all&job=${jobId}`, '[data-testid="alerts-page"]');
    const acked = P.locator('#alerts-table tr[data-state="acknowledged"]').first();
    await acked.waitFor({ state: 'visible' });
    const note = (await acked.locator('[data-field="ack"]').innerText()).trim();
    assert(note.includes('expected on loopback'), `ack note shows "${note}"`);
    await gotoHydrated(P, `/monitoring/${jobId}`, '#job-status');
    return `alert "${value}", bell ${before}; acknowledged (${note}); ${file}`;
  });

  await step('f', 'cancel the job through the confirmation dialog; the state changes', ['e'], async () => {
    const status = await P.getAttribute('#job-status', 'data-job-status');
    assert(status === 'running' || status === 'scheduled', `the job is already "${status}": too late to cancel it`);
    await P.click('#cancel-job');
    await P.waitForSelector('[data-testid="reason-dialog"] #dialog-reason', { state: 'visible' });
    await P.fill('#dialog-reason', 'browser test: done measuring');
    await P.click('#dialog-confirm');
    await P.waitForSelector('#job-status[data-job-status="cancelled"]', { state: 'attached', timeout: NAV_MS });
    await P.locator('#cancel-job').waitFor({ state: 'detached' });
    const who = (await P.locator('[data-field="cancelled_by"]').innerText().catch(() => '')).trim();
    return `cancelled${who ? ` by ${who}` : ''}`;
  });

  await step('g', 'CSV export downloads in page context with a header and rows', ['e'], async () => {
    const href = await P.getAttribute('#job-export-csv', 'href');
    assert(href && href.startsWith(`/api/v1/monitor/jobs/${jobId}/export?`) && href.includes('format=csv'), `href ${href}`);
    const xlsx = await P.getAttribute('#job-export-xlsx', 'href');
    assert(xlsx && xlsx.includes('format=xlsx'), `xlsx href ${xlsx}`);
    const r = await fetchText(P, href);
    assert(r.status === 200, `export answered ${r.status}: ${r.body.slice(0, 200)}`);
    const lines = r.body.trim().split(/\r?\n/);
    assert(lines.length >= 3, `${lines.length} line(s):\n${r.body.slice(0, 300)}`);
    assert(/time|at|timestamp/i.test(lines[0]) && /rtt/i.test(lines[0]), `header: ${lines[0]}`);
    return `${lines.length - 1} row(s); header: ${lines[0].slice(0, 100)}`;
  });

  await step('h', 'jobs list shows the job; screenshot', ['d'], async () => {
    await gotoHydrated(P, '/monitoring', '[data-testid="monitoring-page"]');
    const row = P.locator(`#jobs-table tr[data-job-id="${jobId}"]`);
    await row.waitFor({ state: 'visible' });
    const status = await row.getAttribute('data-status');
    const file = await shot(P, 'monitoring-jobs.png');
    return `row ${jobId} (${status}); ${file}`;
  });

  await step('h2', 'clone: the form starts from the job (name, destination, duration), new times', ['d'], async () => {
    await gotoHydrated(P, `/monitoring/new?clone=${jobId}`, '#monitor-form');
    const name = await P.inputValue('#job-name');
    assert(name === `${JOB} (copy)`, `name is "${name}"`);
    const chips = await P.locator('[data-testid="destination-picker"] .picked-list li').count();
    assert(chips === 1, `${chips} destination chip(s)`);
    assert(await P.isChecked('#job-start-now'), 'a clone does not start now');
    const after = await P.inputValue('#job-end-after');
    assert(/\d/.test(after), `duration "${after}"`);
    assert((await P.inputValue('#job-th-rtt')) === '0.001', 'thresholds not copied');
    return `"${name}", 1 destination, starts now, lasts ${after}`;
  });

  await step('i', 'alerts page tabs and the notification centre by keyboard', ['a'], async () => {
    await gotoHydrated(P, '/alerts', '[data-testid="alerts-page"]');
    for (const s of ['open', 'unacknowledged', 'all']) {
      assert((await P.locator(`.tabs a[data-state="${s}"]`).count()) === 1, `no ${s} tab`);
    }
    await P.click('#notif-button');
    await P.locator('#notif-panel').waitFor({ state: 'visible' });
    await P.keyboard.press('Escape');
    await P.locator('#notif-panel').waitFor({ state: 'detached' });
    const focused = await P.evaluate(() => document.activeElement && document.activeElement.id);
    assert(focused === 'notif-button', `focus after Escape is on "${focused}"`);
    const rows = await P.locator('#alerts-table tbody tr').count();
    return `${rows} open alert row(s); bell opens and Escape closes (focus back on the bell)`;
  });
} finally {
  await browser.close().catch(() => {});
}
h.finish();
