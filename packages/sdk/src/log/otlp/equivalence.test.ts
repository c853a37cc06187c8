import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attrs, loadOtlpTypes, OtlpReceiver } from '../../../test/otlp-receiver.js';
import { runWithRequestId } from '../../context/index.js';
import { TracedError } from '../../errors/index.js';
import { init } from '../../init.js';
import { withSpan } from '../../trace/index.js';
import { buildResource } from '../../trace/resource.js';
import { createLogger, type HopscopeLogger } from '../logger.js';
import { createOtlpLogSink } from '../otlp-sink.js';
import { getLogSink, type LogSink, setLogSink } from '../sink.js';

type KeyValue = Parameters<typeof attrs>[0] extends (infer T)[] | undefined ? T : never;
interface PbLogRecord {
  time_unix_nano: string;
  severity_number?: number;
  severity_text?: string;
  body?: unknown;
  event_name?: string;
  attributes?: KeyValue[];
  dropped_attributes_count?: number;
  flags?: number;
  trace_id?: number[];
  span_id?: number[];
}
interface PbLogsRequest {
  resource_logs?: {
    resource?: { attributes?: KeyValue[] };
    scope_logs?: { scope?: unknown; log_records?: PbLogRecord[] }[];
  }[];
}

async function loadLogsRequestType() {
  return (await loadOtlpTypes()).logs;
}

/**
 * The same log calls sent once through the official OpenTelemetry logs SDK path (a LogRecord
 * per line, BatchLogRecordProcessor, OTLPLogExporter) and once through the line export
 * init() installs, each to its own real OTLP receiver; both bodies decoded with protobufjs and
 * the OTLP .proto files, record by record.
 */
describe('line export sends what the OpenTelemetry logs SDK sent', () => {
  const official = new OtlpReceiver();
  const ours = new OtlpReceiver();
  const written: string[] = [];
  let logger: HopscopeLogger;
  let handle: ReturnType<typeof init>;
  let lineSink: LogSink;
  let provider: LoggerProvider;

  beforeAll(async () => {
    const oursUrl = await ours.start();
    const officialUrl = await official.start();
    handle = init({
      service: 'equivalence',
      version: '2.0.0',
      environment: 'test',
      endpoint: oursUrl,
      compression: 'gzip', // as the official exporter below is set up
      exportTraces: false,
      exportDelayMs: 20,
    });
    lineSink = getLogSink() as LogSink;
    // the official path: LoggerProvider + BatchLogRecordProcessor + OTLPLogExporter (proto,
    // gzip), with init()'s resource, pointed at the other receiver
    provider = new LoggerProvider({
      resource: buildResource(handle.options),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({
            url: `${officialUrl}/v1/logs`,
            compression: CompressionAlgorithm.GZIP,
          }),
          scheduledDelayMillis: 20,
        }),
      ],
    });
    const officialSink = createOtlpLogSink(provider, '0.1.0');
    logger = createLogger({
      destination: new Writable({
        write(chunk, _enc, done) {
          written.push(String(chunk));
          done();
        },
      }),
      level: 'debug',
    }).bind({ agent: 'planner', attempt: 2 });

    for (const sink of [officialSink, lineSink]) {
      setLogSink(sink);
      writeLines(logger);
    }
    setLogSink(lineSink);
    await Promise.all([handle.forceFlush(), provider.forceFlush()]);
  });

  afterAll(async () => {
    await Promise.all([handle.shutdown(), provider.shutdown()]);
    await Promise.all([official.stop(), ours.stop()]);
  });

  it('sends one record per line, in order, with the same fields', async () => {
    const type = await loadLogsRequestType();
    const theirs = decodeAll(official, type);
    const mine = decodeAll(ours, type);
    const lines = written.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2 * LINE_COUNT);
    expect(theirs.records).toHaveLength(LINE_COUNT);
    expect(mine.records).toHaveLength(LINE_COUNT);

    expect(mine.resource).toEqual(theirs.resource);
    expect(mine.resource['service.name']).toBe('equivalence');
    expect(mine.scope).toEqual(theirs.scope);

    for (let i = 0; i < LINE_COUNT; i++) {
      const a = comparable(theirs.records[i] as PbLogRecord);
      const b = comparable(mine.records[i] as PbLogRecord);
      // what the line adds beyond the logs SDK record: the Error's stack and cause
      const extra = ['error_stack', 'cause', 'cause_type'].filter((k) => k in b.attributes);
      if (lines[LINE_COUNT + i]?.error !== undefined) expect(extra).toContain('error_stack');
      for (const k of extra) {
        delete b.attributes[k];
        delete b.attribute_types[k];
      }
      // each run had its own span: each record carries the IDs of its own line (a lone trace
      // or span ID cannot be a record's: it stays an attribute)
      for (const [record, line] of [
        [a, lines[i]],
        [b, lines[LINE_COUNT + i]],
      ] as const) {
        const both = line?.trace_id !== undefined && line?.span_id !== undefined;
        expect(record.trace_id).toBe(both ? line?.trace_id : '');
        expect(record.span_id).toBe(both ? line?.span_id : '');
        record.trace_id = record.span_id = '';
      }
      expect(b, `record ${i} (${b.event_name})`).toEqual(a);
      // the record's time is the line's timestamp
      const line = lines[LINE_COUNT + i] as { timestamp: string };
      expect(BigInt((mine.records[i] as PbLogRecord).time_unix_nano)).toBe(
        BigInt(Date.parse(line.timestamp)) * 1_000_000n,
      );
    }
  });

  it('puts trace and span IDs, flags and request.id on records logged in a span', async () => {
    const type = await loadLogsRequestType();
    const mine = decodeAll(ours, type).records.map(comparable);
    const inSpan = mine.find((r) => r.event_name === 'plan_made');
    expect(inSpan?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(inSpan?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(inSpan?.flags).toBe(1);
    expect(inSpan?.attributes['request.id']).toBe('req_0123456789ab');
    const outside = mine.find((r) => r.event_name === 'outside_request');
    expect(outside?.trace_id).toBe('');
    expect(outside?.attributes['request.id']).toBeUndefined();
    // both sinks follow the line's identity rule (identity.ts)
    const theirs = decodeAll(official, type).records.map(comparable);
    for (const records of [mine, theirs]) {
      const stray = records.find((r) => r.event_name === 'stray_bound');
      expect(stray?.attributes).toMatchObject({
        'request.id': 'req_0123456789ab',
        'user.request_id': 'req_aaaaaaaaaaaa',
        'user.level': 'fatal',
        'user.service': 'impostor',
        'user.trace_id': '0af7651916cd43dd8448eb211c80319c',
      });
      expect(stray?.severity_text).toBe('info');
      const job = records.find((r) => r.event_name === 'job_step');
      expect(job?.attributes).toMatchObject({ 'request.id': 'job_42', 'user.level': 'loud' });
      expect(job?.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(job?.span_id).toBe('b7ad6b7169203331');
      const call = records.find((r) => r.event_name === 'job_call');
      expect(call?.attributes).toMatchObject({
        'user.request_id': 'bad id',
        span_id: 'b7ad6b7169203331',
      });
      const odd = records.find((r) => r.event_name === 'job_odd');
      expect(odd?.attributes).toMatchObject({ 'request.id': 'job_43', 'user.trace_id': 'XYZ' });
    }
  });
});

const LINE_COUNT = 17;

/** Every call shape and value type the logger takes; LINE_COUNT lines. */
function writeLines(log: HopscopeLogger): void {
  runWithRequestId('req_0123456789ab', () => {
    log.info('request_received', { method: 'GET', path: '/users/42' });
    withSpan('plan', () => {
      log.info('plan_made', {
        steps: 3,
        ratio: 0.25,
        negative: -7,
        ok: true,
        nested: { model: 'gpt', tokens: { in: 12, out: 30 } },
        list: ['a', 1, false, { deep: 'x' }],
        nothing: null,
        when: new Date('2026-01-25T12:00:00.123Z'),
        unicode: 'héllo — 世界 🚀 "quoted" \\ \n',
      });
      log.debug('thinking', 'Human message with "quotes"');
      log.warn({ user_id: 'u1', event: 'slow_call' }, 'took long');
      log.error('tool_failed', {
        error: new TracedError('Sandbox execution timed out', {
          cause: new RangeError('deadline'),
        }),
      });
      log.fatal(new Error('boom'), 'it broke');
      log.info('with_message_field', { message: 'from the fields', code: 7 });
    });
    log.info('request_completed', { status_code: 200, duration_ms: 3.2 });
    // around the one-pass paths for short ASCII strings and small integers (otlp/any-value.ts)
    log.info('boundaries', {
      s99: 'a'.repeat(99),
      s100: 'b'.repeat(100),
      ascii_then_accent: `${'c'.repeat(20)}é`,
      [`k${'k'.repeat(60)}`]: 'v'.repeat(60),
      [`k${'k'.repeat(61)}`]: 'v'.repeat(60),
      i127: 127,
      i128: 128,
      i16384: 16_384,
      i2097152: 2_097_152,
      i2p28m1: 2 ** 28 - 1,
      i2p28: 2 ** 28,
    });
    // fields named like parts of the line: the request's IDs win, the fields stay as user.<key>
    withSpan('stray', () =>
      log
        .bind({ request_id: 'req_aaaaaaaaaaaa', level: 'fatal' })
        .info('stray_bound', { service: 'impostor', trace_id: '0af7651916cd43dd8448eb211c80319c' }),
    );
  });
  // outside a request a job names its own lines (valid IDs), other values stay user.<key>
  log
    .bind({ request_id: 'job_42', trace_id: '0af7651916cd43dd8448eb211c80319c' })
    .bind({ span_id: 'b7ad6b7169203331' })
    .info('job_step', { level: 'loud' });
  log.info('job_call', { request_id: 'bad id', span_id: 'b7ad6b7169203331' });
  log.bind({ trace_id: 'XYZ' }).info('job_odd', { request_id: 'job_43' });
  log.info('outside_request');
  log.info('A plain sentence, not an event');
  log.info({ only: 'fields' });
  log.child({ stage: 'late' }).info('bound_again', { n: 1 });
}

function decodeAll(receiver: OtlpReceiver, type: Awaited<ReturnType<typeof loadLogsRequestType>>) {
  const records: PbLogRecord[] = [];
  let resource: Record<string, unknown> = {};
  let scope: unknown;
  for (const req of receiver.requests.filter((r) => r.path === '/v1/logs')) {
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['content-encoding']).toBe('gzip');
    const msg = type.toObject(type.decode(gunzipSync(req.body)), {
      longs: String,
      bytes: Array,
    }) as PbLogsRequest;
    for (const rl of msg.resource_logs ?? []) {
      resource = attrs(rl.resource?.attributes);
      for (const sl of rl.scope_logs ?? []) {
        scope = sl.scope;
        records.push(...(sl.log_records ?? []));
      }
    }
  }
  return { records, resource, scope };
}

/** A record with its times left out (each path reads the clock itself) and values made plain. */
function comparable(r: PbLogRecord) {
  return {
    severity_number: r.severity_number,
    severity_text: r.severity_text,
    body: r.body,
    event_name: r.event_name,
    attributes: attrs(r.attributes),
    attribute_types: Object.fromEntries(
      (r.attributes ?? []).map((kv) => [kv.key, Object.keys(kv.value ?? {}).join()]),
    ),
    dropped_attributes_count: r.dropped_attributes_count ?? 0,
    flags: r.flags ?? 0,
    trace_id: Buffer.from(r.trace_id ?? []).toString('hex'),
    span_id: Buffer.from(r.span_id ?? []).toString('hex'),
  };
}
