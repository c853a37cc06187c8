/**
 * Parents named by reference within a write batch (schema v11, parent-refs.ts): which children
 * get a reference, and that every way of reading spans back still gives each its parent's ID,
 * whether it was written by reference, in full, through the records path or the protobuf rows path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpSpan } from '../../../../bench/_gen.mjs';
import { traceHexSql } from '../../src/store/duckdb/ids.js';
import { parentRefs } from '../../src/store/duckdb/parent-refs.js';
import { encodeSpans, SPAN_TYPES, unpackSpanChunk } from '../../src/store/duckdb/span-chunks.js';
import type { DuckDbStore } from '../../src/store/duckdb/store.js';
import { DuckDbStore as Store } from '../../src/store/duckdb/store.js';
import type { SpanRecord } from '../../src/store/records.js';
import { postTraces, spanRecord, tempDir, testServer } from './helpers.js';

interface Plain {
  trace: string;
  id: number;
  parent?: number;
}
const PLAIN = {
  sameTrace: (a: Plain, b: Plain) => a.trace === b.trace,
  low: (r: Plain) => r.id & 255,
  parentLow: (r: Plain) => (r.parent === undefined ? -1 : r.parent & 255),
  isParent: (p: Plain, c: Plain) => p.id === c.parent,
};

describe('parentRefs', () => {
  it('refers to a parent only when it is the one span of its trace in the batch with its last byte', () => {
    const rows: Plain[] = [
      { trace: 'a', id: 0x1001 },
      { trace: 'a', id: 0x2002, parent: 0x1001 },
      { trace: 'a', id: 0x3003, parent: 0x2002 },
      // Shares 0x2002's last byte: children of 0x2002 must keep its full ID.
      { trace: 'a', id: 0x4002, parent: 0x1001 },
      { trace: 'a', id: 0x5005, parent: 0x2002 },
      // Its parent is in another trace's rows (or another batch): full ID.
      { trace: 'b', id: 0x6006, parent: 0x1001 },
      { trace: 'b', id: 0x7007, parent: 0x9909 },
      // Two spans with one ID (a duplicate in the export): neither can be referred to.
      { trace: 'c', id: 0x8008 },
      { trace: 'c', id: 0x8008 },
      { trace: 'c', id: 0x9009, parent: 0x8008 },
    ];
    expect([...parentRefs(rows, PLAIN)]).toEqual([-1, 0x01, -1, 0x01, -1, -1, -1, -1, -1, -1]);
  });
});

const MS = 1_000_000n;
const T = 'a1'.repeat(16);
const U = 'b2'.repeat(16);
const BASE = (BigInt(Date.now()) - 60_000n) * MS;

/** A trace over three services, with two spans whose IDs end in the same byte. */
function traceT(): SpanRecord[] {
  const s = (spanId: string, service: string, at: number, parentSpanId?: string, kind = 1) =>
    spanRecord({
      traceId: T,
      spanId,
      parentSpanId,
      service,
      name: `${service} ${spanId.slice(-4)}`,
      kind,
      startNs: BASE + BigInt(at) * MS,
      durationNs: 50n * MS,
      resource: { 'service.name': service },
    });
  return [
    s('00000000000000a1', 'gateway', 0, undefined, 2),
    s('00000000000000b2', 'gateway', 1, '00000000000000a1', 3),
    s('00000000000000c3', 'agent', 2, '00000000000000b2', 2),
    s('11111111111111b2', 'agent', 3, '00000000000000c3'),
    s('00000000000000d4', 'agent', 4, '00000000000000b2'),
    s('00000000000000e5', 'llm', 5, '11111111111111b2', 2),
  ];
}

/** A trace whose child arrives in another batch than its parent. */
function traceU(): SpanRecord[][] {
  const root = spanRecord({ traceId: U, spanId: '0000000000000f01', service: 'gateway', kind: 2 });
  const child = spanRecord({
    traceId: U,
    spanId: '0000000000000f02',
    parentSpanId: '0000000000000f01',
    service: 'worker',
    kind: 5,
    startNs: root.startNs + MS,
  });
  return [[root], [child]];
}

function parentsOf(spans: SpanRecord[]): Record<string, string | undefined> {
  return Object.fromEntries(spans.map((s) => [s.spanId, s.parentSpanId]));
}

async function stored(store: DuckDbStore, traceId: string) {
  const conn = await store.connect();
  try {
    const r = await conn.runAndReadAll(
      `SELECT printf('%016x', span_id) AS id, parent_span_id IS NOT NULL AS full_id, parent_ref
         FROM spans WHERE ${traceHexSql('trace_id')} = $t ORDER BY id`,
      { t: traceId },
    );
    return r.getRowObjectsJson();
  } finally {
    conn.closeSync();
  }
}

describe('spans written with parent references (records path)', () => {
  const tmp = tempDir('hopscope-parent-refs-');
  let store: Store;
  const want = { ...parentsOf(traceT()), ...parentsOf(traceU().flat()) };

  beforeAll(async () => {
    store = new Store({ dataDir: tmp.dir });
    await store.open();
    await store.write({ spans: traceT(), logs: [] });
    for (const batch of traceU()) await store.write({ spans: batch, logs: [] });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('stores a reference where it names one span, the full ID elsewhere', async () => {
    expect(await stored(store, T)).toEqual([
      { id: '00000000000000a1', full_id: false, parent_ref: null },
      { id: '00000000000000b2', full_id: false, parent_ref: 0xa1 },
      // b2's last byte is shared by 11111111111111b2: its children keep its full ID.
      { id: '00000000000000c3', full_id: true, parent_ref: null },
      { id: '00000000000000d4', full_id: true, parent_ref: null },
      { id: '00000000000000e5', full_id: true, parent_ref: null },
      { id: '11111111111111b2', full_id: false, parent_ref: 0xc3 },
    ]);
    // The child written in a later batch than its parent.
    expect(await stored(store, U)).toEqual([
      { id: '0000000000000f01', full_id: false, parent_ref: null },
      { id: '0000000000000f02', full_id: true, parent_ref: null },
    ]);
  });

  it('gives every span its parent ID back in lookups, whole traces or single spans', async () => {
    const { spans } = await store.reader.lookup({ requestIds: [], traceIds: [T, U] });
    expect(parentsOf(spans)).toEqual(want);
    const one = await store.reader.lookup({
      requestIds: [],
      traceIds: [T],
      spanIds: ['11111111111111b2'],
    });
    expect(one.spans.map((s) => [s.spanId, s.parentSpanId])).toEqual([
      ['11111111111111b2', '00000000000000c3'],
    ]);
  });

  it('counts service edges over both kinds of parent', async () => {
    const edges = await store.reader.dependencies(BASE - 60_000n * MS, BASE + 120_000n * MS);
    expect(edges.map((e) => [e.parent, e.child, e.callCount])).toEqual([
      ['agent', 'llm', 1],
      // 00000000000000c3 and 00000000000000d4, both children of the gateway's client span.
      ['gateway', 'agent', 2],
      ['gateway', 'worker', 1],
    ]);
  });

  it('treats a span with a reference as no root', async () => {
    const stats = await store.reader.spanStats({
      startNs: BASE - 60_000n * MS,
      endNs: BASE + 120_000n * MS,
    });
    // Entry spans: server/consumer kinds and roots; the internal agent span with a reference
    // (11111111111111b2) and the client span are neither.
    const n = Object.fromEntries(stats.services.map((s) => [s.service, s.count]));
    expect(n).toEqual({ agent: 1, gateway: 2, llm: 1, worker: 1 });
  });

  it('reads a span chunk packed before v11 (an older journal record) with NULL new columns', () => {
    const { payload } = encodeSpans(traceT());
    const [chunk] = payload.chunks;
    const v10 = SPAN_TYPES.length - 3;
    const old = { rows: chunk!.rows, columns: chunk!.columns.slice(0, v10) };
    const unpacked = unpackSpanChunk(old);
    expect(unpacked.columnCount).toBe(SPAN_TYPES.length);
    for (let k = v10; k < SPAN_TYPES.length; k++) {
      expect(unpacked.getColumnValues(k)).toEqual(Array(chunk!.rows).fill(null));
    }
  });
});

describe('spans written with parent references (protobuf rows path)', () => {
  it('gives every span its parent ID back through the API', async () => {
    // No ingest workers, no sampling: the server decodes protobuf straight into columns.
    const server = await testServer({ ingestWorkers: 0 });
    try {
      const spans = traceT();
      const res = await postTraces(server.url, {
        resourceSpans: [
          { resource: { attributes: [] }, scopeSpans: [{ spans: spans.map(otlpSpan) }] },
        ],
      });
      expect(res.status).toBe(200);
      const { spans: back } = await server.store.reader.lookup({ requestIds: [], traceIds: [T] });
      expect(parentsOf(back)).toEqual(parentsOf(spans));
    } finally {
      await server.stop();
    }
  });
});
