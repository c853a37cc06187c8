import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

// The OTLP .proto definitions the server ships: the SDK's tests read them as test data only
// (the SDK itself never touches the server), so there is one copy to keep current.
const protoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../server/proto');

/** The OTLP export request types, decoded with protobufjs from the OTLP .proto files. */
export async function loadOtlpTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  await root.load(
    [
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    ],
    { keepCase: true },
  );
  return {
    traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type AnyValue = {
  string_value?: string;
  int_value?: string | number;
  double_value?: number;
  bool_value?: boolean;
  kvlist_value?: { values: KeyValue[] };
  array_value?: { values: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };

export function anyValue(v: AnyValue | undefined): unknown {
  if (v === undefined || v === null) return undefined;
  if (v.string_value !== undefined) return v.string_value;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.double_value !== undefined) return v.double_value;
  if (v.bool_value !== undefined) return v.bool_value;
  if (v.kvlist_value !== undefined) return attrs(v.kvlist_value.values);
  if (v.array_value !== undefined) return (v.array_value.values ?? []).map(anyValue);
  return undefined;
}

export function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

export interface DecodedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  events: { name: string; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
}

export interface DecodedLog {
  body: unknown;
  severityNumber: number;
  severityText: string;
  eventName: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

interface PbResource {
  resource?: { attributes?: KeyValue[] };
}
interface PbSpan {
  name: string;
  trace_id?: number[];
  span_id?: number[];
  parent_span_id?: number[];
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  events?: { name: string; attributes?: KeyValue[] }[];
}
interface PbLog {
  body?: AnyValue;
  severity_number?: number;
  severity_text?: string;
  event_name?: string;
  trace_id?: number[];
  span_id?: number[];
  attributes?: KeyValue[];
}
type PbResourceSpans = PbResource & { scope_spans?: { spans?: PbSpan[] }[] };
type PbResourceLogs = PbResource & { scope_logs?: { log_records?: PbLog[] }[] };

const hex = (b: number[] | undefined) => Buffer.from(b ?? []).toString('hex');

/**
 * A real OTLP/HTTP receiver on 127.0.0.1 (ephemeral port) that keeps every request and decodes
 * the protobuf bodies with the OTLP .proto definitions. `delayMs` makes it a slow collector.
 */
export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  delayMs = 0;
  private server: Server | undefined;
  private types: Awaited<ReturnType<typeof loadOtlpTypes>> | undefined;

  async start(): Promise<string> {
    this.types = await loadOtlpTypes();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          res.end();
        }, this.delayMs);
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private decode(path: string, kind: 'traces' | 'logs'): Record<string, unknown>[] {
    if (this.types === undefined) throw new Error('receiver not started');
    const type = this.types[kind];
    return this.requests
      .filter((r) => r.path === path)
      .map((r) => {
        const raw = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;
        return type.toObject(type.decode(raw), { longs: String, bytes: Array }) as Record<
          string,
          unknown
        >;
      });
  }

  spans(): DecodedSpan[] {
    const out: DecodedSpan[] = [];
    for (const msg of this.decode('/v1/traces', 'traces')) {
      for (const rs of (msg.resource_spans as PbResourceSpans[] | undefined) ?? []) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scope_spans ?? []) {
          for (const s of ss.spans ?? []) {
            out.push({
              name: s.name,
              traceId: hex(s.trace_id),
              spanId: hex(s.span_id),
              parentSpanId: hex(s.parent_span_id),
              attributes: attrs(s.attributes),
              status: s.status ?? {},
              events: (s.events ?? []).map((e) => ({
                name: e.name,
                attributes: attrs(e.attributes),
              })),
              resource,
            });
          }
        }
      }
    }
    return out;
  }

  logs(): DecodedLog[] {
    const out: DecodedLog[] = [];
    for (const msg of this.decode('/v1/logs', 'logs')) {
      for (const rl of (msg.resource_logs as PbResourceLogs[] | undefined) ?? []) {
        const resource = attrs(rl.resource?.attributes);
        for (const sl of rl.scope_logs ?? []) {
          for (const l of sl.log_records ?? []) {
            out.push({
              body: anyValue(l.body),
              severityNumber: Number(l.severity_number ?? 0),
              severityText: l.severity_text ?? '',
              eventName: l.event_name ?? '',
              traceId: hex(l.trace_id),
              spanId: hex(l.span_id),
              attributes: attrs(l.attributes),
              resource,
            });
          }
        }
      }
    }
    return out;
  }
}
