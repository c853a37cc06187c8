/**
 * Issue 7 and 12 in the browser: AI marks, the AI summary bar and decision card in the request
 * view, the AI page, and the Alerts page, against real servers fed by the official OTel SDK.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

vi.setConfig({ testTimeout: 90_000, hookTimeout: 180_000 });

const shots = process.env.HOPSCOPE_UI_SCREENSHOTS;
async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

const RID = 'req_ai_7c1e90';
const UNPRICED_RID = 'req_ai_unpriced_1';

/** One agent request: an agent step, an LLM call (gpt-4o, priced), a decision and a tool call. */
async function sendAiRequest(url: string): Promise<void> {
  const agent = new OtelService('agent', url);
  const t0 = Date.now() - 4_000;
  const root = agent.tracer.startSpan('POST /ask', {
    kind: SpanKind.SERVER,
    startTime: t0,
    attributes: { 'request.id': RID },
  });
  const step = agent.span({
    name: 'invoke_agent planner',
    t0,
    offsetMs: 2,
    durationMs: 400,
    parent: root,
    requestId: RID,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' },
  });
  agent.span({
    name: 'chat gpt-4o',
    t0,
    offsetMs: 5,
    durationMs: 250,
    parent: step,
    kind: SpanKind.CLIENT,
    requestId: RID,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
    },
  });
  agent.span({
    name: 'decide route',
    t0,
    offsetMs: 260,
    durationMs: 3,
    parent: step,
    requestId: RID,
    attributes: {
      'decision.type': 'tool_choice',
      'decision.result': 'web_search',
      'decision.confidence': 0.82,
      'decision.factors': JSON.stringify(['question needs fresh data', 'no cached answer']),
      'decision.alternatives': JSON.stringify(['answer_directly', 'ask_user']),
    },
  });
  agent.span({
    name: 'execute_tool web_search',
    t0,
    offsetMs: 265,
    durationMs: 120,
    parent: step,
    requestId: RID,
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'web_search' },
  });
  root.end(t0 + 420);
  // A second request whose model is in no price table: its cost must not read as $0.
  agent.span({
    name: 'chat acme-llm-9',
    t0,
    offsetMs: 500,
    durationMs: 90,
    kind: SpanKind.CLIENT,
    requestId: UNPRICED_RID,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'acme',
      'gen_ai.request.model': 'acme-llm-9',
      'gen_ai.usage.input_tokens': 50,
      'gen_ai.usage.output_tokens': 5,
    },
  });
  await agent.flush();
  await agent.shutdown();
}

describe.skipIf(skipBrowser)('AI views in Chromium against a real server', () => {
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let server: Awaited<ReturnType<typeof uiServer>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    requireChromium();
    ui = await buildUi();
    server = await uiServer(ui.dir);
    await sendAiRequest(server.url);
    browser = await launchBrowser();
    page = await newPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    ui?.cleanup();
  });

  it('marks LLM, tool, agent and decision spans and sums the request up', async () => {
    await page.goto(`${server.url}/trace/${RID}`);
    const bar = page.getByTestId('ai-summary');
    await bar.waitFor();
    await expect(page.getByTestId('ai-calls').textContent()).resolves.toBe('1');
    await expect(page.getByTestId('ai-models').textContent()).resolves.toContain('gpt-4o');
    const tokens = await page.getByTestId('ai-tokens').textContent();
    expect(tokens).toContain('1000');
    expect(tokens).toContain('200');
    // gpt-4o: 1000 × $2.50/M + 200 × $10/M from the shipped price table.
    await expect(page.getByTestId('ai-cost').textContent()).resolves.toContain('$0.0045');
    await expect(page.getByTestId('ai-unpriced').count()).resolves.toBe(0);
    await expect(page.getByTestId('ai-decisions').textContent()).resolves.toContain(
      'tool_choice → web_search',
    );

    const marks = page.locator('[data-ai-kind]');
    await poll(() => marks.count()).toBe(4);
    const kinds = await marks.evaluateAll((els) =>
      els.map((e) => `${e.getAttribute('data-ai-kind')}:${e.textContent}`),
    );
    expect(kinds.sort()).toEqual([
      'agent:planner',
      'decision:tool_choice → web_search',
      'llm:gpt-4o · 1000→200 tok',
      'tool:web_search',
    ]);
    await shot(page, 'ai-trace');
  });

  it('warns when a call could not be priced instead of showing $0', async () => {
    await page.goto(`${server.url}/trace/${UNPRICED_RID}`);
    await page.getByTestId('ai-summary').waitFor();
    await expect(page.getByTestId('ai-unpriced').textContent()).resolves.toContain(
      '1 call not priced',
    );
    await expect(page.getByTestId('ai-cost').textContent()).resolves.toContain('≥');
    await page.locator('[data-ai-kind="llm"]').click();
    await poll(() => page.getByTestId('llm-card').textContent()).toContain('not priced');
    await page.goto(`${server.url}/trace/${RID}`);
    await page.getByTestId('ai-summary').waitFor();
  });

  it('shows the decision as a card with its factors and alternatives', async () => {
    await page.locator('[data-ai-kind="decision"]').click();
    const card = page.getByTestId('decision-card');
    await card.waitFor();
    const text = await card.textContent();
    expect(text).toContain('tool_choice');
    expect(text).toContain('web_search');
    expect(text).toContain('82%');
    expect(text).toContain('question needs fresh data');
    expect(text).toContain('ask_user');
    await shot(page, 'ai-decision');
  });

  it('shows the model cost on the AI page and links a call to its request', async () => {
    await page.goto(server.url);
    await page.getByRole('link', { name: 'AI', exact: true }).click();
    await poll(() => page.url()).toContain('/ai');
    const models = page.getByTestId('ai-models-table');
    await poll(() => models.textContent()).toContain('gpt-4o');
    const gpt = models.locator('tr', { hasText: 'gpt-4o' }).getByTestId('model-cost');
    await poll(() => gpt.textContent()).toBe('$0.0045');
    await poll(() => models.locator('tr', { hasText: 'acme-llm-9' }).textContent()).toContain(
      '1 unpriced',
    );
    await poll(() => page.getByTestId('series-legend').first().textContent()).toContain('gpt-4o');
    const calls = page.getByTestId('ai-calls-table');
    await poll(() => calls.textContent()).toContain(RID);
    await shot(page, 'ai-page');
    await calls.getByRole('link', { name: RID }).click();
    await poll(() => page.getByTestId('request-id').textContent()).toBe(RID);
  });

  it('says alerts are off when the server runs without rules', async () => {
    await page.goto(`${server.url}/alerts`);
    await poll(() => page.getByTestId('alerts-off').textContent()).toContain('--alerts');
  });
});

describe.skipIf(skipBrowser)('Alerts page in Chromium against a server with rules', () => {
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let server: Awaited<ReturnType<typeof uiServer>>;
  let browser: Browser;
  let page: Page;
  const failed = ['req_fail_01', 'req_fail_02', 'req_fail_03'];

  beforeAll(async () => {
    requireChromium();
    ui = await buildUi();
    server = await uiServer(ui.dir, {
      alerts: {
        evaluation_interval: '200ms',
        rules: [
          {
            name: 'checkout-errors',
            kind: 'error_rate',
            service: 'checkout',
            threshold: 0.5,
            window: '5m',
          },
          { name: 'checkout-slow', kind: 'latency', service: 'checkout', threshold_ms: 60_000 },
        ],
      },
    });
    const svc = new OtelService('checkout', server.url);
    const t0 = Date.now() - 2_000;
    for (const [i, rid] of failed.entries()) {
      svc.span({
        name: 'POST /checkout',
        t0,
        offsetMs: i * 10,
        durationMs: 5,
        kind: SpanKind.SERVER,
        requestId: rid,
        error: new Error('card declined'),
      });
    }
    await svc.flush();
    await svc.shutdown();
    browser = await launchBrowser();
    page = await newPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    ui?.cleanup();
  });

  it('shows the firing alert with request links that open the request', async () => {
    await page.goto(server.url);
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    const firing = page.getByTestId('firing-alert');
    // The page refreshes every 5 s; the rule fires within one 200 ms evaluation.
    await poll(() => firing.count()).toBe(1);
    expect(await firing.textContent()).toContain('checkout-errors');
    const rules = page.getByTestId('alert-rules');
    expect(await rules.locator('[data-rule="checkout-slow"]').textContent()).toContain('inactive');
    expect(await rules.locator('[data-rule="checkout-errors"]').textContent()).toContain('firing');
    await poll(() => page.getByTestId('alert-history').textContent()).toContain('firing');
    await shot(page, 'alerts-page');
    const links = firing.locator('a');
    const ids = await links.allTextContents();
    expect(ids.length).toBeGreaterThan(0);
    expect(failed).toEqual(expect.arrayContaining(ids));
    await links.first().click();
    await poll(() => page.getByTestId('request-id').textContent()).toBe(ids[0]);
    await page.getByText('card declined').first().waitFor();
  });
});
