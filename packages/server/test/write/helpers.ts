import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ExportTraceServiceRequest } from '../../src/ingest/otlp/proto.js';
import { type ServerHandle, type ServerOptions, startServer } from '../../src/server.js';
import { MIGRATIONS } from '../../src/store/duckdb/schema.js';
import { DUCKDB_FILE_NAME } from '../../src/store/duckdb/store.js';
import type { SpanRecord } from '../../src/store/records.js';

/** A span as the store takes it, starting now, with random IDs; `over` replaces any field. */
export function spanRecord(over: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: hex(16),
    spanId: hex(8),
    name: 'op',
    kind: 2,
    service: 'svc',
    startNs: BigInt(Date.now()) * 1_000_000n,
    durationNs: 1_000_000n,
    statusCode: 0,
    attributes: {},
    resource: { 'service.name': 'svc' },
    events: [],
    links: [],
    ...over,
  };
}

/**
 * A tracer of the official SDK whose spans stay in memory, so a test can send the very same
 * spans through several exporters; `finished()` gives those ended so far.
 */
export function memoryTracer(
  resource: Attributes,
  scope: string,
  version: string,
): { tracer: Tracer; finished: () => ReadableSpan[] } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return { tracer: provider.getTracer(scope, version), finished: () => memory.getFinishedSpans() };
}

/** A fresh data folder in the OS temp dir, removed by `cleanup`. */
export function tempDir(prefix = 'hopscope-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real server on ephemeral ports with its own temp DuckDB file. */
export async function testServer(
  options: ServerOptions = {},
): Promise<ServerHandle & { dir: string; stop: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const server = await startServer({ port: 0, grpcPort: 0, dataDir: dir, ...options });
  return {
    ...server,
    dir,
    close: server.close,
    stop: async () => {
      await server.close();
      cleanup();
    },
  };
}

/** An official OTel exporter's export() as a promise of its result. */
export function exportWith(
  exporter: unknown,
  items: unknown[],
): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) =>
    (
      exporter as {
        export: (items: unknown[], cb: (r: { code: number; error?: Error }) => void) => void;
      }
    ).export(items, resolve),
  );
}

export function hex(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

export interface TestSpan {
  traceId: string;
  spanId: string;
  name?: string;
  requestId?: string;
  parentSpanId?: string;
  attributes?: Record<string, string | number | boolean>;
}

/** An OTLP/JSON ExportTraceServiceRequest as a sender would write it. */
export function otlpJson(service: string, spans: TestSpan[], startMs = Date.now()): string {
  const toKv = (attrs: Record<string, string | number | boolean>) =>
    Object.entries(attrs).map(([key, v]) => ({
      key,
      value:
        typeof v === 'string'
          ? { stringValue: v }
          : typeof v === 'boolean'
            ? { boolValue: v }
            : Number.isInteger(v)
              ? { intValue: String(v) }
              : { doubleValue: v },
    }));
  const start = BigInt(startMs) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: toKv({ 'service.name': service }) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: spans.map((s, i) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name ?? `op-${i}`,
              kind: 2,
              startTimeUnixNano: String(start + BigInt(i) * 1000n),
              endTimeUnixNano: String(start + BigInt(i) * 1000n + 5_000_000n),
              attributes: toKv({
                ...(s.requestId ? { 'request.id': s.requestId } : {}),
                ...s.attributes,
              }),
              status: { code: 0 },
            })),
          },
        ],
      },
    ],
  });
}

export function postJson(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

/** An OTLP trace export (protobufjs object) POSTed as protobuf to a server's /v1/traces. */
export function postTraces(serverUrl: string, request: object): Promise<Response> {
  return fetch(`${serverUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: ExportTraceServiceRequest.encode(request).finish(),
  });
}

/**
 * The data file in `dir` as schema `version` left it (MIGRATIONS 1 to `version` run and
 * recorded), open for a test to fill before a store migrates it. Close both when done.
 */
export async function dataFileAtVersion(
  dir: string,
  version: number,
): Promise<{ db: DuckDBInstance; conn: DuckDBConnection }> {
  const db = await DuckDBInstance.create(join(dir, DUCKDB_FILE_NAME));
  const conn = await db.connect();
  await conn.run(
    'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)',
  );
  for (let v = 1; v <= version; v++) {
    await conn.run(MIGRATIONS[v - 1]!);
    await conn.run(`INSERT INTO schema_version (version) VALUES (${v})`);
  }
  return { db, conn };
}

/** A valid protobuf request with `n` spans, built through the same schema a sender uses. */
export function protoBody(n: number): Uint8Array {
  const msg = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: Buffer.from(hex(16), 'hex'),
              spanId: Buffer.from(hex(8), 'hex'),
              name: `op-${i}`,
              kind: 2,
              startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
              endTimeUnixNano: 1_700_000_000_005_000_000n.toString(),
              attributes: [{ key: 'n', value: { intValue: i } }],
            })),
          },
        ],
      },
    ],
  });
  return ExportTraceServiceRequest.encode(msg).finish();
}

/** An OTLP KeyValue as protobufjs takes it. */
export const kv = (key: string, value: object) => ({ key, value });

/** One attribute of every AnyValue kind, with a credential in a string and in a nested key. */
export const everyValueKind = [
  kv('s', { stringValue: 'hello Bearer abcdef123456' }),
  kv('b', { boolValue: true }),
  kv('i', { intValue: -42 }),
  kv('big', { intValue: '9007199254740993' }),
  kv('d', { doubleValue: 1.5 }),
  kv('arr', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } }),
  kv('kv', {
    kvlistValue: { values: [kv('password', { stringValue: 'x' }), kv('n', { doubleValue: 2 })] },
  }),
  kv('bytes', { bytesValue: Buffer.from('raw') }),
];
