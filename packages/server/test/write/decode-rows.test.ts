import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { traceBatches } from '../../../../bench/_gen.mjs';
import { DEFAULT_LIMITS, DEFAULT_REDACTION, type IngestLimits } from '../../src/config.js';
import { decodeRowsExport } from '../../src/ingest/otlp/decode-rows.js';
import { decodeExport } from '../../src/ingest/otlp/export.js';
import { ExportTraceServiceRequest } from '../../src/ingest/otlp/proto.js';
import { Sanitizer } from '../../src/ingest/sanitize.js';
import { normaliseBatch } from '../../src/pipeline/ai/normalize.js';
import { loadPriceTable } from '../../src/pipeline/ai/prices.js';
import type { PackedChunk } from '../../src/store/duckdb/chunk-columns.js';
import { IngestJournal } from '../../src/store/duckdb/journal.js';
import { decodeEntry } from '../../src/store/duckdb/journal-entry.js';
import {
  encodeSpanRows,
  encodeSpans,
  WRITE_BATCH_COLUMN,
} from '../../src/store/duckdb/span-chunks.js';
import { DuckDbStore, JOURNAL_DIR_NAME } from '../../src/store/duckdb/store.js';
import { everyValueKind, hex, kv, tempDir } from './helpers.js';

/**
 * The ingest worker's direct path (protobuf → column rows) against the record path it replaces
 * (decodeExport → normaliseBatch → encodeSpans): for every input, the same answer, the same
 * counts and the same packed columns, byte for byte.
 */

const prices = loadPriceTable();
const id = (bytes: number) => Buffer.from(hex(bytes), 'hex');
const str = (key: string, v: string) => kv(key, { stringValue: v });

type Outcome =
  | { error: string }
  | {
      accepted: number;
      rejected: number;
      firstError?: string;
      counts: object;
      chunks?: PackedChunk[];
      traces?: string[];
      requests?: string[];
      operations?: [string, string, number][];
    };

/** A packed index's rows as sorted text (the direct path writes them in trace order). */
function indexRows(chunks: PackedChunk[]): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    // Keys and lengths are 4 bytes wide, start ticks 8 (schema v12).
    const cols = c.columns.map((col) => {
      const { data, width } = col as { data: Uint8Array; width: number };
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      return (i: number) =>
        width === 4 ? view.getUint32(i * 4, true) : view.getBigInt64(i * 8, true);
    });
    for (let i = 0; i < c.rows; i++) out.push(cols.map((get) => String(get(i))).join(','));
  }
  return out.sort();
}

function viaRecords(body: Uint8Array, limits: IngestLimits, redaction: typeof DEFAULT_REDACTION) {
  try {
    const d = decodeExport('traces', 'http/protobuf', body, new Sanitizer(limits, redaction));
    const base = {
      accepted: d.accepted,
      rejected: d.rejected,
      firstError: d.firstError,
      counts: d.counts,
    };
    if (d.batch.spans.length === 0) return base;
    normaliseBatch(d.batch, prices);
    const { payload } = encodeSpans(d.batch.spans);
    return {
      ...base,
      chunks: oneBatch(payload.chunks),
      traces: indexRows(payload.index.traces),
      requests: indexRows(payload.index.requests),
      operations: payload.index.operations,
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/**
 * The chunks with their write_batch column checked and set aside: every row of one encoded batch
 * carries the same batch number, which each encoding draws afresh (parent-refs.ts).
 */
function oneBatch(chunks: PackedChunk[]): PackedChunk[] {
  const values = new Set<bigint>();
  const out = chunks.map((chunk) => {
    const col = chunk.columns[WRITE_BATCH_COLUMN]!;
    if (!('width' in col)) throw new Error('write_batch is not a fixed-width column');
    expect(col.valid).toBeUndefined();
    const data = col.data instanceof Uint8Array ? col.data : new Uint8Array(col.data);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let r = 0; r < chunk.rows; r++) values.add(view.getBigUint64(r * 8, true));
    const columns = [...chunk.columns];
    columns[WRITE_BATCH_COLUMN] = { constant: 'one batch' };
    return { ...chunk, columns };
  });
  expect(values.size).toBe(1);
  return out;
}

function viaRows(body: Uint8Array, limits: IngestLimits, redaction: typeof DEFAULT_REDACTION) {
  try {
    const d = decodeRowsExport(body, new Sanitizer(limits, redaction), prices);
    const base = {
      accepted: d.accepted,
      rejected: d.rejected,
      firstError: d.firstError,
      counts: d.counts,
    };
    if (d.rows.length === 0) return base;
    // The worker's journal record, read back as the main thread and replay read it.
    const record = encodeSpanRows(d.rows, d.operations);
    const entry = decodeEntry(record);
    expect(entry.rows).toBe(d.rows.length);
    const [index] = entry.index;
    return {
      ...base,
      chunks: oneBatch(entry.chunks),
      traces: indexRows(index!.traces),
      requests: indexRows(index!.requests),
      operations: index!.operations,
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function same(
  body: Uint8Array,
  limits: IngestLimits = DEFAULT_LIMITS,
  redaction = DEFAULT_REDACTION,
): Outcome {
  const want: Outcome = viaRecords(body, limits, redaction);
  const got: Outcome = viaRows(body, limits, redaction);
  expect(got).toEqual(want);
  return got;
}

const encode = (request: object) =>
  ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(request)).finish();

function span(over: Record<string, unknown> = {}) {
  return {
    traceId: id(16),
    spanId: id(8),
    name: 'op',
    kind: 2,
    startTimeUnixNano: '1795000000000000123',
    endTimeUnixNano: '1795000000500000456',
    ...over,
  };
}

const oneScope = (spans: object[], resource?: object) =>
  encode({ resourceSpans: [{ resource, scopeSpans: [{ spans }] }] });

describe('protobuf straight into column rows (ingest workers)', () => {
  it('packs the bench traffic exactly as the record path does (AI spans, request IDs, resources)', () => {
    for (const request of traceBatches({ spans: 2048, perBatch: 512 })) {
      const got = same(ExportTraceServiceRequest.encode(request).finish());
      expect(got).toMatchObject({ accepted: 512, rejected: 0 });
    }
  });

  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('replays a worker record left in the journal (kill -9 before the commit)', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const body = oneScope([
      span({ attributes: [str('request.id', 'req_replayed')] }),
      span({ name: 'second' }),
    ]);
    const d = decodeRowsExport(body, new Sanitizer(DEFAULT_LIMITS, DEFAULT_REDACTION), prices);
    const { journal } = IngestJournal.open(join(dir, JOURNAL_DIR_NAME), 0);
    await journal.append(encodeSpanRows(d.rows, d.operations)).durable;
    await journal.close();
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    cleanups.push(() => store.close());
    expect(store.recovered).toEqual({ batches: 1, spans: 2 });
    const found = await store.reader.lookup({ requestIds: ['req_replayed'], traceIds: [] });
    expect(found.spans.map((s) => s.requestId)).toEqual(['req_replayed']);
    expect((await store.stats()).spansTotal).toBe(2);
  });

  it('reads a record back at any offset of a journal file', () => {
    const [request] = traceBatches({ spans: 64, perBatch: 64 });
    const s = new Sanitizer(DEFAULT_LIMITS, DEFAULT_REDACTION);
    const d = decodeRowsExport(ExportTraceServiceRequest.encode(request).finish(), s, prices);
    const record = encodeSpanRows(d.rows, d.operations);
    const file = Buffer.alloc(record.byteLength + 3);
    file.set(record, 3);
    const entry = decodeEntry(file.subarray(3));
    expect(entry).toEqual(decodeEntry(record));
    expect(entry.rows).toBe(64);
    expect(() => decodeEntry(record.subarray(0, 12))).toThrow();
  });

  it('keeps every field kind, events, links, status, redaction and the attribute cap', () => {
    const traceId = id(16);
    const body = encode({
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'api'), str('api_key', 'k')] },
          scopeSpans: [
            {
              scope: { name: 'scope-a', version: '2.0' },
              spans: [
                span({
                  traceId,
                  parentSpanId: id(8),
                  traceState: 'k=v',
                  attributes: [str('request.id', 'req_00aa11bb22cc'), ...everyValueKind],
                  events: [
                    {
                      timeUnixNano: '1795000000100000000',
                      name: 'e1',
                      attributes: [str('a', 'b')],
                    },
                  ],
                  links: [{ traceId: id(16), spanId: id(8), traceState: 't' }],
                  status: { code: 2, message: 'boom Bearer abcdefgh' },
                }),
                // Same trace, same start: the sort keeps arrival order.
                span({ traceId, name: 'twin', attributes: [str('token', 'secret')] }),
                span({ traceId, name: 'earlier', startTimeUnixNano: '1795000000000000000' }),
                span({ name: 'ends-first', startTimeUnixNano: '5', endTimeUnixNano: '3' }),
              ],
            },
          ],
        },
        // No resource: unknown_service; the same trace again from another service.
        { scopeSpans: [{ spans: [span({ traceId, name: 'other' }), span()] }] },
      ],
    });
    for (const maxAttributes of [3, 8, 128]) {
      same(body, { ...DEFAULT_LIMITS, maxAttributes, maxEvents: 0, maxLinks: 0 });
      same(body, { ...DEFAULT_LIMITS, maxAttributes, maxValueLength: 4 });
    }
    same(body, DEFAULT_LIMITS, { ...DEFAULT_REDACTION, enabled: false });
    expect(same(body)).toMatchObject({ accepted: 6 });
  });

  it('treats repeated, numeric and __proto__ keys as an attributes object does', () => {
    const attrs = [
      [str('a', '1'), str('b', '2'), str('a', '3')],
      [str('2', 'two'), str('1', 'one'), str('x', 'y')],
      [str('__proto__', 'p'), str('x', 'y')],
      [kv('__proto__', { kvlistValue: { values: [str('request.id', 'req_inherited')] } })],
      [str('request.id', 'req_first1'), str('request.id', 'req_second')],
      [str('request.id', 'not valid!'), str('request_id', 'req_fallback')],
      [kv('request.id', { arrayValue: { values: [{ stringValue: 'req_arr' }] } })],
      [
        kv('http.request.header.x-request-id', {
          arrayValue: { values: [{ stringValue: 'req_h' }] },
        }),
      ],
      [str('request.id', 'req_alone')],
      [str('x', 'y'), str('request.id', 'req_last1')],
      [str('request.id', 'req_one'), str('request_id', 'req_two'), str('z', '1')],
      [kv('request.id', { intValue: 7 })],
      [str('password', 'hunter2'), str('request.id', '')],
      [],
    ];
    same(oneScope(attrs.map((attributes) => span({ attributes }))));
    // The same lists again, now known to the key trie.
    same(oneScope(attrs.map((attributes) => span({ attributes }))));
    same(oneScope(attrs.map((attributes) => span({ attributes }))), {
      ...DEFAULT_LIMITS,
      maxAttributes: 1,
    });
  });

  it('finds AI fields by attribute keys and by a Vercel ai.* name', () => {
    const spans = [
      span({ name: 'ai.generateText', attributes: [str('ai.model.id', 'gpt-4o')] }),
      span({ name: 'ai.generateText.doGenerate', attributes: [str('x', 'y')] }),
      span({ attributes: [str('session.id', 's1'), str('user.id', 'u1')] }),
      span({
        attributes: [
          str('gen_ai.operation.name', 'chat'),
          str('gen_ai.request.model', 'claude-sonnet-4'),
          kv('gen_ai.usage.input_tokens', { intValue: 1200 }),
          kv('gen_ai.usage.output_tokens', { intValue: 80 }),
          str('request.id', 'req_ai'),
        ],
      }),
      span({
        attributes: [kv('llm.cost.total', { doubleValue: 0.5 }), str('llm.request.type', 'x')],
      }),
    ];
    same(oneScope(spans, { attributes: [str('service.name', 'agent')] }));
  });

  it('rejects the same spans with the same reasons, and fails the same requests', () => {
    same(
      oneScope([
        span({ traceId: Buffer.from('short') }),
        span({ spanId: Buffer.alloc(8) }),
        span({ spanId: Buffer.alloc(0) }),
        span({ parentSpanId: Buffer.from('abc') }),
        span({ traceId: Buffer.alloc(16) }),
        span({ traceId: undefined }),
        span({ parentSpanId: Buffer.alloc(8) }),
        span(),
      ]),
    );
    expect(same(oneScope([span({ spanId: Buffer.alloc(8) })]))).toMatchObject({
      accepted: 0,
      rejected: 1,
    });
    expect(same(oneScope([span({ kind: 9 })]))).toHaveProperty('error');
    expect(same(oneScope([span({ status: { code: 7 } })]))).toHaveProperty('error');
    expect(same(oneScope([span({ endTimeUnixNano: '18446744073709551615' })]))).toHaveProperty(
      'error',
    );
    const deep = { kvlistValue: { values: [] as object[] } };
    let at = deep;
    for (let i = 0; i < 20; i++) {
      const next = { kvlistValue: { values: [] as object[] } };
      at.kvlistValue.values.push(kv('k', next));
      at = next;
    }
    expect(same(oneScope([span({ attributes: [kv('deep', deep)] })]))).toHaveProperty('error');
    expect(same(Buffer.from([0x0a, 0x05, 0x01]))).toHaveProperty('error');
  });

  it('agrees on mutated bodies (each byte flip either fails both ways or decodes the same)', () => {
    const [request] = traceBatches({ spans: 64, perBatch: 64 });
    const body = ExportTraceServiceRequest.encode(request).finish();
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let k = 0; k < 150; k++) {
      const mutated = Buffer.from(body);
      for (let f = 0; f < 3; f++) mutated[Math.floor(rand() * mutated.length)] = rand() * 256;
      same(mutated);
    }
  });
});
