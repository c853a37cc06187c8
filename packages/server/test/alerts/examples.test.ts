/**
 * Alert examples name a request /api/debug/trace/:id finds: the failing span's own request ID,
 * else one its trace's other spans or log lines carry (the smallest), else its trace ID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { LogRecord } from '../../src/store/records.js';
import { hex, spanRecord, tempDir } from '../write/helpers.js';

const NOW = BigInt(Date.now()) * 1_000_000n;
const SEC = 1_000_000_000n;
const { dir, cleanup } = tempDir('hopscope-alert-examples-');
const store = new DuckDbStore({ dataDir: dir });
const [own, sibling, logged, bare] = [hex(16), hex(16), hex(16), hex(16)];

/** A failing entry span of `svc-b` (no request ID) at `at` seconds ago. */
const failing = (traceId: string, at: bigint, requestId?: string) =>
  spanRecord({
    traceId,
    service: 'svc-b',
    kind: 2,
    statusCode: 2,
    startNs: NOW - at * SEC,
    requestId,
  });

beforeAll(async () => {
  await store.open();
  const line: LogRecord = {
    timestampNs: NOW - 3n * SEC,
    severityNumber: 9,
    level: 'info',
    service: 'py',
    body: 'handled',
    traceId: logged,
    requestId: 'req_from_a_line',
    attributes: {},
    resource: {},
    source: 'ndjson',
  };
  await store.write({
    spans: [
      failing(own, 1n, 'req_own'),
      // Its sibling in another service carries two request IDs: the smallest is named.
      failing(sibling, 2n),
      spanRecord({
        traceId: sibling,
        service: 'svc-a',
        startNs: NOW - 2n * SEC,
        requestId: 'req_z',
      }),
      spanRecord({
        traceId: sibling,
        service: 'svc-a',
        startNs: NOW - 2n * SEC,
        requestId: 'req_m',
      }),
      failing(logged, 3n),
      failing(bare, 4n),
    ],
    logs: [line],
  });
});

afterAll(async () => {
  await store.close();
  cleanup();
});

describe('alert examples', () => {
  it('name each failing request newest first, by its own ID, its trace’s, or the trace ID', async () => {
    const ids = await store.reader.alertExamples({
      service: 'svc-b',
      where: [],
      startNs: NOW - 60n * SEC,
      endNs: NOW + SEC,
      errorsOnly: true,
      limit: 10,
    });
    expect(ids).toEqual(['req_own', 'req_m', 'req_from_a_line', bare]);
  });
});
