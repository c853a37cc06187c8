import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { attrs, loadOtlpTypes } from '../../../test/otlp-receiver.js';
import { OTLP_SEVERITY } from '../levels.js';
import { type CapturedLine, type FlatRecord, LogsRequestEncoder } from './encode.js';

const resource = resourceFromAttributes({
  'service.name': 'encoder',
  'service.version': '1.0.0',
  'process.pid': 4242,
  'host.name': 'høst-名前',
});
const scope = { name: 'hopscope', version: '0.1.0' };

const long = 'x'.repeat(300);
const longUnicode = 'é世🚀'.repeat(40); // > 42 UTF-16 units, multi-byte
const fields = {
  agent: 'planner',
  small: 7,
  zero: 0,
  negative: -3,
  bigNegative: -(2 ** 40),
  big: 2 ** 60,
  beyondInt64: 2 ** 64,
  ratio: 0.1,
  tiny: -1.5e-300,
  yes: true,
  no: false,
  nothing: null,
  empty: '',
  long,
  longUnicode,
  'ключ 🔑': 'unicode key',
  nested: { a: { b: { c: [1, 'two', { three: 3 }] } }, list: [] },
  many: Array.from({ length: 400 }, (_, i) => ({ i, s: `item ${i}` })), // > 16 KB: 3-byte lengths
};

function lineOf(extra: Record<string, unknown>, ids = true): CapturedLine {
  const timeMs = 1_769_342_400_123;
  const line = {
    level: 'warn',
    timestamp: new Date(timeMs).toISOString(),
    request_id: 'req_0123456789ab',
    ...(ids ? { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' } : {}),
    event: 'plan_made',
    service: 'encoder',
    ...extra,
    message: 'Plan made — 3 steps',
  };
  return { line: `${JSON.stringify(line)}\n`, timeMs, traceFlags: 1 };
}

/** The ReadableLogRecord the logs SDK held for the same log call (see otlp-sink.ts). */
function officialRecord(captured: CapturedLine, extra: Record<string, unknown>): ReadableLogRecord {
  const line = JSON.parse(captured.line);
  const time: [number, number] = [
    Math.floor(captured.timeMs / 1000),
    (captured.timeMs % 1000) * 1e6,
  ];
  return {
    hrTime: time,
    hrTimeObserved: time,
    severityNumber: OTLP_SEVERITY.warn,
    severityText: 'warn',
    body: line.message,
    eventName: 'plan_made',
    attributes: { event: 'plan_made', 'request.id': 'req_0123456789ab', ...extra } as never,
    droppedAttributesCount: 0,
    spanContext: line.trace_id
      ? { traceId: line.trace_id, spanId: line.span_id, traceFlags: 1 }
      : undefined,
    resource,
    instrumentationScope: scope,
  };
}

describe('LogsRequestEncoder', () => {
  it('writes the bytes the official OTLP serializer writes for the same records', () => {
    const cases = [fields, {}, { only: 'one' }];
    const captured = cases.map((f, i) => lineOf(f, i !== 1));
    const ours = new LogsRequestEncoder(resource, scope).encode(captured);
    const official = ProtobufLogsSerializer.serializeRequest(
      captured.map((c, i) => officialRecord(c, cases[i] as Record<string, unknown>)),
    );
    expect(ours.records).toBe(3);
    expect(Buffer.from(ours.bytes).equals(Buffer.from(official as Uint8Array))).toBe(true);
  });

  it('decodes with protobufjs and the OTLP protos to the line’s values', async () => {
    const type = (await loadOtlpTypes()).logs;
    const captured = lineOf(fields);
    const { bytes } = new LogsRequestEncoder(resource, scope).encode([captured]);
    const msg = type.toObject(type.decode(bytes), { longs: String, bytes: Array }) as {
      resource_logs: {
        resource: { attributes: Parameters<typeof attrs>[0] };
        scope_logs: {
          scope: { name: string; version: string };
          log_records: Record<string, unknown>[];
        }[];
      }[];
    };
    const rl = msg.resource_logs[0];
    expect(attrs(rl?.resource.attributes)).toEqual({
      'service.name': 'encoder',
      'service.version': '1.0.0',
      'process.pid': 4242,
      'host.name': 'høst-名前',
    });
    expect(rl?.scope_logs[0]?.scope).toEqual(scope);
    const record = rl?.scope_logs[0]?.log_records[0] as Record<string, unknown>;
    expect(record.time_unix_nano).toBe('1769342400123000000');
    expect(record.observed_time_unix_nano).toBe('1769342400123000000');
    expect(record.severity_number).toBe(13);
    expect(record.severity_text).toBe('warn');
    expect(record.event_name).toBe('plan_made');
    expect(record.flags).toBe(1);
    expect(Buffer.from(record.trace_id as number[]).toString('hex')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    const got = attrs(record.attributes as Parameters<typeof attrs>[0]);
    expect(got).toMatchObject({
      event: 'plan_made',
      'request.id': 'req_0123456789ab',
      agent: 'planner',
      negative: -3,
      bigNegative: -(2 ** 40),
      big: 2 ** 60,
      beyondInt64: 2 ** 64,
      ratio: 0.1,
      tiny: -1.5e-300,
      yes: true,
      no: false,
      long,
      longUnicode,
      'ключ 🔑': 'unicode key',
      nested: { a: { b: { c: [1, 'two', { three: 3 }] } }, list: [] },
    });
    expect(got.many).toEqual(fields.many);
    expect(got.nothing).toBeUndefined();
  });

  it('skips lines that are not JSON objects and keeps at most 128 attributes', () => {
    const wide = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, i]));
    const encoder = new LogsRequestEncoder(resource, scope);
    const { records, bytes } = encoder.encode([
      { line: 'not json', timeMs: 0, traceFlags: 0 },
      { line: '[1,2]', timeMs: 0, traceFlags: 0 },
      lineOf(wide),
    ]);
    expect(records).toBe(1);
    // event + request.id + 126 fields; the other 74 are counted as dropped
    const kept = Object.fromEntries(Array.from({ length: 126 }, (_, i) => [`f${i}`, i]));
    const official = ProtobufLogsSerializer.serializeRequest([
      { ...officialRecord(lineOf(wide), kept), droppedAttributesCount: 74 },
    ]);
    expect(Buffer.from(bytes).equals(Buffer.from(official as Uint8Array))).toBe(true);
  });

  it('gives each record of a batch its own IDs and request ID, whatever came before', () => {
    const x = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const y = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    const upper = { traceId: x.traceId.toUpperCase(), spanId: x.spanId.toUpperCase() };
    const sequence: [string | undefined, { traceId?: string; spanId?: string }][] = [
      ['req_aaaaaaaaaaaa', x],
      ['req_aaaaaaaaaaaa', x],
      ['req_bbbbbbbbbbbb', y],
      ['req_aaaaaaaaaaaa', x],
      ['req_cccccccccccc', upper], // not W3C IDs: attributes, no record IDs
      [undefined, x],
      ['req_aaaaaaaaaaaa', {}],
      ['req_aaaaaaaaaaaa', { traceId: x.traceId, spanId: y.spanId }],
    ];
    const flat: FlatRecord[] = sequence.map(([requestId, ids], i) => ({
      timeMs: 1_769_342_400_000 + i,
      traceFlags: i % 2,
      level: 'info',
      message: `m${i}`,
      event: 'step',
      requestId,
      traceId: ids.traceId,
      spanId: ids.spanId,
      fields: { i },
    }));
    const ours = new LogsRequestEncoder(resource, scope).encode(
      flat.map((line) => ({ line, timeMs: line.timeMs, traceFlags: line.traceFlags })),
    );
    const official = ProtobufLogsSerializer.serializeRequest(
      flat.map((r): ReadableLogRecord => {
        const w3c = r.traceId === x.traceId || r.traceId === y.traceId;
        const time: [number, number] = [Math.floor(r.timeMs / 1000), (r.timeMs % 1000) * 1e6];
        const attributes: Record<string, unknown> = { event: 'step' };
        if (r.requestId !== undefined) attributes['request.id'] = r.requestId;
        attributes.i = r.fields.i;
        if (!w3c && r.traceId !== undefined) attributes.trace_id = r.traceId;
        if (!w3c && r.spanId !== undefined) attributes.span_id = r.spanId;
        return {
          hrTime: time,
          hrTimeObserved: time,
          severityNumber: OTLP_SEVERITY.info,
          severityText: 'info',
          body: r.message,
          eventName: 'step',
          attributes: attributes as never,
          droppedAttributesCount: 0,
          spanContext: w3c
            ? { traceId: r.traceId as string, spanId: r.spanId as string, traceFlags: r.traceFlags }
            : undefined,
          resource,
          instrumentationScope: scope,
        };
      }),
    );
    expect(ours.records).toBe(sequence.length);
    expect(Buffer.from(ours.bytes).equals(Buffer.from(official as Uint8Array))).toBe(true);
  });
});
