// Shared by the browser tests (e2e.mjs, ops.mjs): environment, Chromium launch, problem capture
// per page, the step runner with dependencies, and the summary. playwright-core drives Debian's
// Chromium (never `playwright install`).
//
// Env: NETLEDGER_URL (or BASE_URL), NETLEDGER_ADMIN_PASSWORD, NETLEDGER_CHROMIUM,
//      NETLEDGER_SCREENSHOT_DIR (default <repo>/docs/screenshots).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const BASE = (process.env.NETLEDGER_URL || process.env.BASE_URL || '').replace(/\/$/, '');
export const PASSWORD = process.env.NETLEDGER_ADMIN_PASSWORD || '';
const EXECUTABLE = process.env.NETLEDGER_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.NETLEDGER_SCREENSHOT_DIR || path.join(repoRoot, 'docs', 'screenshots');
export const ACTION_MS = 15_000;
export const NAV_MS = 30_000;

export const now = () => performance.now();
export const ms = (t) => `${Math.round(t)} ms`;
// Playwright's messages carry ANSI colours even when piped.
export const plain = (s) => String(s).replace(/\x1b\[[0-9;]*m/g, '');

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/// One test script's run: `name` prefixes its messages, `overallMs` bounds the whole script.
export function harness(name, overallMs) {
  if (!BASE || !PASSWORD) {
    console.error(`${name}: NETLEDGER_URL and NETLEDGER_ADMIN_PASSWORD must be set (run tests/browser/run.sh)`);
    process.exit(2);
  }
  const origin = new URL(BASE).origin;
  // A hard stop for anything that hangs outside Playwright's own timeouts.
  const watchdog = setTimeout(() => {
    console.error(`${name}: FAILED: overall timeout of ${overallMs} ms exceeded`);
    process.exit(1);
  }, overallMs);
  watchdog.unref();

  const h = {
    origin,
    // Problems seen by the browser, attributed to the step that is running.
    problems: [],
    // Predicates `{ console?(text), response?(res) }` for failures a step provokes on purpose.
    allowed: [],
    results: [], // { id, title, status, ms, detail }
    passed: new Set(),
  };

  h.watch = (page, label) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // Chromium also logs every failed load as a console error; a provoked response is allowed for both.
      if (h.allowed.some((a) => a.console && a.console(text))) return;
      const loc = msg.location();
      h.problems.push(`[${label}] console error: ${text}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    });
    page.on('pageerror', (err) => h.problems.push(`[${label}] uncaught page error: ${err.stack || err.message}`));
    page.on('response', (res) => {
      let o;
      try {
        o = new URL(res.url()).origin;
      } catch {
        return;
      }
      if (o !== origin || res.status() < 400) return;
      if (h.allowed.some((a) => a.response && a.response(res))) return;
      h.problems.push(`[${label}] HTTP ${res.status()} ${res.request().method()} ${res.url()}`);
    });
    page.on('crash', () => h.problems.push(`[${label}] page crashed`));
  };

  h.step = async (id, title, deps, fn) => {
    const missing = deps.filter((d) => !h.passed.has(d));
    if (missing.length) {
      h.results.push({ id, title, status: 'SKIP', ms: 0, detail: `needs step ${missing.join(', ')}` });
      console.log(`[${id}] SKIP  ${title}: needs step ${missing.join(', ')}`);
      return;
    }
    h.problems.length = 0;
    const t0 = now();
    let detail = '';
    let error = null;
    try {
      detail = (await fn()) || '';
    } catch (e) {
      error = e;
    }
    const took = now() - t0;
    const seen = h.problems.splice(0);
    if (!error && seen.length) error = new Error(`${seen.length} browser problem(s)`);
    const status = error ? 'FAIL' : 'PASS';
    h.results.push({ id, title, status, ms: took, detail: error ? plain(error.message) : detail });
    if (!error) h.passed.add(id);
    console.log(`[${id}] ${status}  ${title} (${ms(took)})${detail && !error ? `: ${detail}` : ''}`);
    if (error) {
      console.log(`      ${plain(error.message).trim().split('\n').join('\n      ')}`);
      for (const p of seen) console.log(`      ${p}`);
    }
  };

  h.launch = async () => {
    mkdirSync(SHOTS, { recursive: true });
    return chromium.launch({
      executablePath: EXECUTABLE,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  };

  /// A page in a fresh context (its own cookies), with the default timeouts and problem capture.
  h.page = async (browser, viewport, label) => {
    const ctx = await browser.newContext({ viewport, baseURL: BASE });
    const page = await ctx.newPage();
    page.setDefaultTimeout(ACTION_MS);
    page.setDefaultNavigationTimeout(NAV_MS);
    h.watch(page, label);
    return page;
  };

  /// Problems after the last step count too; prints the summary and exits with the verdict.
  h.finish = () => {
    if (h.problems.length) {
      h.results.push({ id: 'z', title: 'late browser problems', status: 'FAIL', ms: 0, detail: h.problems.join('; ') });
      console.log('[z] FAIL  browser problems after the last step');
      for (const p of h.problems) console.log(`      ${p}`);
    }
    const count = (s) => h.results.filter((r) => r.status === s).length;
    console.log('');
    console.log(`${name} summary:`);
    for (const r of h.results) console.log(`  [${r.id}] ${r.status.padEnd(4)} ${ms(r.ms).padStart(8)}  ${r.title}`);
    console.log(`${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`);
    clearTimeout(watchdog);
    process.exit(count('PASS') === h.results.length ? 0 : 1);
  };

  return h;
}

export async function waitHydrated(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached', timeout: NAV_MS });
}

export async function shot(page, name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') ? file : rel;
}

/// Signs the admin in on the login page the browser is on; fails with the page's reason.
export async function signIn(page) {
  await page.fill('#username', 'admin');
  await page.fill('#password', PASSWORD);
  const before = page.url();
  await Promise.all([page.waitForURL((u) => u.href !== before, { timeout: NAV_MS }), page.click('#sign-in')]);
  const url = new URL(page.url());
  if (url.pathname === '/login') {
    const box = page.locator('[data-testid="login-error"]');
    const why = (await box.count()) ? ` ("${(await box.first().innerText()).trim()}")` : '';
    throw new Error(`sign-in failed: back on ${url.pathname}${url.search}${why}`);
  }
  assert(
    url.pathname !== '/account/password',
    'sign-in led to the forced password change (reset-password --password-stdin should not force one)',
  );
}
