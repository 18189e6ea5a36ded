// NetLedger browser end-to-end test (issue acceptance), driven by tests/browser/run.sh.
//
// playwright-core drives Debian's Chromium (never `playwright install`). Two independent sessions:
// A registers a device through the form; B sits on the inventory and must see the new row arrive
// over SSE without reloading. Any console error, page error or HTTP >= 400 from the app's origin
// (other than ones a step provokes on purpose) fails the step in which it happened.
//
// Env: NETLEDGER_URL (http://127.0.0.1:PORT), NETLEDGER_ADMIN_PASSWORD, NETLEDGER_CHROMIUM,
//      NETLEDGER_SCREENSHOT_DIR (default <repo>/docs/screenshots), NETLEDGER_E2E_TIMEOUT_MS.

import {
  ACTION_MS,
  BASE,
  NAV_MS,
  assert,
  harness,
  ms,
  now,
  plain,
  shot,
  signIn,
  waitHydrated,
} from './harness.mjs';

const OVERALL_MS = Number(process.env.NETLEDGER_E2E_TIMEOUT_MS || 240_000);
const LIVE_MS = 3_000; // acceptance: B sees the new row within 3 s of the save
const VIEWPORT = { width: 1280, height: 800 };
const h = harness('e2e', OVERALL_MS);
const ORIGIN = h.origin;
const allowed = h.allowed;
const passed = h.passed;
const step = h.step;

const suffix = Math.random().toString(36).slice(2, 8);
const HOSTNAME = `R15-${suffix}`;
const XSS_NOTES = '<img src=x onerror=window.__xss=1>';

// The register_device server function (leptos: POST /api/register_device<hash>), same origin.
function isRegister(url) {
  const u = new URL(url);
  return u.origin === ORIGIN && /register_device/i.test(u.pathname);
}

// ---- the scenario ---------------------------------------------------------------------------------------
const browser = await h.launch();
console.log(`e2e: ${browser.version()} against ${BASE}; device ${HOSTNAME}`);
const A = await h.page(browser, VIEWPORT, 'A');
const B = await h.page(browser, VIEWPORT, 'B');

let bNavigations = 0;
let bUrl = '';
let liveRow = null; // B's wait for the new row, started just before A saves
let liveSeenAt = null;
let saveAt = null;
let deviceId = '';

try {
  await step('a', 'sign in (context A): / -> /login -> dashboard, hydrated', [], async () => {
    await A.goto('/');
    const at = new URL(A.url());
    assert(at.pathname === '/login', `expected a redirect to /login, got ${at.pathname}${at.search}`);
    await waitHydrated(A);
    const login = await shot(A, 'login.png');
    await signIn(A);
    assert(new URL(A.url()).pathname === '/', `expected the dashboard at /, got ${A.url()}`);
    await waitHydrated(A);
    const dash = await shot(A, 'dashboard.png');
    return `landed on ${new URL(A.url()).pathname}; ${login}, ${dash}`;
  });

  await step('b', 'second session (context B) on /devices, hydrated', [], async () => {
    await B.goto('/devices');
    assert(new URL(B.url()).pathname === '/login', `expected a redirect to /login, got ${B.url()}`);
    await signIn(B);
    assert(new URL(B.url()).pathname === '/devices', `expected /devices after sign-in (next=), got ${B.url()}`);
    await waitHydrated(B);
    await B.waitForSelector('[data-testid="inventory"]', { state: 'attached' });
    await B.evaluate(() => {
      window.__marker = 1;
    });
    bUrl = B.url();
    B.on('framenavigated', (f) => {
      if (f === B.mainFrame()) bNavigations += 1;
    });
    return `on ${new URL(bUrl).pathname}, marker set`;
  });

  await step('c', `register ${HOSTNAME} via /devices/new (context A)`, ['a'], async () => {
    await A.goto('/devices/new');
    await waitHydrated(A);
    await A.fill('#hostname', HOSTNAME);
    await A.fill('#address', '127.0.1.15');
    await A.selectOption('#platform', 'cisco_ios');
    await A.fill('#site', 'Lab');
    await A.fill('#group', 'emea/lab/core');
    await A.fill('#tags', 'core, e2e');
    if (passed.has('b')) {
      const sel = `#device-table tr[data-hostname="${HOSTNAME}"]`;
      // Generous here; the 3 s limit is checked against the save's answer in step f.
      const waitMs = LIVE_MS + 12_000;
      liveRow = B.waitForSelector(sel, { state: 'attached', timeout: waitMs }).then(
        () => {
          liveSeenAt = now();
        },
        (e) => {
          throw new Error(`${sel} did not appear in B within ${waitMs} ms of the click on #save-device (no live update?)\n${plain(e.message).split('\n')[0]}`);
        },
      );
      liveRow.catch(() => {}); // awaited (and reported) in step f
    }
    const saved = A.waitForResponse((r) => r.request().method() === 'POST' && isRegister(r.url()), { timeout: NAV_MS });
    const clickAt = now();
    await A.click('#save-device');
    const res = await saved;
    saveAt = now();
    assert(res.status() < 400, `save answered HTTP ${res.status()}: ${(await res.text()).slice(0, 300)}`);
    await A.waitForURL((u) => /^\/devices\/[^/]+$/.test(u.pathname) && u.pathname !== '/devices/new', {
      timeout: NAV_MS,
    });
    deviceId = new URL(A.url()).pathname.split('/').pop();
    await A.waitForFunction((h) => (document.querySelector('main')?.innerText || '').includes(h), HOSTNAME, {
      timeout: ACTION_MS,
    });
    const hasId = (await A.locator('#device-hostname').count()) > 0;
    const file = await shot(A, 'device.png');
    return `save answered ${res.status()} in ${ms(saveAt - clickAt)} (${new URL(res.url()).pathname}); at /devices/${deviceId}${hasId ? '' : ' (no #device-hostname)'}; ${file}`;
  });

  await step('d', 'inventory lists the new device (context A)', ['c'], async () => {
    await A.goto('/devices');
    await waitHydrated(A);
    await A.waitForSelector(`#device-table tr[data-hostname="${HOSTNAME}"]`, { state: 'visible' });
    const file = await shot(A, 'inventory.png');
    return `row tr[data-hostname="${HOSTNAME}"] visible; ${file}`;
  });

  await step('e', 'audit trail shows DeviceRegistered by admin (context A)', ['c'], async () => {
    await A.goto('/audit');
    await waitHydrated(A);
    await A.waitForSelector('#audit-table tr[data-event-type="DeviceRegistered"]', { state: 'visible' });
    const row = A.locator('#audit-table tr[data-event-type="DeviceRegistered"]').filter({
      has: A.locator('td.actor', { hasText: 'admin' }),
    });
    const n = await row.count();
    assert(n > 0, 'no DeviceRegistered row whose td.actor contains "admin"');
    const ours = await row.filter({ hasText: HOSTNAME }).count();
    const file = await shot(A, 'audit.png');
    return `${n} DeviceRegistered row(s) by admin${ours ? `, one naming ${HOSTNAME}` : ` (none names ${HOSTNAME} in its text)`}; ${file}`;
  });

  await step('f', 'live update: B shows the new row within 3 s, without reloading', ['b', 'c'], async () => {
    await liveRow;
    const after = liveSeenAt - saveAt;
    const marker = await B.evaluate(() => window.__marker);
    assert(marker === 1, `window.__marker is ${JSON.stringify(marker)} in B: the page was reloaded`);
    assert(bNavigations === 0 && B.url() === bUrl, `B navigated ${bNavigations} time(s) (now at ${B.url()})`);
    assert(after <= LIVE_MS, `the row appeared in B ${ms(after)} after the save answered (limit ${ms(LIVE_MS)})`);
    return `row appeared ${after <= 0 ? 'before the save answer reached A' : `${ms(after)} after the save answered`}; marker intact, no navigation`;
  });

  await step('g', 'inline validation: "bad host" shows a field error, no navigation (context A)', ['a'], async () => {
    await A.goto('/devices/new');
    await waitHydrated(A);
    let navs = 0;
    let posts = 0;
    const onNav = (f) => {
      if (f === A.mainFrame()) navs += 1;
    };
    const onReq = (r) => {
      if (r.method() === 'POST' && isRegister(r.url())) posts += 1;
    };
    A.on('framenavigated', onNav);
    A.on('request', onReq);
    try {
      await A.locator('#hostname').pressSequentially('bad host');
      await A.click('#save-device');
      const err = A.locator('.field:has(#hostname) .field-error');
      await err.first().waitFor({ state: 'visible' });
      const text = (await err.first().innerText()).trim();
      assert(text.length > 0, 'the field error near #hostname is empty');
      const invalid = await A.getAttribute('#hostname', 'aria-invalid');
      const at = new URL(A.url()).pathname;
      assert(at === '/devices/new' && navs === 0, `navigated away (${navs}) to ${at}`);
      assert(posts === 0, `${posts} POST request(s) were sent although the form is invalid`);
      return `error "${text}"${invalid === 'true' ? ', aria-invalid=true' : ' (no aria-invalid)'}; stayed on /devices/new`;
    } finally {
      A.off('framenavigated', onNav);
      A.off('request', onReq);
    }
  });

  await step('h', 'XSS: notes from the API are shown literally, nothing runs (context A)', ['a'], async () => {
    const created = await A.evaluate(async (notes) => {
      const r = await fetch('/api/v1/devices', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hostname: 'xss1', address: '10.9.9.9', platform: 'cisco_ios', notes }),
      });
      return { status: r.status, body: await r.text() };
    }, XSS_NOTES);
    assert(created.status === 201, `POST /api/v1/devices answered ${created.status}: ${created.body.slice(0, 300)}`);
    const id = JSON.parse(created.body).id;
    assert(id, `no id in ${created.body.slice(0, 300)}`);
    let xRequests = 0;
    const onReq = (r) => {
      if (/\/x$/.test(new URL(r.url()).pathname)) xRequests += 1;
    };
    A.on('request', onReq);
    try {
      await A.goto(`/devices/${id}`);
      await waitHydrated(A);
      const notes = A.locator('[data-field="notes"]');
      await notes.waitFor({ state: 'visible' });
      const text = await notes.textContent();
      const imgs = await notes.locator('img').count();
      const xss = await A.evaluate(() => typeof window.__xss);
      assert(xss === 'undefined', `window.__xss is set: the notes ran as HTML`);
      assert(imgs === 0, `the notes contain ${imgs} <img> element(s)`);
      assert(xRequests === 0, 'the browser requested /x (the <img> was rendered)');
      assert(text === XSS_NOTES, `notes text is ${JSON.stringify(text)}, expected ${JSON.stringify(XSS_NOTES)}`);
      return `device ${id}: notes shown literally, window.__xss undefined`;
    } finally {
      A.off('request', onReq);
    }
  });

} finally {
  await browser.close().catch(() => {});
}

h.finish();
