// NetLedger browser test of network operations against the built-in device lab (issue 4).
//
// playwright-core drives Debian's Chromium, with the shared harness.mjs. Scenario:
// back up every device tagged `lab` from the launcher, follow the operation to completion, change an
// interface description on R15 through the device's Configuration tab (config lines push), back up
// again, see the new version and its diff, restore the previous version and check the change is gone.
// Any console error, page error or HTTP >= 400 from the app's origin fails the step it happened in.
//
// Env: NETLEDGER_URL (or BASE_URL), NETLEDGER_ADMIN_PASSWORD, NETLEDGER_CHROMIUM,
//      NETLEDGER_SCREENSHOT_DIR (default <repo>/docs/screenshots), NETLEDGER_OPS_TIMEOUT_MS,
//      NETLEDGER_OPS_DEVICE (default R15).
// The server must run with the lab on (NETLEDGER_LAB=on), so lab devices are in the inventory.

import {
  BASE,
  NAV_MS,
  assert,
  harness,
  ms,
  plain,
  shot,
  signIn,
  waitHydrated,
} from './harness.mjs';

const OVERALL_MS = Number(process.env.NETLEDGER_OPS_TIMEOUT_MS || 600_000);
const DEVICE = process.env.NETLEDGER_OPS_DEVICE || 'R15';
const OP_MS = 180_000; // one operation, start to finish
const VIEWPORT = { width: 1280, height: 900 };
const MARKER = 'changed-by-browser-test';
const LINES = ['interface GigabitEthernet0/1', ` description ${MARKER}`];
const FINISHED = ['completed', 'failed', 'cancelled'];

const h = harness('ops', OVERALL_MS);
const step = h.step;

// Same-origin JSON GET with the page's session cookie.
async function api(page, url) {
  const r = await page.evaluate(async (u) => {
    const res = await fetch(u, { headers: { accept: 'application/json' } });
    return { status: res.status, body: await res.text() };
  }, url);
  assert(r.status === 200, `GET ${url} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body);
}

const isOperationPath = (u) => /^\/operations\/[^/]+$/.test(u.pathname) && u.pathname !== '/operations/new';

// Clicks `selector`, expects the client-side navigation to an operation page, returns its id.
async function startOperation(page, selector) {
  await Promise.all([page.waitForURL(isOperationPath, { timeout: NAV_MS }), page.click(selector)]);
  await page.waitForSelector('[data-testid="operation-page"] #op-status', { state: 'visible' });
  return new URL(page.url()).pathname.split('/').pop();
}

// Waits until the operation shown on the page has finished (live refresh), returns its status.
async function waitFinished(page) {
  const sel = FINISHED.map((s) => `#op-status[data-op-status="${s}"]`).join(', ');
  try {
    await page.waitForSelector(sel, { state: 'attached', timeout: OP_MS });
  } catch (e) {
    const status = await page.getAttribute('#op-status', 'data-op-status').catch(() => '?');
    throw new Error(`operation still "${status}" after ${ms(OP_MS)}\n${plain(e.message).split('\n')[0]}`);
  }
  return page.getAttribute('#op-status', 'data-op-status');
}

// "R15: failed (summary)" for every target that did not succeed.
async function failedTargets(page) {
  return page.$$eval('#targets-table tbody.target', (rows) =>
    rows
      .filter((r) => r.dataset.status !== 'succeeded')
      .map((r) => `${r.dataset.hostname}: ${r.dataset.status} (${(r.querySelector('td.summary')?.textContent || '').trim()})`),
  );
}

async function expectCompleted(page, what) {
  const status = await waitFinished(page);
  if (status !== 'completed') {
    const failed = await failedTargets(page);
    throw new Error(`${what} ended "${status}": ${failed.join('; ') || 'no failed target listed'}`);
  }
  return status;
}

async function versionsOnPage(page) {
  await page.waitForSelector('#config-versions li[data-version]', { state: 'attached' });
  return page.$$eval('#config-versions li[data-version]', (els) => els.map((e) => Number(e.dataset.version)));
}

async function openConfig(page, id) {
  await page.goto(`/devices/${id}/config`);
  await waitHydrated(page);
  await page.waitForSelector('[data-testid="device-config-page"] #config-hostname', { state: 'visible' });
}

// ---- the scenario ---------------------------------------------------------------------------------------
const browser = await h.launch();
console.log(`ops: ${browser.version()} against ${BASE}; device ${DEVICE}`);
const P = await h.page(browser, VIEWPORT, 'ops');

let backupOp = '';
let deviceId = '';
let before = 0; // latest config version before the push
let after = 0;

try {
  await step('a', 'sign in, land on /operations/new (hydrated)', [], async () => {
    await P.goto('/operations/new');
    if (new URL(P.url()).pathname === '/login') {
      await waitHydrated(P);
      await signIn(P);
    }
    if (new URL(P.url()).pathname !== '/operations/new') await P.goto('/operations/new');
    await waitHydrated(P);
    await P.waitForSelector('[data-testid="launch-page"] #launch-form', { state: 'visible' });
    return `at ${new URL(P.url()).pathname}`;
  });

  await step('b', 'launcher: back up every device tagged lab, wait for completion', ['a'], async () => {
    await P.selectOption('#op-kind', 'backup');
    await P.click('label[for="target-mode-tag"]');
    await P.fill('#op-tag', 'lab');
    backupOp = await startOperation(P, '#op-submit');
    const status = await waitFinished(P);
    const total = await P.locator('#targets-table tbody.target').count();
    assert(total > 0, 'the operation has no targets: is the lab on (NETLEDGER_LAB=on)?');
    const row = P.locator(`#targets-table tbody.target[data-hostname="${DEVICE}"]`);
    assert((await row.count()) === 1, `no target row for ${DEVICE} among ${total}`);
    // Other tests may have tagged unreachable devices `lab`; every device the lab serves must succeed.
    const lab = await api(P, '/api/v1/lab/devices');
    const labNames = new Set(lab.map((d) => d.name));
    const failed = await failedTargets(P);
    const labFailed = failed.filter((f) => labNames.has(f.split(':')[0]));
    assert(labFailed.length === 0, `lab devices failed the backup: ${labFailed.join('; ')}`);
    assert(status === 'completed' || failed.length > 0, `ended "${status}" with no failed target`);
    // Expand the device's row: its progress log and details are shown as text.
    await row.locator('button.expand-btn').click();
    await row.locator('tr.target-detail').waitFor({ state: 'visible' });
    const file = await shot(P, 'operation.png');
    const extra = failed.length ? `; non-lab failures: ${failed.join('; ')}` : '';
    return `operation ${backupOp} ${status}, ${total} target(s), ${lab.length} lab device(s) succeeded${extra}; ${file}`;
  });

  await step('c', 'history lists the backup with its progress', ['b'], async () => {
    await P.goto('/operations');
    await waitHydrated(P);
    const row = P.locator(`#operations-table tr[data-op-id="${backupOp}"]`);
    await row.waitFor({ state: 'visible' });
    const kind = await row.getAttribute('data-kind');
    assert(kind === 'backup', `row kind is ${kind}`);
    const csv = await P.getAttribute('#ops-export-csv', 'href');
    assert(csv && csv.startsWith('/api/v1/operations/export?') && csv.includes('format=csv'), `export link is ${csv}`);
    const file = await shot(P, 'operations.png');
    return `row for ${backupOp} (${await row.getAttribute('data-status')}); ${file}`;
  });

  await step('d', `${DEVICE}: Configuration tab shows the backed-up version`, ['b'], async () => {
    const page = await api(P, `/api/v1/devices?tag=lab&q=${encodeURIComponent(DEVICE)}&per_page=100`);
    const dev = (page.items || []).find((d) => d.hostname === DEVICE);
    assert(dev, `no device named exactly ${DEVICE} tagged lab`);
    deviceId = dev.id;
    await P.goto(`/devices/${deviceId}`);
    await waitHydrated(P);
    await Promise.all([
      P.waitForURL((u) => u.pathname === `/devices/${deviceId}/config`, { timeout: NAV_MS }),
      P.click('#device-config-link'),
    ]);
    const versions = await versionsOnPage(P);
    before = Math.max(...versions);
    assert(before >= 1, `versions ${versions.join(', ')}`);
    const text = await P.locator('#config-text').innerText();
    assert(/hostname\s+\S+/.test(text), 'the running configuration shown has no hostname line');
    assert(!text.includes(MARKER), `the configuration already contains ${MARKER}: a previous run was not restored`);
    return `versions ${versions.join(', ')} (latest ${before}${versions.includes(1) ? ', version 1 present' : ''})`;
  });

  await step('e', 'push config lines (interface description) from the Configuration tab', ['d'], async () => {
    await P.fill('#push-lines', LINES.join('\n'));
    await P.fill('#push-reason', 'browser test: description change');
    await P.click('#push-submit');
    const dialog = P.locator('[data-testid="confirm-dialog"]');
    await dialog.waitFor({ state: 'visible' });
    const shown = await dialog.locator('[data-testid="push-confirm-lines"]').innerText();
    assert(shown.includes(MARKER), `the confirmation does not show the lines: ${shown}`);
    const op = await startOperation(P, '#push-confirm');
    await expectCompleted(P, 'the push');
    const summary = await P.locator(`#targets-table tbody.target[data-hostname="${DEVICE}"] td.summary`).innerText();
    return `operation ${op} completed: ${summary.trim()}`;
  });

  await step('f', 'back up again from the Configuration tab', ['e'], async () => {
    await openConfig(P, deviceId);
    const op = await startOperation(P, '#backup-now');
    await expectCompleted(P, 'the backup');
    return `operation ${op} completed`;
  });

  await step('g', 'a new version and its diff show the change', ['f'], async () => {
    await openConfig(P, deviceId);
    const versions = await versionsOnPage(P);
    after = Math.max(...versions);
    assert(after > before, `latest version is still ${after} (was ${before})`);
    const unified = P.locator('[data-testid="diff-unified"]');
    await unified.waitFor({ state: 'visible' });
    const text = await unified.innerText();
    assert(text.includes(MARKER), `the default diff (latest-1 -> latest) lacks ${MARKER}:\n${text.slice(0, 600)}`);
    const added = P.locator('[data-testid="diff-unified"] .diff-add', { hasText: MARKER });
    assert((await added.count()) > 0, `${MARKER} is not on an added (+) line`);
    await P.click('#diff-mode-split');
    const split = P.locator('[data-testid="diff-split"] td.diff-add', { hasText: MARKER });
    await split.first().waitFor({ state: 'visible' });
    await P.click('#diff-mode-unified');
    await unified.waitFor({ state: 'visible' });
    await P.evaluate(() => window.scrollTo(0, 0));
    const file = await shot(P, 'config-diff.png');
    return `versions ${versions.join(', ')}; diff ${before} -> ${after} adds "${MARKER}" (unified and side by side); ${file}`;
  });

  await step('h', `restore version ${before || 'N'} and wait for completion`, ['g'], async () => {
    await P.click(`#restore-v${before}`);
    const dialog = P.locator('[data-testid="confirm-dialog"]');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('[data-testid="push-preview"]').waitFor({ state: 'visible', timeout: NAV_MS });
    const commands = await dialog.locator('[data-testid="preview-commands"]').innerText();
    assert(/description/i.test(commands), `the restore preview does not touch the description:\n${commands}`);
    await P.click('#restore-continue');
    await P.waitForSelector('[data-testid="reason-dialog"] #dialog-reason', { state: 'visible' });
    await P.fill('#dialog-reason', 'browser test: back to the previous version');
    const op = await startOperation(P, '#dialog-confirm');
    await expectCompleted(P, 'the restore');
    return `operation ${op} completed; preview sent ${commands.split('\n').length} command(s)`;
  });

  await step('i', 'the latest configuration no longer carries the change', ['h'], async () => {
    await openConfig(P, deviceId);
    const versions = await versionsOnPage(P);
    const latest = Math.max(...versions);
    const text = await P.locator('#config-text').innerText();
    assert(!text.includes(MARKER), `version ${latest} still contains ${MARKER}`);
    return `latest version ${latest} is free of ${MARKER}`;
  });

  await step('j', 'launcher preselects ?device=, schedules for tomorrow; cancel records who cancelled', ['d'], async () => {
    await P.goto(`/operations/new?device=${deviceId}&kind=connectivity`);
    await waitHydrated(P);
    await P.waitForSelector(`.picked-list li[data-device-id="${deviceId}"]`, { state: 'visible' });
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 16); // UTC, as labelled
    await P.fill('#op-schedule', tomorrow);
    await P.fill('#op-reason', 'browser test: scheduled then cancelled');
    const op = await startOperation(P, '#op-submit');
    await P.waitForSelector('#op-status[data-op-status="scheduled"]', { state: 'attached' });
    await P.click('#cancel-operation');
    await P.waitForSelector('[data-testid="reason-dialog"] #dialog-reason', { state: 'visible' });
    await P.fill('#dialog-reason', 'browser test: not needed');
    await P.click('#dialog-confirm');
    await P.waitForSelector('#op-status[data-op-status="cancelled"]', { state: 'attached', timeout: NAV_MS });
    const who = await P.locator('[data-field="cancelled_by"]').innerText();
    assert(who.includes('admin') && who.includes('not needed'), `cancelled-by shows "${who}"`);
    assert((await P.locator('#cancel-operation').count()) === 0, 'the cancel button is still shown');
    return `operation ${op} scheduled at ${tomorrow} UTC, then cancelled: "${who.trim()}"`;
  });

  await step('k', 'admin: full-config editor loads unmasked text and previews the commands', ['d'], async () => {
    await openConfig(P, deviceId);
    await P.click('#candidate-editor > summary');
    await P.click('#candidate-load');
    const editor = P.locator('#candidate-text');
    await editor.waitFor({ state: 'visible' });
    const text = await editor.inputValue();
    assert(/hostname\s+\S+/.test(text), 'the candidate has no hostname line');
    assert(!text.includes('<removed>'), 'the candidate is masked');
    await editor.fill(text.replace(/^hostname\s+(\S+)$/m, 'hostname $1-edited'));
    await P.click('#candidate-preview');
    const dialog = P.locator('[data-testid="confirm-dialog"]');
    await dialog.locator('[data-testid="preview-commands"]').waitFor({ state: 'visible', timeout: NAV_MS });
    const commands = await dialog.locator('[data-testid="preview-commands"]').innerText();
    assert(commands.includes('-edited'), `the preview commands lack the edit:\n${commands}`);
    await P.keyboard.press('Escape'); // the dialog has the focus: Escape closes it
    await dialog.waitFor({ state: 'detached' });
    return `preview: ${commands.split('\n').length} command(s); nothing pushed`;
  });

} finally {
  await browser.close().catch(() => {});
}

h.finish();
