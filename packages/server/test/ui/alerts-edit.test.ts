/**
 * Issue 12, editing alert rules in the browser: a real server (port 0, query token) started with
 * a temp rules file; Chromium opens the Alerts page, breaks a rule (the server's message shows
 * beside the line it names and the file stays as it was), then fixes it (saved, the new rule is
 * listed and evaluated, the old file kept as .bak).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildUi,
  launchBrowser,
  newPage,
  poll,
  requireChromium,
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

const TOKEN = 'alerts-edit-token';
const ORIGINAL = `evaluation_interval: 1s
rules:
  - name: gateway-errors
    kind: error_rate
    service: gateway
    threshold: 0.05
    window: 5m
`;
// Line 11 holds the misspelt key; the rule starting on line 8 then lacks threshold_ms.
const BROKEN = `${ORIGINAL}  - name: checkout-latency
    kind: latency
    service: checkout
    treshold_ms: 800
`;
const FIXED = BROKEN.replace('treshold_ms', 'threshold_ms');

describe.skipIf(skipBrowser)('editing alert rules in Chromium', () => {
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let server: Awaited<ReturnType<typeof uiServer>>;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-alerts-edit-'));
  const file = join(dir, 'alerts.yaml');

  beforeAll(async () => {
    requireChromium();
    writeFileSync(file, ORIGINAL);
    ui = await buildUi();
    server = await uiServer(ui.dir, { alertsFile: file, queryToken: TOKEN });
    browser = await launchBrowser();
    page = await newPage(browser, TOKEN);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    ui?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the rules file in the editor', async () => {
    await page.goto(`${server.url}/alerts`);
    await page.getByTestId('edit-rules').click();
    const area = page.getByTestId('rules-text');
    await poll(() => area.inputValue()).toBe(ORIGINAL);
  });

  it('shows the server’s validation error beside the line it names, and saves nothing', async () => {
    await page.getByTestId('rules-text').fill(BROKEN);
    await page.getByTestId('rules-save').click();
    const inline = page.getByTestId('rule-inline-error');
    await poll(() =>
      inline.evaluateAll((els) => els.map((e) => e.getAttribute('data-line'))),
    ).toEqual(['8', '11']);
    await expect(inline.nth(1).textContent()).resolves.toContain(
      'rules[1].treshold_ms: unknown key "treshold_ms"',
    );
    await expect(inline.nth(0).textContent()).resolves.toContain('rules[1].threshold_ms (missing)');
    const marked = page.locator('.rule-line-error');
    await expect(
      marked.evaluateAll((els) => els.map((e) => e.getAttribute('data-line'))),
    ).resolves.toEqual(['8', '11']);
    await expect(page.getByTestId('rules-problems').textContent()).resolves.toContain('line 11');
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    await shot(page, 'alerts-edit-refused');
  });

  it('saves the fixed rules: the new rule is listed and evaluated, the old file kept', async () => {
    await page.getByTestId('rules-text').fill(FIXED);
    await page.getByTestId('rules-save').click();
    await poll(() => page.getByTestId('rules-saved').textContent()).toContain('2 in force');
    await page.getByTestId('rules-editor').waitFor({ state: 'detached' });
    const row = page.locator('tr[data-rule="checkout-latency"]');
    await poll(() => row.count()).toBe(1);
    await expect(row.textContent()).resolves.toContain('latency');
    expect(readFileSync(file, 'utf8')).toBe(FIXED);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(ORIGINAL);
    await shot(page, 'alerts-edit-saved');
  });
});
