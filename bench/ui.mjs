// `npm run bench -- ui [--runs=N] [--sizes=1000,10000,50000]`: how fast the web UI opens a request of 1k, 10k and 50k spans
// in headless Chromium (Debian's /usr/bin/chromium via playwright-core), against a real server
// fed through the official OpenTelemetry SDK and OTLP/protobuf exporter.
//
// For each size it reports, from navigation start: the query API answer (resource timing), the
// first waterfall row on screen (first render), and the first input handled — a click on a row
// opening its details (interactive). The alternative measured in the same run is the naive
// waterfall: the same JSON fetched and every span drawn as its own DOM row (what a UI without
// virtualisation does); ratios are Hopscope / naive. Goal: 50k spans interactive < 2 s.
// Needs a build (`npm run build`): it imports packages/server/dist and serves packages/ui/dist.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intArg as arg, intListArg } from './_args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const serverDist = join(here, '..', 'packages', 'server', 'dist', 'index.js');
const uiDist = join(here, '..', 'packages', 'ui', 'dist', 'index.html');
const CHROMIUM = '/usr/bin/chromium';
const SIZES = [1_000, 10_000, 50_000];

/** A 10-ary tree of `n` spans over five services, children splitting their parent's time. */
export async function sendTrace(url, n, requestId) {
  const { context, trace, SpanKind } = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const providers = ['gateway', 'agent', 'tools', 'sandbox', 'llm-proxy'].map(
    (name) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': name }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }), {
            maxQueueSize: 100_000,
            maxExportBatchSize: 2000,
            scheduledDelayMillis: 50,
          }),
        ],
      }),
  );
  const tracers = providers.map((p) => p.getTracer('bench'));
  const t0 = Date.now() - 30_000;
  const spans = [];
  const times = [];
  for (let i = 0; i < n; i++) {
    let start = 0;
    let end = 10_000;
    let parent;
    if (i > 0) {
      const p = Math.floor((i - 1) / 10);
      const w = (times[p][1] - times[p][0]) / 10;
      start = times[p][0] + ((i - 1) % 10) * w + w * 0.05;
      end = start + w * 0.9;
      parent = spans[p];
    }
    times.push([start, end]);
    spans.push(
      tracers[i === 0 ? 0 : 1 + (i % 4)].startSpan(
        `op-${i}`,
        {
          kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
          startTime: t0 + start,
          attributes: { 'request.id': requestId, 'op.index': i, 'gen_ai.system': 'openai' },
        },
        parent ? trace.setSpan(context.active(), parent) : context.active(),
      ),
    );
  }
  for (let i = n - 1; i >= 0; i--) spans[i].end(t0 + times[i][1]);
  for (const p of providers) await p.forceFlush();
  for (const p of providers) await p.shutdown();
}

/** In the page before any script: note when the first row appears, then click it at once. */
function probe() {
  const marks = {};
  window.__marks = marks;
  const obs = new MutationObserver(() => {
    if (!marks.firstRow) {
      const row = document.querySelector('.wf-row');
      if (!row) return;
      marks.firstRow = performance.now();
      // Queued behind whatever the main thread still has to do: the first input it can handle.
      setTimeout(() => {
        marks.clickAt = performance.now();
        row.click();
      }, 0);
    } else if (!marks.details && document.querySelector('.details')) {
      marks.details = performance.now();
      obs.disconnect();
    }
  });
  obs.observe(document, { childList: true, subtree: true });
}

async function openInUi(browser, url, requestId) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(probe);
  const page = await ctx.newPage();
  await page.goto(`${url}/trace/${requestId}`);
  await page.waitForFunction(() => window.__marks?.details, null, { timeout: 120_000 });
  const r = await page.evaluate(() => {
    const api = performance
      .getEntriesByType('resource')
      .find((e) => e.name.includes('/api/debug/trace/'));
    const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? Number.NaN;
    return {
      api: api?.responseEnd ?? Number.NaN,
      json: mark('hopscope:trace-json'),
      model: mark('hopscope:trace-model'),
      ...window.__marks,
    };
  });
  await ctx.close();
  return {
    api: r.api,
    parse: r.json - r.api,
    model: r.model - r.json,
    render: r.firstRow - r.model,
    firstRender: r.firstRow,
    interactive: r.details,
  };
}

/** The alternative: fetch the same JSON, draw every span as a DOM row, wait for layout. */
async function openNaive(browser, url, requestId) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${url}/api/health`);
  const r = await page.evaluate(async (id) => {
    const t0 = performance.now();
    const data = await (await fetch(`/api/debug/trace/${id}`)).json();
    const tApi = performance.now();
    document.body.innerHTML = '';
    const start = data.start_us;
    const total = Math.max(1, data.end_us - start);
    const frag = document.createDocumentFragment();
    for (const s of data.spans) {
      const row = document.createElement('div');
      row.style.cssText = 'display:flex;height:24px;font:12px sans-serif';
      const label = document.createElement('div');
      label.style.cssText = `width:40%;padding-left:${s.depth * 14}px;white-space:nowrap;overflow:hidden`;
      label.textContent = `${s.service} ${s.name}`;
      const lane = document.createElement('div');
      lane.style.cssText = 'flex:1;position:relative';
      const bar = document.createElement('div');
      bar.style.cssText = `position:absolute;top:6px;height:12px;background:#4f6bed;left:${((s.start_us - start) / total) * 100}%;width:${((s.duration_ms * 1000) / total) * 100}%`;
      lane.append(bar);
      row.append(label, lane);
      row.addEventListener('click', () => row.setAttribute('data-selected', ''));
      frag.append(row);
    }
    document.body.append(frag);
    void document.body.offsetHeight; // layout
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))); // paint
    const tRender = performance.now();
    document.body.firstElementChild.click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return { api: tApi - t0, firstRender: tRender - t0, interactive: performance.now() - t0 };
  }, requestId);
  await ctx.close();
  return r;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '–');

export default async function run(argv = process.argv.slice(2)) {
  const runs = arg(argv, 'runs', 3);
  if (!existsSync(serverDist) || !existsSync(uiDist)) {
    console.error(
      'bench ui: build first (`npm run build`): needs packages/server/dist and packages/ui/dist',
    );
    process.exitCode = 2;
    return;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`bench ui: Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
    process.exitCode = 2;
    return;
  }
  const { startServer } = await import(pathToFileURL(serverDist).href);
  const { chromium } = await import('playwright-core');
  const dataDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-ui-'));
  const server = await startServer({ port: 0, grpcPort: false, dataDir });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const rows = [];
    for (const n of intListArg(argv, 'sizes', SIZES)) {
      const rid = `req_bench${String(n).padStart(7, '0')}`;
      const t = performance.now();
      await sendTrace(server.url, n, rid);
      console.log(`sent ${n} spans through OTLP in ${ms(performance.now() - t)}`);
      await openInUi(browser, server.url, rid); // warm the server's caches and the browser's
      const ui = [];
      const naive = [];
      for (let i = 0; i < runs; i++) {
        ui.push(await openInUi(browser, server.url, rid));
        naive.push(await openNaive(browser, server.url, rid));
      }
      const pick = (xs, k) => median(xs.map((x) => x[k]));
      rows.push({
        n,
        api: pick(ui, 'api'),
        parse: pick(ui, 'parse'),
        model: pick(ui, 'model'),
        render: pick(ui, 'render'),
        first: pick(ui, 'firstRender'),
        inter: pick(ui, 'interactive'),
        nFirst: pick(naive, 'firstRender'),
        nInter: pick(naive, 'interactive'),
      });
    }
    console.log(`\nmedian of ${runs} runs, ms from navigation start (naive: from its fetch)\n`);
    console.log(
      '| spans | API answered | first render | interactive | naive first render | naive interactive | first render vs naive | interactive vs naive |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(
        `| ${r.n.toLocaleString('en-US')} | ${ms(r.api)} | ${ms(r.first)} | ${ms(r.inter)} | ${ms(r.nFirst)} | ${ms(r.nInter)} | ${(r.first / r.nFirst).toFixed(2)}× | ${(r.inter / r.nInter).toFixed(2)}× |`,
      );
    }
    console.log('\nWhere the UI spends its time after the API answered (median ms):\n');
    console.log(
      '| spans | JSON parse | span tree + critical path | first render | UI total (interactive − API) |',
    );
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(
        `| ${r.n.toLocaleString('en-US')} | ${ms(r.parse)} | ${ms(r.model)} | ${ms(r.render)} | ${ms(r.inter - r.api)} |`,
      );
    }
    const big = rows.at(-1);
    console.log(
      `\n50k spans interactive in ${ms(big.inter)}: goal < 2000 ms ${big.inter < 2000 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await run();
