import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../../test/otlp-receiver.js';
import { getDroppedCounts, getExportedCounts } from '../../trace/drops.js';
import { type LineExporterOptions, LineLogExporter } from './line-exporter.js';

const resource = resourceFromAttributes({ 'service.name': 'line-exporter-test' });

function exporter(url: string, options: Partial<LineExporterOptions> = {}) {
  return new LineLogExporter({
    url: `${url}/v1/logs`,
    compression: 'gzip',
    timeoutMs: 2_000,
    exportDelayMs: 60_000,
    maxQueueSize: 2_048,
    maxExportBatchSize: 512,
    resource,
    scope: { name: 'hopscope', version: 'test' },
    ...options,
  });
}

const line = (i: number) =>
  `${JSON.stringify({ level: 'info', timestamp: new Date(1_700_000_000_000 + i).toISOString(), event: 'tick', i, message: 'tick' })}\n`;

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
};

describe('LineLogExporter', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  async function receiver(delayMs = 0) {
    const r = new OtlpReceiver();
    r.delayMs = delayMs;
    const url = await r.start();
    cleanup.push(() => r.stop());
    return { r, url };
  }

  it('sends full batches without waiting for the delay, never inside emitLine', async () => {
    const { r, url } = await receiver();
    const ex = exporter(url);
    cleanup.push(() => ex.shutdown());
    for (let i = 0; i < 1_200; i++) ex.emitLine(line(i), 1_700_000_000_000 + i, 1);
    expect(r.requests).toHaveLength(0); // nothing sent on the caller's turn
    await until(() => r.logs().length >= 1_024);
    expect(r.logs().length).toBe(1_024); // two full batches; the rest waits for the delay
    await ex.forceFlush();
    const logs = r.logs();
    expect(r.requests.map((q) => q.path)).toEqual(['/v1/logs', '/v1/logs', '/v1/logs']);
    expect(logs.map((l) => l.attributes.i)).toEqual(Array.from({ length: 1_200 }, (_, i) => i));
    expect(logs[0]?.resource['service.name']).toBe('line-exporter-test');
  });

  it('exports a flat record with the fields it had at the call, whatever the caller does after', async () => {
    const { r, url } = await receiver();
    const ex = exporter(url);
    cleanup.push(() => ex.shutdown());
    const fields: Record<string, unknown> = { step: 1, who: 'a' };
    const record = (i: number) => ({
      timeMs: 1_700_000_000_000 + i,
      traceFlags: 1,
      level: 'info' as const,
      message: 'tick',
      event: 'tick',
      requestId: `req_00000000000${i}`,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      fields,
    });
    ex.emitFlat(record(1));
    fields.step = 2; // the caller reuses its object
    fields.who = 'b';
    fields.added = true;
    ex.emitFlat(record(2));
    delete fields.who;
    ex.emitFlat({ ...record(3), fields: {} });
    await ex.forceFlush();
    const logs = r.logs();
    expect(logs.map((l) => [l.attributes.step, l.attributes.who, l.attributes.added])).toEqual([
      [1, 'a', undefined],
      [2, 'b', true],
      [undefined, undefined, undefined],
    ]);
    expect(logs.map((l) => l.attributes['request.id'])).toEqual([
      'req_000000000001',
      'req_000000000002',
      'req_000000000003',
    ]);
  });

  it('sends a partial batch after exportDelayMs', async () => {
    const { r, url } = await receiver();
    const ex = exporter(url, { exportDelayMs: 30 });
    cleanup.push(() => ex.shutdown());
    ex.emitLine(line(1), 1_700_000_000_001, 0);
    await until(() => r.logs().length === 1);
    expect(r.logs()).toHaveLength(1);
  });

  it('keeps at most maxQueueSize lines while the collector is slow, counting every drop', async () => {
    const { url } = await receiver(1_500);
    const before = { dropped: getDroppedCounts().logs, exported: getExportedCounts().logs };
    const ex = exporter(url, { maxQueueSize: 10, maxExportBatchSize: 5, timeoutMs: 300 });
    for (let i = 0; i < 100; i++) ex.emitLine(line(i), 1_700_000_000_000 + i, 0);
    // 10 fit the queue, the other 90 are refused on the spot
    expect(getDroppedCounts().logs - before.dropped).toBe(90);
    await ex.shutdown(); // the slow collector times each batch out: those count as dropped too
    expect(getDroppedCounts().logs - before.dropped).toBe(100);
    expect(getExportedCounts().logs - before.exported).toBe(0);
    ex.emitLine(line(0), 0, 0); // after shutdown: refused and counted, never thrown
    expect(getDroppedCounts().logs - before.dropped).toBe(101);
  });

  it('retries a 503 after its Retry-After and counts the batch as exported', async () => {
    const bodies: number[] = [];
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        bodies.push(bodies.length);
        if (bodies.length === 1) {
          res.writeHead(503, { 'retry-after': '0' });
          res.end();
        } else res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const before = { dropped: getDroppedCounts().logs, exported: getExportedCounts().logs };
    const ex = exporter(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    for (let i = 0; i < 3; i++) ex.emitLine(line(i), 1_700_000_000_000 + i, 0);
    await ex.shutdown();
    expect(bodies).toHaveLength(2);
    expect(getExportedCounts().logs - before.exported).toBe(3);
    expect(getDroppedCounts().logs - before.dropped).toBe(0);
  });

  it('skips a line that is not a JSON object and exports the rest', async () => {
    const { r, url } = await receiver();
    const ex = exporter(url);
    ex.emitLine('not json\n', 1, 0);
    ex.emitLine(line(7), 1_700_000_000_007, 0);
    await ex.shutdown();
    expect(r.logs().map((l) => l.attributes.i)).toEqual([7]);
  });
});
