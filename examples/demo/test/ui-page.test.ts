/**
 * The demo's chat page in a real browser (Debian's Chromium): the request ID is born in the
 * page by @hopscope/browser, shown in the answer's footer with a link into Hopscope, and the
 * server knows that same ID across the services it went through.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugTraceResponse } from '@hopscope/server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The server's browser-test harness builds the UI from source, so this test sees it as it is now.
import { buildUi } from '../../../packages/server/test/ui/harness.js';
import { startTopology, type Topology } from '../src/topology.js';
import { assertSystemParts, missing, tempServer } from './system.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = (missing !== undefined || !existsSync(CHROMIUM)) && !process.env.CI;

describe.skipIf(skip)('the demo chat page', () => {
  let server: Awaited<ReturnType<typeof tempServer>> | undefined;
  let topology: Topology | undefined;
  let browser: Browser | undefined;
  let workDir = '';
  let ui: Awaited<ReturnType<typeof buildUi>> | undefined;

  beforeAll(async () => {
    assertSystemParts();
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    ui = await buildUi();
    process.env.HOPSCOPE_UI_DIR = ui.dir;
    server = await tempServer();
    delete process.env.HOPSCOPE_UI_DIR;
    workDir = mkdtempSync(join(tmpdir(), 'hopscope-demo-ui-'));
    topology = await startTopology({ hopscopeUrl: server.url, workDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await topology?.stop();
    await server?.close();
    ui?.cleanup();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('shows the request ID born in the page under the answer, and the server knows it', async () => {
    const page = await (browser as Browser).newPage();
    const sent: { requestId: string; traceparent: string | undefined }[] = [];
    page.on('request', (r) => {
      const headers = r.headers();
      const id = headers['x-request-id'];
      if (id && r.url().endsWith('/v1/chat/completions')) {
        sent.push({ requestId: id, traceparent: headers.traceparent });
      }
    });
    await page.goto((topology as Topology).gatewayUrl);
    await page.fill('#prompt', 'What is the capital of France?');
    await page.click('button');
    const footer = page.locator('.msg footer code');
    await footer.waitFor();
    const requestId = (await footer.textContent()) ?? '';
    expect(requestId).toMatch(/^req_[0-9a-f]{12}$/);
    expect(sent.map((s) => s.requestId)).toEqual([requestId]);
    // the page's span: the parent the gateway's entry span continues
    const pageSpanId = /^00-[0-9a-f]{32}-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(
      sent[0]?.traceparent ?? '',
    )?.[1];
    expect(pageSpanId, `traceparent sent by the page: ${sent[0]?.traceparent}`).toBeDefined();
    await page.locator('.msg div', { hasText: 'Paris' }).waitFor();
    expect(await page.locator('.msg footer a').getAttribute('href')).toBe(
      `${server?.url}/trace/${requestId}`,
    );

    // The entry is the gateway's own server span (not one the server derives from the gateway's
    // request_completed log line while the real span is still in flight: that one has no
    // parent and no upstream.service), continuing the page's span named by the traceparent the
    // page sent (the page exports no spans). It is exported last (it ends when the streamed
    // answer does): poll until it and every service are there.
    const entryOf = (t: DebugTraceResponse | undefined) =>
      t?.spans.find(
        (s) =>
          s.service === 'gateway' &&
          s.kind === 'server' &&
          !s.derived_from_logs &&
          s.parent_span_id === pageSpanId,
      );
    const services = ['gateway', 'python-worker', 'baseline', 'llm-provider'];
    // `services` also names services seen only in log lines: wait for each one's spans too
    const spanServices = (t: DebugTraceResponse | undefined) =>
      new Set((t?.spans ?? []).map((s) => s.service));
    const ready = (t: DebugTraceResponse | undefined) =>
      t !== undefined &&
      services.every((s) => t.services.includes(s) && spanServices(t).has(s)) &&
      entryOf(t) !== undefined;
    let trace: DebugTraceResponse | undefined;
    const deadline = Date.now() + 30_000;
    while (!ready(trace)) {
      if (Date.now() > deadline) {
        throw new Error(
          `trace ${requestId} not complete after 30 s: wanted spans of ${services.join(', ')} and ` +
            `a gateway server span with parent ${pageSpanId}; got services ` +
            `${trace?.services.join(', ') ?? '(no trace)'} and spans ` +
            (trace?.spans
              .map(
                (s) =>
                  `${s.service}/${s.kind}/${s.name} parent=${s.parent_span_id}` +
                  (s.derived_from_logs ? ' (derived from logs)' : ''),
              )
              .join('; ') ?? '(none)'),
        );
      }
      const r = await fetch(`${server?.url}/api/debug/trace/${requestId}`);
      if (r.ok) trace = (await r.json()) as DebugTraceResponse;
      else await r.body?.cancel();
      if (!ready(trace)) await new Promise((res) => setTimeout(res, 250));
    }
    expect(trace?.request_ids).toEqual([requestId]);
    expect(trace?.services).toEqual(
      expect.arrayContaining(['gateway', 'python-worker', 'baseline', 'llm-provider']),
    );
    const entry = entryOf(trace);
    expect(entry?.attributes['upstream.service']).toBe('ui');

    // The footer's link opens the request in Hopscope's own UI, with every service as a row.
    await page.goto(`${server?.url}/trace/${requestId}`);
    await expect
      .poll(() => page.textContent('[data-testid="request-id"]'), { timeout: 20_000 })
      .toBe(requestId);
    // Every service with spans is a row. (`services` also names services seen only in log
    // lines, such as ingestion when its span is still in flight: those have no row.) Rows are
    // virtualised, so each service is brought into view by filtering for it.
    const withSpans = [...spanServices(trace)];
    expect(withSpans).toEqual(
      expect.arrayContaining(['gateway', 'python-worker', 'baseline', 'llm-provider']),
    );
    for (const service of withSpans) {
      await page.fill('input[aria-label="Filter spans"]', service);
      await expect
        .poll(() => page.locator('.wf-row .wf-service').allTextContents(), { timeout: 20_000 })
        .toContain(service);
    }
  });
});
