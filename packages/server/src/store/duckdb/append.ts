import type { DuckDBAppender } from '@duckdb/node-api';
import type { LogRecord, SpanAiColumns, SpanRecord } from '../records.js';
import { eventsJson, linksJson } from '../span-json.js';
import { tokenColumnValue } from './ai-attrs.js';
import { spanIdValue, traceIdValue } from './ids.js';
import { splitAttributes } from './span-chunks.js';

/**
 * Row writers for DuckDB's Appender, one value at a time, in the column order of schema.ts: the
 * obvious way to load rows from JavaScript, kept as the baseline bench/server.mjs measures the
 * store against (~30 synchronous native calls per row). The store fills whole data chunks
 * instead (span-chunks.ts) and stages log lines for read_csv (csv.ts).
 */

function optVarchar(app: DuckDBAppender, value: string | undefined): void {
  if (value === undefined || value === '') app.appendNull();
  else app.appendVarchar(value);
}

/** JSON text for a JSON column; empty objects/arrays stored as NULL to save space. */
function json(app: DuckDBAppender, value: object, empty: boolean): void {
  if (empty) app.appendNull();
  else app.appendVarchar(JSON.stringify(value, bigintSafe));
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function id(value: bigint | undefined, hex: string): bigint {
  if (value === undefined) throw new Error(`invalid ID: ${JSON.stringify(hex)}`);
  return value;
}

export function appendSpan(app: DuckDBAppender, s: SpanRecord): void {
  app.appendUHugeInt(id(traceIdValue(s.traceId), s.traceId));
  app.appendUBigInt(id(spanIdValue(s.spanId), s.spanId));
  if (s.parentSpanId) app.appendUBigInt(id(spanIdValue(s.parentSpanId), s.parentSpanId));
  else app.appendNull();
  optVarchar(app, s.traceState);
  app.appendVarchar(s.name);
  app.appendUTinyInt(s.kind);
  app.appendVarchar(s.service);
  app.appendBigInt(s.startNs);
  app.appendBigInt(s.durationNs);
  app.appendUTinyInt(s.statusCode);
  optVarchar(app, s.statusMessage);
  optVarchar(app, s.requestId);
  const attrs = splitAttributes(s.attributes, s.requestId || undefined);
  json(app, s.resource, isEmpty(s.resource));
  optVarchar(app, s.scopeName);
  optVarchar(app, s.scopeVersion);
  optVarchar(app, eventsJson(s.events));
  optVarchar(app, linksJson(s.links));
  appendAi(app, s.ai);
  if (attrs.at === undefined) app.appendNull();
  else app.appendUSmallInt(attrs.at);
  optVarchar(app, attrs.keys);
  optVarchar(app, attrs.values);
  // write_batch, parent_ref, attr_ai (v11): the baseline keeps every parent as its full ID and
  // every attribute value among attr_values.
  app.appendNull();
  app.appendNull();
  app.appendNull();
  app.endRow();
}

/** The `ai_*` columns of schema v2 (NULL for spans without AI fields). */
function appendAi(app: DuckDBAppender, ai: SpanAiColumns | undefined): void {
  const int = (n: number | undefined) => {
    const v = tokenColumnValue(n);
    if (v === undefined) app.appendNull();
    else app.appendInteger(v);
  };
  const dbl = (n: number | null | undefined) =>
    n === undefined || n === null ? app.appendNull() : app.appendDouble(n);
  optVarchar(app, ai?.kind);
  optVarchar(app, ai?.provider);
  optVarchar(app, ai?.model);
  optVarchar(app, ai?.operation);
  int(ai?.input);
  int(ai?.output);
  int(ai?.cacheRead);
  int(ai?.cacheCreation);
  int(ai?.reasoning);
  dbl(ai?.costUsd);
  optVarchar(app, ai?.costSource);
  dbl(ai?.ttftMs);
  optVarchar(app, ai?.sessionId);
  optVarchar(app, ai?.userId);
}

export function appendLog(app: DuckDBAppender, l: LogRecord): void {
  app.appendBigInt(l.timestampNs);
  if (l.observedNs === undefined) app.appendNull();
  else app.appendBigInt(l.observedNs);
  app.appendUTinyInt(l.severityNumber);
  app.appendVarchar(l.level);
  app.appendVarchar(l.service);
  optVarchar(app, l.event);
  app.appendVarchar(l.body);
  optVarchar(app, l.traceId);
  optVarchar(app, l.spanId);
  optVarchar(app, l.requestId);
  json(app, l.attributes, isEmpty(l.attributes));
  json(app, l.resource, isEmpty(l.resource));
  app.appendVarchar(l.source);
  app.endRow();
}
