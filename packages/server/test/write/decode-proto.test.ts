import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, DEFAULT_REDACTION } from '../../src/config.js';
import { convertLogs, convertTraces } from '../../src/ingest/otlp/convert.js';
import { decodeLogsRequest, decodeTraceRequest } from '../../src/ingest/otlp/decode-proto.js';
import {
  ExportLogsServiceRequest,
  ExportTraceServiceRequest,
} from '../../src/ingest/otlp/proto.js';
import { Sanitizer } from '../../src/ingest/sanitize.js';
import { everyValueKind, hex, kv } from './helpers.js';

const sanitizer = () => new Sanitizer({ ...DEFAULT_LIMITS, maxAttributes: 8 }, DEFAULT_REDACTION);
const id = (bytes: number) => Buffer.from(hex(bytes), 'hex');

describe('hand-written OTLP protobuf decoder', () => {
  it('gives exactly what protobufjs + the generic converter give, for every field kind', () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [kv('service.name', { stringValue: 'api' })] },
          scopeSpans: [
            {
              scope: { name: 'scope-a', version: '2.0' },
              spans: [
                {
                  traceId: id(16),
                  spanId: id(8),
                  parentSpanId: id(8),
                  traceState: 'k=v',
                  name: 'GET /x',
                  kind: 3,
                  startTimeUnixNano: '1795000000000000123',
                  endTimeUnixNano: '1795000000500000456',
                  attributes: [
                    kv('request.id', { stringValue: 'req_00aa11bb22cc' }),
                    ...everyValueKind,
                  ],
                  events: [
                    {
                      timeUnixNano: '1795000000100000000',
                      name: 'e1',
                      attributes: everyValueKind.slice(0, 2),
                    },
                  ],
                  links: [
                    {
                      traceId: id(16),
                      spanId: id(8),
                      traceState: 't',
                      attributes: [kv('l', { intValue: 7 })],
                    },
                  ],
                  status: { code: 2, message: 'boom' },
                },
                {
                  traceId: id(16),
                  spanId: id(8),
                  name: 'no-parent',
                  startTimeUnixNano: '5',
                  endTimeUnixNano: '3',
                },
                { traceId: Buffer.from('short'), spanId: id(8) },
              ],
            },
          ],
        },
        { scopeSpans: [{ spans: [{ traceId: id(16), spanId: id(8), name: 'no resource' }] }] },
      ],
    };
    const bytes = Buffer.from(
      ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(request)).finish(),
    );
    const a = sanitizer();
    const b = sanitizer();
    const fast = decodeTraceRequest(bytes, a);
    const generic = convertTraces(ExportTraceServiceRequest.decode(bytes), 'proto', b);
    expect(fast).toEqual(generic);
    expect(a.counts).toEqual(b.counts);
    expect(fast.records).toHaveLength(3);
    expect(fast.rejected).toBe(1);
    expect(fast.firstError).toBe(
      'resourceSpans[0].scopeSpans[0].spans[2].traceId: expected 16 bytes, got 5',
    );
    const first = fast.records[0]!;
    expect(first.attributes.big).toBe('9007199254740993');
    expect(first.attributes.i).toBe(-42);
    expect(first.attributes.kv).toEqual({ password: '[REDACTED]', n: 2 });
    expect(first.attributes.s).toBe('hello Bearer [REDACTED]');
    expect(first.startNs).toBe(1795000000000000123n);
    expect(first.durationNs).toBe(500000333n);
    expect(first.attributes.bytes).toBeUndefined();
    expect(a.counts.truncatedAttributes).toBe(1);
    expect(fast.records[1]!.durationNs).toBe(0n);
    expect(fast.records[2]!.service).toBe('unknown_service');
  });

  it('decodes logs the same way too', () => {
    const request = {
      resourceLogs: [
        {
          resource: { attributes: [kv('service.name', { stringValue: 'worker' })] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1795000000000000000',
                  observedTimeUnixNano: '1795000000000000001',
                  severityNumber: 13,
                  severityText: 'WARN',
                  body: { kvlistValue: { values: [kv('msg', { stringValue: 'hi' })] } },
                  attributes: [
                    kv('request_id', { stringValue: 'req_1' }),
                    kv('token', { stringValue: 'x' }),
                  ],
                  traceId: id(16),
                  spanId: id(8),
                  eventName: 'thing_happened',
                },
                { severityText: 'error', body: { stringValue: 'plain' } },
                { traceId: id(3) },
              ],
            },
          ],
        },
      ],
    };
    const bytes = Buffer.from(
      ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(request)).finish(),
    );
    const fast = decodeLogsRequest(bytes, sanitizer());
    const generic = convertLogs(ExportLogsServiceRequest.decode(bytes), 'proto', sanitizer());
    // Records without a timestamp get "now", read separately by each path.
    fast.records[1]!.timestampNs = generic.records[1]!.timestampNs;
    expect(fast).toEqual(generic);
    expect(fast.records[0]!.attributes.token).toBe('[REDACTED]');
    expect(fast.records[1]!.level).toBe('error');
    expect(fast.rejected).toBe(1);
  });

  it('refuses structurally broken input with the byte offset', () => {
    const bytes = Buffer.from(
      ExportTraceServiceRequest.encode(
        ExportTraceServiceRequest.fromObject({
          resourceSpans: [
            { scopeSpans: [{ spans: [{ traceId: id(16), spanId: id(8), name: 'x' }] }] },
          ],
        }),
      ).finish(),
    );
    expect(() => decodeTraceRequest(bytes.subarray(0, bytes.length - 3), sanitizer())).toThrow(
      /body is not a valid protobuf ExportTraceServiceRequest: length \d+ at byte \d+ runs past the end/,
    );
    expect(() => decodeTraceRequest(Buffer.from([0x0b, 0x01]), sanitizer())).toThrow(
      /field 1 has wire type 3, expected 2|unsupported wire type/,
    );
  });
});
