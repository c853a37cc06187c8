import { BIGINT, type DuckDBDataChunk, UBIGINT, UHUGEINT, VARCHAR } from '@duckdb/node-api';
import type { WriteBatch } from '../records.js';
import {
  ChunkBuilder,
  FixedColumn,
  TextColumn,
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

export function indexRows(batches: readonly WriteBatch[], knownOperations: Set<string>): IndexRows {
  const traces = new Map<string, Window>();
  // request ID → trace ID ('' for log lines of no trace) → window
  const requests = new Map<string, Map<string, Window>>();
  const b = new Quoter();
  const ops: string[] = [];
  const newOperations: string[] = [];
  const widen = (w: Window, start: bigint, end: bigint) => {
    if (start < w[0]) w[0] = start;
    if (end > w[1]) w[1] = end;
  };
  const request = (requestId: string, traceId: string, start: bigint, end: bigint) => {
    let byTrace = requests.get(requestId);
    if (!byTrace) {
      byTrace = new Map();
      requests.set(requestId, byTrace);
    }
    const w = byTrace.get(traceId);
    if (w) widen(w, start, end);
    else byTrace.set(traceId, [start, end]);
  };
  // Spans of one operation tend to come together: skip the key for a repeat of the last one.
  let lastService: string | undefined;
  let lastName: string | undefined;
  let lastKind = -1;
  for (const batch of batches) {
    for (const s of batch.spans) {
      const end = s.startNs + s.durationNs;
      const t = traces.get(s.traceId);
      if (t) widen(t, s.startNs, end);
      else traces.set(s.traceId, [s.startNs, end]);
      if (s.requestId) request(s.requestId, s.traceId, s.startNs, end);
      if (s.service === lastService && s.name === lastName && s.kind === lastKind) continue;
      lastService = s.service;
      lastName = s.name;
      lastKind = s.kind;
      const op = `${s.service}\u0000${s.name}\u0000${s.kind}`;
      if (!knownOperations.has(op) && !newOperations.includes(op)) {
        newOperations.push(op);
        ops.push(b.text(s.service) + DELIM + b.text(s.name) + DELIM + s.kind);
      }
    }
    for (const l of batch.logs) {
      if (l.requestId) request(l.requestId, l.traceId ?? '', l.timestampNs, l.timestampNs);
    }
  }
  const tk = new FixedColumn(8);
  const ts = new FixedColumn(8);
  const te = new FixedColumn(8);
  const traceOut = new ChunkBuilder(TRACE_INDEX_TYPES, [tk, ts, te]);
  for (const [id, [start, end]] of traces) {
    const key = traceKey(id);
    if (key === undefined) throw new Error(`invalid trace ID: ${JSON.stringify(id)}`);
    const i = traceOut.next();
    writeUBigInt(tk, i, key);
    writeBigInt(ts, i, start);
    writeBigInt(te, i, end);
  }
  const rk = new FixedColumn(8);
  const rid = new TextColumn();
  const rt = new FixedColumn(16);
  const rs = new FixedColumn(8);
  const re = new FixedColumn(8);
  const requestOut = new ChunkBuilder(REQUEST_INDEX_TYPES, [rk, rid, rt, rs, re]);
  for (const [requestId, byTrace] of requests) {
    const key = requestKey(requestId);
    for (const [traceId, w] of byTrace) {
      // A request's window covers its whole traces, not only the spans carrying the ID:
      // children can start or end outside their parent when clocks are coarse or work is async.
      const t = traceId ? traces.get(traceId) : undefined;
      if (t) widen(w, t[0], t[1]);
      const i = requestOut.next();
      writeUBigInt(rk, i, key);
      rid.set(i, requestId);
      if (traceId) writeTraceId(rt, i, traceId);
      else rt.setNull(i);
      writeBigInt(rs, i, w[0]);
      writeBigInt(re, i, w[1]);
    }
  }
  return {
    traces: traceOut.finish(),
    requests: requestOut.finish(),
    operations: text(ops, b.quotedNewline),
    newOperations,
  };
}
