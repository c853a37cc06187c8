import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../src/server.js';
import {
  buildUi,
  launchBrowser,
  newPage,
  OtelService,
  poll,
  requireChromium,
  SpanKind,
  skipBrowser,
  uiServer,
} from './harness.js';
import { type Scenario, sendScenario, XSS_LOG, XSS_SPAN } from './scenario.js';

// A browser, a server and Vite on a shared 2-core machine: generous limits, no timing asserts.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 180_000 });

/** The page's globals, typed here without pulling the DOM lib into a Node test. */
interface BrowserGlobals {
  localStorage: { getItem(k: string): string | null };
}
const TOKEN_KEY = 'hopscope.queryToken';

// Screenshots for a person to look at: HOPSCOPE_UI_SCREENSHOTS=/some/dir npx vitest run …
const shots = process.env.HOPSCOPE_UI_SCREENSHOTS;
async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png` });
}

describe.skipIf(skipBrowser)('web UI in Chromium against a real server', () => {
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let server: ServerHandle & { stop: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let sc: Scenario;

  beforeAll(async () => {
    requireChromium();
    ui = await buildUi();
    server = await uiServer(ui.dir);
    sc = await sendScenario(server.url);
    browser = await launchBrowser();
    page = await newPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    ui?.cleanup();
  });

  it('opens a request from the search box and shows every span of both traces', async () => {
    await page.goto(server.url);
    await shot(page, '01-search');
    await page.locator('.main').click({ position: { x: 600, y: 600 } }); // focus off the box
    await page.keyboard.press('/');
    await page.keyboard.type(sc.requestId);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/trace/${sc.requestId}`);
    await poll(() => page.textContent('[data-testid="request-id"]')).toBe(sc.requestId);
    expect(await page.textContent('[data-testid="span-count"]')).toBe(String(sc.spanNames.length));
    const rows = page.locator('.wf-row');
    await poll(() => rows.count()).toBe(sc.spanNames.length);
    const names = await page.locator('.wf-row .wf-name').allTextContents();
    expect(names.sort()).toEqual([...sc.spanNames].sort());
    // The log-only service sits under its caller, marked as derived from logs.
    const billing = page.locator('.wf-row', { hasText: 'POST /charge' });
    expect(await billing.locator('.kind-logs').textContent()).toBe('from logs');
    expect(await billing.locator('.wf-service').textContent()).toBe('billing');
    // Critical path: the root chain down to the sandbox call, plus the decision and the model
    // call before it;
    // the billing call overlapped the sandbox call and is off it. Other roots have their own.
    const critical = await page.locator('.wf-row:has(.wf-bar.critical) .wf-name').allTextContents();
    expect(critical.sort()).toEqual(
      [
        'POST /chat',
        'call agent',
        'agent.run',
        'chat gpt-4o',
        'choose tool',
        'sandbox exec',
        XSS_SPAN,
        'worker.job',
      ].sort(),
    );
    // Two traces share the request ID: each root says which trace it starts.
    expect(await page.locator('.wf-row .trace-chip').allTextContents()).toEqual([
      `trace ${sc.traceId.slice(0, 8)}`,
      `trace ${sc.otherTraceId.slice(0, 8)}`,
    ]);
    // Log lines are ticks on their span's bar; the sandbox's error line is red.
    const sandboxRow = page
      .locator('.wf-row', { hasText: 'sandbox' })
      .filter({ hasText: 'SERVER' });
    expect(await sandboxRow.locator('.wf-log-tick.tick-error').count()).toBe(1);
    expect(await page.locator('.wf-log-tick').count()).toBe(sc.logMessages.length);
    // LLM calls and agent decisions say what they did in the row itself.
    const badge = (name: string) =>
      page.locator('.wf-row', { hasText: name }).locator('.ai-badge').textContent();
    expect(await badge('chat gpt-4o')).toBe('gpt-4o · 812→120 tok');
    expect(await badge('choose tool')).toBe('tool_choice → sandbox');
    const header = await page.textContent('.trace-header');
    expect(header).toContain(sc.traceId);
    expect(header).toContain(sc.otherTraceId);
    for (const s of sc.services) expect(header).toContain(s);
    expect(header).toContain('First error in sandbox');
    await shot(page, '02-trace');
  });

  it('shows span details with the exception stack, and Esc closes them', async () => {
    await page.locator('.wf-row', { hasText: 'chat gpt-4o' }).click();
    const details = page.locator('.details');
    await poll(() => details.textContent()).toContain('gen_ai.request.model');
    expect(await details.textContent()).toContain('gpt-4o');
    expect(await details.textContent()).toContain('calling model gpt-4o');
    await page
      .locator('.wf-row', { hasText: 'exec' })
      .filter({ hasText: 'sandbox' })
      .last()
      .click();
    await poll(() => details.locator('.stack').textContent()).toContain('TimeoutError');
    await shot(page, '03-details');
    await page.keyboard.press('Escape');
    await poll(() => page.locator('.details').count()).toBe(0);
    // Events and links: the worker's span was linked to the gateway's root from another trace.
    await page.locator('.wf-row', { hasText: 'worker.job' }).click();
    await poll(() => details.locator('.events').textContent()).toContain('batch_loaded');
    expect(await details.locator('.events').textContent()).toContain('batch.size');
    await details.locator('.links button', { hasText: 'POST /chat' }).click();
    await poll(() => details.locator('h3').textContent()).toBe('POST /chat');
    await page.keyboard.press('Escape');
    await poll(() => page.locator('.details').count()).toBe(0);
  });

  it('filters spans by name and by attribute', async () => {
    await page.fill('input[aria-label="Filter spans"]', 'gpt-4o');
    await poll(() => page.textContent('[data-testid="match-count"]')).toBe('1 match');
    await poll(() => page.locator('.wf-row.matched .wf-name').textContent()).toBe('chat gpt-4o');
    await page.fill('input[aria-label="Filter spans"]', 'python:3.12'); // an attribute value
    await poll(() => page.locator('.wf-row.matched .wf-name').textContent()).toBe(XSS_SPAN);
    expect(await page.textContent('[data-testid="match-count"]')).toBe('1 match');
    // Ancestors stay for context, dimmed; the other trace's root does not match at all.
    expect(await page.locator('.wf-row.dimmed').count()).toBe(4);
    expect(await page.locator('.wf-row').count()).toBe(5);
    // The request loaded in outline: a plain span's attributes come in when the filter asks.
    const loads = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => e.name),
    );
    expect(loads.some((u) => u.includes('outline=true'))).toBe(true);
    await page.fill('input[aria-label="Filter spans"]', 'http.request.method=post');
    await poll(() => page.locator('.wf-row.matched .wf-name').textContent()).toBe('POST /chat');
    await page.fill('input[aria-label="Filter spans"]', '');
    await poll(() => page.locator('.wf-row').count()).toBe(sc.spanNames.length);
  });

  it('lists every log line of the request and jumps from a line to its span', async () => {
    await page.click('button.tab:has-text("Logs")');
    await poll(() => page.locator('[data-log-row]').count()).toBe(sc.logMessages.length);
    const messages = await page.locator('[data-log-row] .log-message').allTextContents();
    expect(messages).toEqual(sc.logMessages); // oldest first, interleaved across services
    await page.fill('input[aria-label="Filter log lines"]', 'gpt-4o');
    await poll(() => page.locator('[data-log-row]').count()).toBe(1);
    await shot(page, '04-trace-logs');
    await page.click('[data-log-row] .log-jump');
    await poll(() => page.locator('.wf-row.selected .wf-name').textContent()).toBe('chat gpt-4o');
    expect(page.url()).toContain('span=');
  });

  it('keeps HTML in span names and log lines inert', async () => {
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('.wf-row img, .log-row img, .log-line img').count()).toBe(0);
    await page.goto(`${server.url}/logs?q=bad%20input`);
    await poll(() => page.locator('[data-log-line] .log-message').first().textContent()).toBe(
      XSS_LOG,
    );
    expect(await page.locator('[data-log-line] img, script:not([src])').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('searches traces by service and keeps the query in the URL', async () => {
    await page.goto(server.url);
    await page.selectOption('select[name="service"]', 'python-worker');
    await page.click('button:has-text("Find traces")');
    await page.waitForURL('**/?service=python-worker*');
    await poll(() => page.locator('.result-table tbody tr').count()).toBe(1);
    expect(await page.textContent('.result-table')).toContain('worker.job');
    await page.goto(`${server.url}/?tags=${encodeURIComponent('sandbox.image=python:3.12')}`);
    await poll(() => page.locator('.result-table tbody tr').count()).toBe(1);
    expect(await page.inputValue('input[name="tags"]')).toBe('sandbox.image=python:3.12');
    await page.goto(`${server.url}/?errors=true`);
    await poll(() => page.locator('.result-table tbody tr').count()).toBe(1);
    expect(await page.textContent('.result-table')).toContain('POST /chat');
    expect(await page.locator('.scatter circle.point-error').count()).toBe(1);
    await shot(page, '05-search-results');
    await page.locator('.scatter circle.point-error').click();
    await page.waitForURL(`**/trace/${sc.traceId}`);
    await poll(() => page.textContent('[data-testid="request-id"]')).toBe(sc.requestId);
  });

  it('shows RED stats per service and the dependency map', async () => {
    await page.goto(`${server.url}/services`);
    const table = page.locator('[data-testid="red-table"]');
    await poll(() => table.locator('tr[data-service-row]').count()).toBeGreaterThanOrEqual(3);
    for (const s of ['gateway', 'agent', 'sandbox']) {
      expect(await table.locator(`tr[data-service-row="${s}"]`).count()).toBe(1);
    }
    expect(await table.locator('tr[data-service-row="sandbox"] .text-error').textContent()).toBe(
      '100%',
    );
    await poll(() => page.locator('[data-edge="gateway->agent"]').count()).toBe(1);
    expect(await page.locator('[data-edge="agent->sandbox"]').textContent()).toContain('err');
    await table.locator('tr[data-service-row="agent"]').click();
    await poll(() => page.locator('.chart svg').count()).toBe(3);
    expect(await page.locator('.op-row').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('chat gpt-4o')]),
    );
    await shot(page, '06-services');
    // A service keeps its colour from page to page (and no two services here share one).
    const dot = (scope: string, service: string) =>
      page
        .locator(`${scope} .service-tag`, { hasText: service })
        .first()
        .locator('.dot')
        .evaluate((el) => (el as unknown as { style: { background: string } }).style.background);
    const onServices = await Promise.all(
      sc.services.slice(0, 3).map((s) => dot('[data-testid="red-table"]', s)),
    );
    expect(new Set(onServices).size).toBe(3);
    await page.goto(`${server.url}/trace/${sc.requestId}`);
    await page.locator('.trace-services').waitFor();
    const onTrace = await Promise.all(
      sc.services.slice(0, 3).map((s) => dot('.trace-services', s)),
    );
    expect(onTrace).toEqual(onServices);
  });

  it('live-tails logs: a line sent after the page opened appears without a reload', async () => {
    await page.goto(`${server.url}/logs?tail=1`);
    await poll(() => page.locator('[data-log-line]').count()).toBe(sc.logMessages.length);
    const svc = new OtelService('late-service', server.url);
    svc.log({
      message: 'a brand new line',
      event: 'late_event',
      requestId: 'req_00000000beef',
      at: Date.now(),
    });
    await svc.flush();
    await svc.shutdown();
    await poll(() => page.locator('[data-log-line]').first().textContent()).toContain(
      'a brand new line',
    );
    await shot(page, '07-logs-tail');
    await page.locator('[data-log-line]').first().locator('.req-link').click();
    await page.waitForURL('**/trace/req_00000000beef*');
    await poll(() => page.textContent('[data-testid="log-count"]')).toBe('1');
  });

  it('opens a pasted traceparent header straight away', async () => {
    await page.goto(server.url);
    await page.fill('input[name="id"]', `traceparent: 00-${sc.traceId}-00f067aa0ba902b7-01`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/trace/00-${sc.traceId}-00f067aa0ba902b7-01`);
    // A trace ID is widened to its request: the other trace sharing the request ID is there too.
    await poll(() => page.textContent('[data-testid="request-id"]')).toBe(sc.requestId);
    expect(await page.textContent('.trace-header')).toContain(sc.otherTraceId);
  });

  it('says what is wrong when a request is unknown or the ID is malformed', async () => {
    await page.goto(`${server.url}/trace/req_doesnotexist`);
    await poll(() => page.textContent('.error-box')).toContain('Not found');
    await page.goto(server.url);
    await page.fill('input[name="id"]', 'not an id!');
    await page.keyboard.press('Enter');
    expect(await page.textContent('.field-problem')).toContain('Expected a request ID');
  });
});

describe.skipIf(skipBrowser)('web UI with a query token', () => {
  it('prompts for the token on 401, stores it and sends it as Bearer', async () => {
    requireChromium();
    const ui = await buildUi();
    const server = await uiServer(ui.dir, { queryToken: 's3cret-token' });
    const browser = await launchBrowser();
    try {
      const svc = new OtelService('tokened', server.url);
      svc.span({
        name: 'GET /x',
        t0: Date.now() - 1000,
        offsetMs: 0,
        durationMs: 5,
        kind: SpanKind.SERVER,
      });
      await svc.flush();
      await svc.shutdown();
      const page = await newPage(browser);
      await page.goto(`${server.url}/services`);
      await page.locator('input[name="token"]').waitFor();
      await shot(page, '08-token');
      await page.fill('input[name="token"]', 's3cret-token');
      await page.keyboard.press('Enter');
      await poll(() => page.locator('tr[data-service-row="tokened"]').count()).toBe(1);
      expect(
        await page.evaluate(
          (key) => (globalThis as unknown as BrowserGlobals).localStorage.getItem(key),
          TOKEN_KEY, // runs in the page: the key travels as an argument
        ),
      ).toBe('s3cret-token');
      expect(await page.locator('input[name="token"]').count()).toBe(0);
    } finally {
      await browser.close();
      await server.stop();
      ui.cleanup();
    }
  });
});
