/**
 * Edge cases of the request lookup on a real DuckDB file: requests whose traces lie hours apart,
 * requests made only of log lines, log lines of a trace with no spans or far from its spans,
 * log-derived spans from a duration_ms alone or a request_failed line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugTraceResponse } from '../../src/api/types.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { InvalidCursorError } from '../../src/store/reader.js';
import type { LogRecord, SpanRecord } from '../../src/store/records.js';
import { serveApi, type TestApi } from './http.js';

const MS = 1_000_000n;
const HOUR = 3_600_000n * MS;
const NOW = (BigInt(Date.now()) / 1000n) * 1000n * MS;
const REQ = 'req_c0c0c0c0c0c0';
const LOGS_ONLY = 'req_10910910910a';
const MANY = 'req_many0many0many';
const TA = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const TB = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const TL = 'ccccccccccccccccccccccccccccccc3';
/** A trace whose spans do not carry their request ID; one of its log lines does. */
const TD = 'ddddddddddddddddddddddddddddddd4';
const VIA_LOG = 'req_v1a10911ne';

function span(
  traceId: string,
  spanId: string,
  service: string,
  startNs: bigint,
  requestId?: string,
): SpanRecord {
  return {
    traceId,
    spanId,
    name: `${service} work`,
    kind: 2,
    service,
    startNs,
    durationNs: 10n * MS,
    statusCode: 0,
    requestId,
    attributes: requestId ? { 'request.id': requestId } : {},
    resource: { 'service.name': service },
    events: [],
    links: [],
  };
}

function line(
  p: Partial<LogRecord> & Pick<LogRecord, 'timestampNs' | 'service' | 'body'>,
): LogRecord {
  return { severityNumber: 9, level: 'info', attributes: {}, resource: {}, source: 'ndjson', ...p };
}

let dir: string;
let store: DuckDbStore;
let api: TestApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-lookup-'));
  store = new DuckDbStore({ dataDir: dir });
  await store.open();
  // Filler between the two halves of REQ, so they land in different row groups' ranges.
  const filler: SpanRecord[] = Array.from({ length: 2000 }, (_, i) =>
    span(
      i.toString(16).padStart(32, 'f'),
      i.toString(16).padStart(16, 'e'),
      'filler',
      NOW - 3n * HOUR + BigInt(i) * 5000n * MS,
    ),
  );
  await store.write({
    spans: [span(TA, 'a000000000000001', 'early', NOW - 5n * HOUR, REQ)],
    logs: [
      line({
        timestampNs: NOW - 5n * HOUR + MS,
        service: 'early',
        body: 'old line',
        requestId: REQ,
      }),
    ],
  });
  await store.write({ spans: filler, logs: [] });
  // Six traces of one request, 40 minutes apart: more clusters than the lookup scans separately.
  await store.write({
    spans: Array.from({ length: 6 }, (_, k) =>
      span(
        `${k}`.padStart(32, '9'),
        `${k}`.padStart(16, '9'),
        `svc${k}`,
        NOW - BigInt(k * 40) * 60_000n * MS,
        MANY,
      ),
    ),
    logs: [],
  });
  await store.write({
    spans: [span(TB, 'b000000000000001', 'late', NOW - 10n * MS, REQ)],
    logs: [
      // A request made only of log lines: no trace, no span.
      line({
        timestampNs: NOW - 30n * MS,
        service: 'cron',
        event: 'job_started',
        body: 'job',
        requestId: LOGS_ONLY,
      }),
      line({
        timestampNs: NOW - 20n * MS,
        service: 'cron',
        level: 'error',
        event: 'job_failed',
        body: 'job failed',
        requestId: LOGS_ONLY,
        attributes: { error: 'disk full', error_type: 'OSError' },
      }),
      // A log-only service with duration_ms and no request_received line; failed.
      line({
        timestampNs: NOW - 5n * MS,
        service: 'py',
        event: 'request_failed',
        body: 'request failed',
        traceId: TB,
        spanId: 'd000000000000001',
        requestId: REQ,
        level: 'error',
        attributes: {
          parent_span_id: 'b000000000000001',
          duration_ms: '4.5',
          error: 'KeyError: x',
          error_type: 'KeyError',
        },
      }),
      // OTLP log lines of a trace that has no spans at all.
      line({
        timestampNs: NOW - 1n * MS,
        service: 'otel-logs-only',
        body: 'hello',
        traceId: TL,
        source: 'otlp',
      }),
    ],
  });
  await store.write({
    spans: [
      span(TD, 'd100000000000001', 'untagged', NOW - 2n * HOUR),
      {
        ...span(TD, 'd100000000000002', 'worker', NOW - 2n * HOUR + MS),
        parentSpanId: 'd100000000000001',
      },
    ],
    logs: [
      line({
        timestampNs: NOW - 2n * HOUR + 2n * MS,
        service: 'worker',
        body: 'tied by its line',
        traceId: TD,
        requestId: VIA_LOG,
      }),
    ],
  });
  // A line of TB from a service whose clock runs 40 s ahead, in a later commit: beyond the 15 s a
  // request's log scan reaches past its window, inside the trace's own window (v9).
  await store.write({
    spans: [],
    logs: [
      line({
        timestampNs: NOW + 40_000n * MS,
        service: 'skewed',
        body: 'clock ahead',
        traceId: TB,
      }),
    ],
  });
  api = await serveApi({ reader: store.reader });
});

afterAll(async () => {
  await api?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('request lookup', () => {
  it('finds both traces of a request five hours apart, and nothing of the filler between', async () => {
    const { spans } = await store.reader.lookup({ requestIds: [REQ], traceIds: [] });
    expect(spans.map((s) => s.service)).toEqual(['early', 'late']);
  });

  it('finds every trace of a request spread over more ranges than it scans separately', async () => {
    const { spans } = await store.reader.lookup({ requestIds: [MANY], traceIds: [] });
    expect(spans.map((s) => s.service)).toEqual(['svc5', 'svc4', 'svc3', 'svc2', 'svc1', 'svc0']);
  });

  it('returns a request made only of log lines, with its error first', async () => {
    const res = await api.get(`/api/debug/trace/${LOGS_ONLY}`);
    expect(res.status).toBe(200);
    const r: DebugTraceResponse = res.body;
    expect(r.spans).toEqual([]);
    expect(r.trace_ids).toEqual([]);
    expect(r.hops.map((h) => [h.service, h.event, h.type, h.status])).toEqual([
      ['cron', 'job_started', 'log', 'unset'],
      ['cron', 'job_failed', 'log', 'error'],
    ]);
    expect(r.total_duration_ms).toBe(10);
    expect(r.first_error).toMatchObject({
      service: 'cron',
      message: 'disk full',
      error_type: 'OSError',
      type: 'log',
    });
  });

  it('derives a failed span from duration_ms alone, under its parent', async () => {
    const r: DebugTraceResponse = (await api.get(`/api/debug/trace/${TB}`)).body;
    const py = r.spans.find((s) => s.service === 'py')!;
    expect(py).toMatchObject({
      derived_from_logs: true,
      parent_span_id: 'b000000000000001',
      depth: 1,
      status: 'error',
      status_message: 'KeyError: x',
      duration_ms: 4.5,
      // request_failed marks a request boundary: a server span.
      kind: 'server',
      name: 'request_failed',
    });
    // It ends at its line: start = line time - duration.
    expect(py.start_us).toBe(Number((NOW - 5n * MS) / 1000n) - 4500);
    // Widened from the trace ID to the request: the early trace comes too (and TB's late line).
    expect(r.services).toEqual(['early', 'late', 'py', 'skewed']);
    expect(r.first_error).toMatchObject({
      service: 'py',
      type: 'log_span',
      error_type: 'KeyError',
    });
  });

  it('finds a log line of a trace lying far outside its spans, by the trace ID', async () => {
    const res = await api.get(`/api/debug/trace/${TB}`);
    expect(res.status, res.text).toBe(200);
    const r: DebugTraceResponse = res.body;
    // TB widens to its request REQ, whose early trace has the old line.
    expect(r.logs.map((l) => l.message)).toEqual(['old line', 'request failed', 'clock ahead']);
    const byRequest: DebugTraceResponse = (await api.get(`/api/debug/trace/${REQ}`)).body;
    expect(byRequest.logs.map((l) => l.message)).toEqual([
      'old line',
      'request failed',
      'clock ahead',
    ]);
  });

  it('finds a trace that only a log line ties to the request, with all its spans', async () => {
    const res = await api.get(`/api/debug/trace/${VIA_LOG}`);
    expect(res.status, res.text).toBe(200);
    const r: DebugTraceResponse = res.body;
    expect(r.trace_ids).toEqual([TD]);
    expect(r.services).toEqual(['untagged', 'worker']);
    expect(r.logs.map((l) => l.message)).toEqual(['tied by its line']);
  });

  it('finds log lines of a trace that has no spans', async () => {
    const res = await api.get(`/api/debug/trace/${TL}`);
    expect(res.status, res.text).toBe(200);
    const r: DebugTraceResponse = res.body;
    expect(r.logs.map((l) => l.message)).toEqual(['hello']);
    expect(r.trace_ids).toEqual([TL]);
  });

  it('searches logs of an old request without the default 1h bound, unless since is given', async () => {
    const all = await api.get(`/api/debug/logs?request_id=${REQ}`);
    expect(all.body.logs.map((l: { message: string }) => l.message)).toEqual([
      'request failed',
      'old line',
    ]);
    const recent = await api.get(`/api/debug/logs?request_id=${REQ}&since=1h`);
    expect(recent.body.logs.map((l: { message: string }) => l.message)).toEqual(['request failed']);
    const browse = await api.get('/api/debug/logs');
    expect(browse.body.filters_applied.since).toBe('1h');
    expect(browse.body.logs.map((l: { message: string }) => l.message)).not.toContain('old line');
    const unknown = await api.get('/api/debug/logs?request_id=req_nothing');
    expect(unknown.body.logs).toEqual([]);
  });

  it('searches traces newest first across slices hours apart', async () => {
    const tags = encodeURIComponent(`request.id=${REQ}`);
    const ids = (r: { body: { data: Array<{ traceID: string }> } }) =>
      r.body.data.map((t) => t.traceID);
    expect(ids(await api.get(`/api/traces?tags=${tags}&lookback=6h`))).toEqual([TB, TA]);
    expect(ids(await api.get(`/api/traces?tags=${tags}&lookback=6h&limit=1`))).toEqual([TB]);
    expect(ids(await api.get(`/api/traces?tags=${tags}&lookback=4h`))).toEqual([TB]);
    // 2000 traces 5 s apart over ~3 h: many slices, one order.
    const filler = ids(await api.get('/api/traces?service=filler&lookback=6h&limit=1500'));
    const expected = Array.from({ length: 1500 }, (_, k) =>
      (1999 - k).toString(16).padStart(32, 'f'),
    );
    expect(filler).toEqual(expected);
  });

  it('rejects a cursor it did not make', async () => {
    const bogus = Buffer.from('12:x').toString('base64url');
    await expect(store.reader.searchLogs({ limit: 1, cursor: bogus })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});
