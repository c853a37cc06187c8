import {
  BIGINT,
  type DuckDBDataChunk,
  type DuckDBType,
  UBIGINT,
  UHUGEINT,
  VARCHAR,
} from '@duckdb/node-api';
import type { LogRecord, SpanRecord, WriteBatch } from '../records.js';
import {
  ChunkBuilder,
  FixedColumn,
  type PackedChunk,
  TextColumn,
  unpackChunk,
  writeBigInt,
  writeTraceId,
  writeUBigInt,
} from './chunk-columns.js';
import { type CsvText, DELIM, QUOTE } from './csv.js';
import { requestKey, traceKey } from './ids.js';

/**
 * The rows one group commit adds to trace_index, request_index and operations, aggregated in
 * JavaScript (one row per key per commit). Since schema v4 the index tables have no primary
 * keys: rows are appended, and a key written by several commits has several rows that readers
 * fold with min/max. Operations stay merged (a few rows, ON CONFLICT DO NOTHING).
 */
export interface IndexRows {
  traces: DuckDBDataChunk[];
  requests: DuckDBDataChunk[];
  operations: CsvText;
  /** Operation keys in `operations` that were not known before this group. */
  newOperations: string[];
}

type Window = [bigint, bigint];

const CONTROL = /[\x00-\x1f]/;

/** Free text for a NOT NULL column, quoted (as csv.ts does) when it holds a control character. */
class Quoter {
  quotedNewline = false;
  text(s: string): string {
    if (s === '') return QUOTE + QUOTE;
    if (!CONTROL.test(s)) return s;
    if (/[\r\n]/.test(s)) this.quotedNewline = true;
    return QUOTE + s.replaceAll('\u0000', '\uFFFD').replaceAll(QUOTE, QUOTE + QUOTE) + QUOTE;
  }
}

function text(lines: string[], quotedNewline = false): CsvText {
  lines.push('');
  return { text: lines.join('\n'), rows: lines.length - 1, quotedNewline };
}

const TRACE_INDEX_TYPES = [UBIGINT, BIGINT, BIGINT];
const REQUEST_INDEX_TYPES = [UBIGINT, VARCHAR, UHUGEINT, BIGINT, BIGINT];

/**
 * What one or more batches add to the index tables, before it becomes rows: time windows per
 * trace and per request (and trace), and operations in first-seen order. Plain Maps and
 * arrays, so an ingest worker can collect them for its batch and post them to the store's
 * thread, which merges the facts of a group before writing.
 */
export interface IndexFacts {
  traces: Map<string, Window>;
  /** request ID → trace ID ('' for log lines of no trace) → window */
  requests: Map<string, Map<string, Window>>;
  /** [service, name, kind], each operation once. */
  operations: [string, string, number][];
}

function widen(w: Window, start: bigint, end: bigint): void {
  if (start < w[0]) w[0] = start;
  if (end > w[1]) w[1] = end;
}

function addWindow<K>(map: Map<K, Window>, key: K, start: bigint, end: bigint): void {
  const w = map.get(key);
  if (w) widen(w, start, end);
  else map.set(key, [start, end]);
}

function addRequest(
  facts: IndexFacts,
  requestId: string,
  traceId: string,
  start: bigint,
  end: bigint,
): void {
  let byTrace = facts.requests.get(requestId);
  if (!byTrace) {
    byTrace = new Map();
    facts.requests.set(requestId, byTrace);
  }
  addWindow(byTrace, traceId, start, end);
}

/** Collects the index facts of `batch` into `facts` (new ones when not given). */
export function indexFacts(
  batch: { spans: readonly SpanRecord[]; logs: readonly LogRecord[] },
  facts: IndexFacts = { traces: new Map(), requests: new Map(), operations: [] },
): IndexFacts {
  const seen = new Set<string>();
  for (const [service, name, kind] of facts.operations)
    seen.add(`${service}\u0000${name}\u0000${kind}`);
  // Spans of one operation tend to come together: skip the key for a repeat of the last one.
  let lastService: string | undefined;
  let lastName: string | undefined;
  let lastKind = -1;
  for (const s of batch.spans) {
    const end = s.startNs + s.durationNs;
    addWindow(facts.traces, s.traceId, s.startNs, end);
    if (s.requestId) addRequest(facts, s.requestId, s.traceId, s.startNs, end);
    if (s.service === lastService && s.name === lastName && s.kind === lastKind) continue;
    lastService = s.service;
    lastName = s.name;
    lastKind = s.kind;
    const op = `${s.service}\u0000${s.name}\u0000${s.kind}`;
    if (!seen.has(op)) {
      seen.add(op);
      facts.operations.push([s.service, s.name, s.kind]);
    }
  }
  for (const l of batch.logs) {
    if (l.requestId) addRequest(facts, l.requestId, l.traceId ?? '', l.timestampNs, l.timestampNs);
  }
  return facts;
}

/** A batch's index rows packed by an ingest worker, and its operations (DuckDbEncoded.index). */
export interface PackedIndex {
  traces: PackedChunk[];
  requests: PackedChunk[];
  operations: [string, string, number][];
}

/** The index rows of one batch, for a worker to post (the store unpacks them as they are). */
export function packIndex(batch: {
  spans: readonly SpanRecord[];
  logs: readonly LogRecord[];
}): PackedIndex {
  const facts = indexFacts(batch);
  const traces = new WindowRows(TRACE_INDEX_TYPES, true);
  const requests = new WindowRows(REQUEST_INDEX_TYPES, true);
  fillWindows(facts, traces, requests);
  return {
    traces: traces.builder.finishPacked(),
    requests: requests.builder.finishPacked(),
    operations: facts.operations,
  };
}

/** A batch's rows for trace_index and request_index, and its operations. */
export interface BatchIndexRows {
  traces: DuckDBDataChunk[];
  requests: DuckDBDataChunk[];
  operations: [string, string, number][];
}

/**
 * One batch's index rows: computed from its records, or a worker's packed rows as they came.
 * A key in two batches of a group gets two rows, which readers fold with min/max like rows of
 * two commits.
 */
export function batchIndexRows(batch: WriteBatch): BatchIndexRows {
  const traces: DuckDBDataChunk[] = [];
  const requests: DuckDBDataChunk[] = [];
  const operations: [string, string, number][] = [];
  if (batch.encoded) {
    const packed = (batch.encoded.payload as { index: PackedIndex }).index;
    for (const p of packed.traces) traces.push(unpackChunk(TRACE_INDEX_TYPES, p));
    for (const p of packed.requests) requests.push(unpackChunk(REQUEST_INDEX_TYPES, p));
    operations.push(...packed.operations);
  }
  if (batch.spans.length > 0 || batch.logs.length > 0) {
    const facts = indexFacts(batch);
    const t = new WindowRows(TRACE_INDEX_TYPES, false);
    const r = new WindowRows(REQUEST_INDEX_TYPES, false);
    fillWindows(facts, t, r);
    traces.push(...t.builder.finish());
    requests.push(...r.builder.finish());
    operations.push(...facts.operations);
  }
  return { traces, requests, operations };
}

/** New operations as read_csv text; each once, known ones left out. */
export function operationRows(
  operations: readonly [string, string, number][],
  knownOperations: Set<string>,
): Pick<IndexRows, 'operations' | 'newOperations'> {
  const b = new Quoter();
  const ops: string[] = [];
  const newOperations: string[] = [];
  for (const [service, name, kind] of operations) {
    const op = `${service}\u0000${name}\u0000${kind}`;
    if (knownOperations.has(op) || newOperations.includes(op)) continue;
    newOperations.push(op);
    ops.push(b.text(service) + DELIM + b.text(name) + DELIM + kind);
  }
  return { operations: text(ops, b.quotedNewline), newOperations };
}

/** The column buffers of trace_index (3 columns) or request_index (5). */
class WindowRows {
  readonly columns: (FixedColumn | TextColumn)[];
  readonly builder: ChunkBuilder;
  constructor(types: readonly DuckDBType[], packed: boolean) {
    this.columns =
      types === TRACE_INDEX_TYPES
        ? [new FixedColumn(8), new FixedColumn(8), new FixedColumn(8)]
        : [
            new FixedColumn(8),
            new TextColumn(),
            new FixedColumn(16),
            new FixedColumn(8),
            new FixedColumn(8),
          ];
    this.builder = new ChunkBuilder(types, this.columns, packed);
  }
}

function fillWindows({ traces, requests }: IndexFacts, t: WindowRows, r: WindowRows): void {
  const [tk, ts, te] = t.columns as FixedColumn[];
  for (const [id, [start, end]] of traces) {
    const key = traceKey(id);
    if (key === undefined) throw new Error(`invalid trace ID: ${JSON.stringify(id)}`);
    const i = t.builder.next();
    writeUBigInt(tk!, i, key);
    writeBigInt(ts!, i, start);
    writeBigInt(te!, i, end);
  }
  const [rk, rid, rt, rs, re] = r.columns as [
    FixedColumn,
    TextColumn,
    FixedColumn,
    FixedColumn,
    FixedColumn,
  ];
  for (const [requestId, byTrace] of requests) {
    const key = requestKey(requestId);
    for (const [traceId, w] of byTrace) {
      // A request's window covers its whole traces, not only the spans carrying the ID:
      // children can start or end outside their parent when clocks are coarse or work is async.
      const tw = traceId ? traces.get(traceId) : undefined;
      if (tw) widen(w, tw[0], tw[1]);
      const i = r.builder.next();
      writeUBigInt(rk, i, key);
      rid.set(i, requestId);
      if (traceId) writeTraceId(rt, i, traceId);
      else rt.setNull(i);
      writeBigInt(rs, i, w[0]);
      writeBigInt(re, i, w[1]);
    }
  }
}
