import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../src/server.js';
import {
  buildUi,
  launchBrowser,
  newPage,
  poll,
  requireChromium,
  skipBrowser,
  uiServer,
} from './harness.js';
import { sendBigTrace } from './scenario.js';

// A browser, a server and Vite on a shared 2-core machine: generous limits, no timing asserts.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 180_000 });

const N = 50_000;
const RID = 'req_50k0000000aa';

// Opening only; how fast it opens is measured by `npm run bench -- ui`.
describe.skipIf(skipBrowser)('a 50,000-span trace in the web UI', () => {
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let server: ServerHandle & { stop: () => Promise<void> };
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    requireChromium();
    ui = await buildUi();
    server = await uiServer(ui.dir);
    await sendBigTrace(server.url, N, RID);
    browser = await launchBrowser();
    page = await newPage(browser);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    ui?.cleanup();
  });

  it('opens collapsed to an outline, with every span counted', async () => {
    await page.goto(`${server.url}/trace/${RID}`, { timeout: 60_000 });
    await page.locator('.wf-row').first().waitFor({ timeout: 60_000 });
    expect(await page.textContent('[data-testid="span-count"]')).toBe('50,000');
    const shown = Number(await page.getAttribute('[data-testid="waterfall"]', 'data-rows'));
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThanOrEqual(400);
    // Virtualised: the DOM holds a screenful of rows, not the whole trace.
    expect(await page.locator('.wf-row').count()).toBeLessThan(80);
  });

  it('expands all 50,000 rows and scrolls to the last one', async () => {
    await page.click('button:has-text("Expand all")');
    await poll(() => page.getAttribute('[data-testid="waterfall"]', 'data-rows')).toBe(String(N));
    expect(await page.locator('.wf-row').count()).toBeLessThan(80);
    await page.$eval('[data-testid="waterfall"]', (el) => {
      el.scrollTop = el.scrollHeight;
    });
    // Depth-first order ends by following the last child down: op-10, op-110, … (10-ary tree).
    let last = 0;
    while (last * 10 + 10 < N) last = last * 10 + 10;
    await poll(() => page.locator('.wf-row .wf-name').last().textContent()).toBe(`op-${last}`);
  });

  it('finds one span among 50,000 by name', async () => {
    await page.fill('input[aria-label="Filter spans"]', 'op-31337');
    await poll(() => page.textContent('[data-testid="match-count"]')).toBe('1 match');
    await page.locator('.wf-row.matched').click();
    await poll(() => page.locator('.details h3').textContent()).toBe('op-31337');
  });
});
