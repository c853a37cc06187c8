import { BIGINT, type DuckDBDataChunk, UINTEGER } from '@duckdb/node-api';
import type { LogRecord, SpanRecord } from '../records.js';
import {
  ChunkBuilder,
  type ChunkDesc,
  FixedColumn,
  type PackedChunk,
  type PackedColumn,
  unpackChunk,
} from './chunk-columns.js';
import { type CsvText, DELIM, QUOTE } from './csv.js';
import { requestKey, traceKey, writeRequestKey } from './ids.js';
import { writeWindow, writeWindowWords } from './index-windows.js';
import type { SpanRow } from './span-chunks.js';

/**
 * The rows one group commit adds to trace_index, request_index and operations, aggregated in
 * JavaScript (one row per key per commit). Since schema v4 the index tables have no primary
 * keys: rows are appended, and a key written by several commits has several rows that readers
 * fold with min/max. Operations stay merged (a few rows, ON CONFLICT DO NOTHING). Since v12 a
 * row is (32-bit key, start_tick, length_ticks): ids.ts and index-windows.ts.
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

/** trace_key, start_tick, length_ticks (schema v12). */
const TRACE_INDEX_TYPES = [UINTEGER, BIGINT, UINTEGER];
/** request_key, start_tick, length_ticks (schema v12). */
const REQUEST_INDEX_TYPES = [UINTEGER, BIGINT, UINTEGER];
/** Bytes per value of the index rows' columns. */
const INDEX_WIDTHS = [4, 8, 4] as const;

function indexColumns(): [FixedColumn, FixedColumn, FixedColumn] {
  return [new FixedColumn(4), new FixedColumn(8), new FixedColumn(4)];
}

/**
 * What a batch adds to the index tables, before it becomes rows: time windows per trace and
 * per request (and trace), and operations in first-seen order.
 */
interface IndexFacts {
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

type Records = { spans: readonly SpanRecord[]; logs: readonly LogRecord[] };

function indexFacts(batch: Records): IndexFacts {
  const facts: IndexFacts = { traces: new Map(), requests: new Map(), operations: [] };
  const seen = new Set<string>();
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
    const ts = l.timestampNs;
    // A trace's window covers its log lines too, so a trace lookup scans logs in exactly that
    // window (log lines under malformed trace IDs are left to an unbounded scan).
    if (l.traceId && traceKey(l.traceId) !== undefined) addWindow(facts.traces, l.traceId, ts, ts);
    if (l.requestId) addRequest(facts, l.requestId, l.traceId ?? '', ts, ts);
  }
  return facts;
}

/** A batch's index rows packed by an ingest worker, and its operations (DuckDbEncoded.index). */
export interface PackedIndex {
  traces: PackedChunk[];
  requests: PackedChunk[];
  operations: [string, string, number][];
}

/** A batch's index rows left in the arena for a record (journal-entry.ts v2), and its operations. */
export interface DescribedIndex {
  traces: ChunkDesc[];
  requests: ChunkDesc[];
  operations: [string, string, number][];
}

/** A batch's rows for trace_index and request_index, and its operations. */
export interface BatchIndexRows {
  traces: DuckDBDataChunk[];
  requests: DuckDBDataChunk[];
  operations: [string, string, number][];
}

/** The index rows of one batch, for a worker to post (the store unpacks them as they are). */
export function packIndex(batch: Records): PackedIndex {
  const { traces, requests, operations } = fillIndex(batch, true);
  return {
    traces: traces.finishPacked(),
    requests: requests.finishPacked(),
    operations,
  };
}

/** a ≤ b for int64 values as (high, low) words. */
function atMost(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo <= bLo);
}

/**
 * describeRowIndex's column buffers, kept between batches: their rows leave them copied into the
 * arena, and six new zeroed buffers per batch were garbage for the GC.
 */
const ROW_INDEX_COLUMNS = [...indexColumns(), ...indexColumns()] as const;

/**
 * The index rows of decoded span rows sorted by trace (encodeSpanRows), as packIndex makes them
 * from the same spans as records but in trace order: a trace's rows are side by side, so its
 * window is one pass with no map, and each of its request IDs gets the trace's window (what
 * packIndex's request window widened by the trace's comes to).
 */
export function describeRowIndex(
  rows: readonly SpanRow[],
  operations: [string, string, number][],
): DescribedIndex {
  const [tk, ts, tl, rk, rs, rl] = ROW_INDEX_COLUMNS;
  for (const c of ROW_INDEX_COLUMNS) c.reset();
  const traceRows = new ChunkBuilder(TRACE_INDEX_TYPES, [tk, ts, tl], 'described');
  const requestRows = new ChunkBuilder(REQUEST_INDEX_TYPES, [rk, rs, rl], 'described');
  const requestIds: string[] = [];
  let r = 0;
  while (r < rows.length) {
    const first = rows[r]!;
    const sHi = first.startHi;
    const sLo = first.startLo;
    let eHi = 0;
    let eLo = 0;
    let end = r;
    requestIds.length = 0;
    for (; end < rows.length; end++) {
      const s = rows[end]!;
      if (s.t0 !== first.t0 || s.t1 !== first.t1 || s.t2 !== first.t2 || s.t3 !== first.t3) break;
      // Sorted by start within the trace: the first row's start is the least.
      let lo = s.startLo + s.durLo;
      const hi = s.startHi + s.durHi + (lo >= 0x100000000 ? 1 : 0);
      lo >>>= 0;
      if (end === r || !atMost(hi, lo, eHi, eLo)) {
        eHi = hi;
        eLo = lo;
      }
      if (s.requestId !== undefined && !requestIds.includes(s.requestId)) {
        requestIds.push(s.requestId);
      }
    }
    // trace_index's key is the ID's last word (traceKey).
    const i = traceRows.next();
    tk.view.setUint32(i * 4, first.t3, true);
    writeWindowWords(ts, tl, i, sHi, sLo, eHi, eLo);
    for (const id of requestIds) {
      const k = requestRows.next();
      writeRequestKey(rk.bytes, k * 4, id);
      writeWindowWords(rs, rl, k, sHi, sLo, eHi, eLo);
    }
    r = end;
  }
  return {
    traces: traceRows.finishDescribed(),
    requests: requestRows.finishDescribed(),
    operations,
  };
}

/**
 * One batch's index rows: computed from its records, plus a worker's packed rows as they came.
 * A key in two batches of a group gets two rows, which readers fold with min/max like rows of
 * two commits.
 */
export function batchIndexRows(batch: Records, packed?: PackedIndex): BatchIndexRows {
  const rows: BatchIndexRows = { traces: [], requests: [], operations: [] };
  if (batch.spans.length > 0 || batch.logs.length > 0) {
    const { traces, requests, operations } = fillIndex(batch, false);
    rows.traces.push(...traces.finish());
    rows.requests.push(...requests.finish());
    rows.operations.push(...operations);
  }
  if (packed) {
    for (const p of packed.traces) {
      rows.traces.push(unpackChunk(TRACE_INDEX_TYPES, indexRowsV12(p, false)));
    }
    for (const p of packed.requests) {
      rows.requests.push(unpackChunk(REQUEST_INDEX_TYPES, indexRowsV12(requestRowsV10(p), true)));
    }
    rows.operations.push(...packed.operations);
  }
  return rows;
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

/** trace_index and request_index rows of a batch, in builders that pack or make DuckDB chunks. */
function fillIndex(
  batch: Records,
  packed: boolean,
): { traces: ChunkBuilder; requests: ChunkBuilder; operations: [string, string, number][] } {
  const { traces, requests, operations } = indexFacts(batch);
  const [tk, ts, tl] = indexColumns();
  const traceRows = new ChunkBuilder(TRACE_INDEX_TYPES, [tk, ts, tl], packed);
  for (const [id, [start, end]] of traces) {
    const key = traceKey(id);
    if (key === undefined) throw new Error(`invalid trace ID: ${JSON.stringify(id)}`);
    const i = traceRows.next();
    tk.view.setUint32(i * 4, key, true);
    writeWindow(ts, tl, i, start, end);
  }
  const [rk, rs, rl] = indexColumns();
  const requestRows = new ChunkBuilder(REQUEST_INDEX_TYPES, [rk, rs, rl], packed);
  for (const [requestId, byTrace] of requests) {
    const key = requestKey(requestId);
    for (const [traceId, w] of byTrace) {
      // A request's window covers its whole traces, not only the spans carrying the ID:
      // children can start or end outside their parent when clocks are coarse or work is async.
      const tw = traceId ? traces.get(traceId) : undefined;
      if (tw) widen(w, tw[0], tw[1]);
      // One row per trace: a request's traces hours apart in one batch keep windows apart.
      const i = requestRows.next();
      rk.view.setUint32(i * 4, key, true);
      writeWindow(rs, rl, i, w[0], w[1]);
    }
  }
  return { traces: traceRows, requests: requestRows, operations };
}

/**
 * Request rows as a worker packed them. Builds before schema v10 also packed the request ID's
 * text and the trace ID, which a journal written by them still holds: those columns are dropped.
 */
function requestRowsV10(p: PackedChunk): PackedChunk {
  if (p.columns.length === REQUEST_INDEX_TYPES.length) return p;
  if (p.columns.length !== 5) throw new Error(`request index rows of ${p.columns.length} columns`);
  const [key, , , start, end] = p.columns;
  return { rows: p.rows, columns: [key!, start!, end!] };
}

/**
 * Index rows as a worker packed them, in schema v12's shape. Builds before v12 packed a 64-bit
 * key and two nanosecond times (8 bytes each), which a journal written by them still holds:
 * those become what this build packs of the same window.
 */
function indexRowsV12(p: PackedChunk, request: boolean): PackedChunk {
  const widths = p.columns.map((c) => ('width' in c ? c.width : 0));
  if (widths.every((w, i) => w === INDEX_WIDTHS[i])) return p;
  if (widths.length !== 3 || widths.some((w) => w !== 8)) {
    throw new Error(`index rows of column widths ${widths.join(', ')}`);
  }
  const [key, start, end] = p.columns.map(fixedView);
  const [k, s, l] = indexColumns();
  for (let i = 0; i < p.rows; i++) {
    // What the old key keeps of the new one: its low half for traces, high for requests (ids.ts).
    k.view.setUint32(i * 4, key!.getUint32(i * 8 + (request ? 4 : 0), true), true);
    writeWindow(s, l, i, start!.getBigInt64(i * 8, true), end!.getBigInt64(i * 8, true));
  }
  const columns = [k, s, l].map(
    (c): PackedColumn => ({ width: c.width, data: c.bytes.subarray(0, p.rows * c.width) }),
  );
  return { rows: p.rows, columns };
}

function fixedView(c: PackedColumn): DataView {
  if (!('width' in c)) throw new Error('index rows of a text column');
  const b = c.data instanceof Uint8Array ? c.data : new Uint8Array(c.data);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
