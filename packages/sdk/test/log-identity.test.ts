import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  type HopscopeHandle,
  type HopscopeLogger,
  init,
  runWithRequestId,
  withSpan,
} from '../src/index.js';
import { setFlatLines } from '../src/log/logger.js';
import { LineSink } from './line-sink.js';
import { type DecodedLog, OtlpReceiver } from './otlp-receiver.js';

/**
 * Who names a log line (src/log/identity.ts), checked on the stdout line and on the OTLP record
 * a real receiver gets, for the logger's own (flat) path and pino's: inside a request the
 * request's IDs and the line's own timestamp/level/service win, colliding user fields are kept
 * as `user.<key>`; outside a request a valid bound or call request_id (and trace/span IDs when
 * no span is active) names the line.
 */
const REQUEST = 'req_0123456789ab';
const STRAY = 'req_aaaaaaaaaaaa';
const T = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';
const FORGED_TIME = '2000-01-01T00:00:00.000Z';
/** Every part of a line's identity, claimed by a user field (in the call or bound). */
const FORGED = {
  request_id: STRAY,
  trace_id: T,
  span_id: S,
  level: 'fatal',
  timestamp: FORGED_TIME,
  service: 'impostor',
};

const receiver = new OtlpReceiver();
const sink = new LineSink();
let handle: HopscopeHandle;
let log: HopscopeLogger;

/** Every case logs one line whose `case` field names it; `span` is filled in when it runs. */
interface Ran {
  span?: { traceId: string; spanId: string };
}

function writeCases(path: string): Record<string, Ran> {
  const ran: Record<string, Ran> = {};
  const c = (name: string) => `${path}:${name}`;
  const inRequest = (name: string, fn: () => void) =>
    runWithRequestId(REQUEST, () =>
      withSpan('op', (span) => {
        ran[name] = { span: span.spanContext() };
        fn();
      }),
    );

  inRequest('call_in_request', () =>
    log.info('call_fields', { case: c('call_in_request'), ...FORGED }),
  );
  // a logger bound with another request's IDs (as if created in that request and reused here)
  const stray = log.bind({ ...FORGED, agent: 'planner' });
  inRequest('bound_in_request', () => stray.warn('bound_fields', { case: c('bound_in_request') }));
  inRequest('bound_and_call', () =>
    stray.info('both_fields', { case: c('bound_and_call'), request_id: 'req_bbbbbbbbbbbb' }),
  );
  // a request without a span: the request still owns trace_id/span_id
  runWithRequestId(REQUEST, () => {
    ran.request_no_span = {};
    log.info('no_span', { case: c('request_no_span'), trace_id: T, span_id: S });
  });
  // outside any request: a background job names its own work
  ran.bound_outside = {};
  log
    .bind({ request_id: 'job_42', trace_id: T, span_id: S })
    .info('job_step', { case: c('bound_outside') });
  ran.call_outside = {};
  log.info('job_call', {
    case: c('call_outside'),
    request_id: 'bad id\n',
    trace_id: 'XYZ',
    span_id: S,
    level: 'loud',
  });
  // outside a request but in a span: the span's IDs win, a request_id may still name the line
  withSpan('job', (span) => {
    ran.outside_in_span = { span: span.spanContext() };
    log
      .bind({ request_id: 'job_43', trace_id: T })
      .info('job_in_span', { case: c('outside_in_span') });
  });
  return ran;
}

beforeAll(async () => {
  const endpoint = await receiver.start();
  handle = init({
    service: 'identity',
    endpoint,
    exportDelayMs: 20,
    logLevel: 'debug',
    logDestination: sink,
  });
  log = createLogger({ destination: sink, level: 'debug' });
});
afterAll(async () => {
  setFlatLines(true);
  await handle.shutdown();
  await receiver.stop();
});

describe('a line’s identity is the request’s; colliding user fields become user.<key>', () => {
  const ran: Record<string, Record<string, Ran>> = {};
  const lines: Record<string, Record<string, unknown>> = {};
  const records: Record<string, DecodedLog> = {};

  beforeAll(async () => {
    for (const [path, flat] of [
      ['flat', true],
      ['pino', false],
    ] as const) {
      setFlatLines(flat);
      ran[path] = writeCases(path);
    }
    setFlatLines(true);
    await handle.forceFlush();
    for (const line of sink.lines) lines[line.case as string] = line;
    for (const record of receiver.logs()) records[record.attributes.case as string] = record;
  });

  const paths = ['flat', 'pino'] as const;
  const get = (path: string, name: string) => {
    const line = lines[`${path}:${name}`];
    const record = records[`${path}:${name}`];
    if (line === undefined || record === undefined) {
      throw new Error(`no line or record for ${path}:${name}; lines: ${sink.raw.join('\n')}`);
    }
    return { line, record, span: ran[path]?.[name]?.span };
  };

  for (const path of paths) {
    it(`${path}: call fields in a request never replace the request’s IDs, level, time or service`, () => {
      const { line, record, span } = get(path, 'call_in_request');
      expect(line).toMatchObject({
        level: 'info',
        service: 'identity',
        request_id: REQUEST,
        trace_id: span?.traceId,
        span_id: span?.spanId,
        event: 'call_fields',
        'user.request_id': STRAY,
        'user.trace_id': T,
        'user.span_id': S,
        'user.level': 'fatal',
        'user.timestamp': FORGED_TIME,
        'user.service': 'impostor',
      });
      expect(line.timestamp).not.toBe(FORGED_TIME);
      expect(record.severityText).toBe('info');
      expect(record.resource['service.name']).toBe('identity');
      expect(record.traceId).toBe(span?.traceId);
      expect(record.spanId).toBe(span?.spanId);
      expect(record.attributes).toMatchObject({
        'request.id': REQUEST,
        'user.request_id': STRAY,
        'user.trace_id': T,
        'user.span_id': S,
        'user.level': 'fatal',
        'user.timestamp': FORGED_TIME,
        'user.service': 'impostor',
      });
      for (const key of ['request_id', 'trace_id', 'span_id', 'level', 'timestamp', 'service']) {
        expect(record.attributes).not.toHaveProperty([key]);
      }
    });

    it(`${path}: a logger bound with another request’s IDs writes this request’s`, () => {
      const { line, record, span } = get(path, 'bound_in_request');
      expect(line).toMatchObject({
        level: 'warn',
        service: 'identity',
        request_id: REQUEST,
        trace_id: span?.traceId,
        span_id: span?.spanId,
        agent: 'planner',
        'user.request_id': STRAY,
        'user.trace_id': T,
        'user.span_id': S,
        'user.level': 'fatal',
        'user.service': 'impostor',
      });
      expect(record.attributes['request.id']).toBe(REQUEST);
      expect(record.attributes['user.request_id']).toBe(STRAY);
      expect(record.severityText).toBe('warn');
      expect(record.traceId).toBe(span?.traceId);
      expect(record.spanId).toBe(span?.spanId);

      // bound and call both name a request ID: one user.request_id, the call's
      const both = get(path, 'bound_and_call');
      expect(both.line.request_id).toBe(REQUEST);
      expect(both.line['user.request_id']).toBe('req_bbbbbbbbbbbb');
      expect(both.record.attributes['request.id']).toBe(REQUEST);
      expect(both.record.attributes['user.request_id']).toBe('req_bbbbbbbbbbbb');
    });

    it(`${path}: in a request without a span, trace and span IDs are not taken from fields`, () => {
      const { line, record } = get(path, 'request_no_span');
      expect(line.request_id).toBe(REQUEST);
      expect(line).not.toHaveProperty('trace_id');
      expect(line).not.toHaveProperty('span_id');
      expect(line).toMatchObject({ 'user.trace_id': T, 'user.span_id': S });
      expect(record.traceId).toBe('');
      expect(record.attributes).toMatchObject({ 'user.trace_id': T, 'user.span_id': S });
    });

    it(`${path}: outside a request, valid bound IDs name the line; invalid ones are kept as user fields`, () => {
      const job = get(path, 'bound_outside');
      expect(job.line).toMatchObject({ request_id: 'job_42', trace_id: T, span_id: S });
      expect(Object.keys(job.line).filter((k) => k.startsWith('user.'))).toEqual([]);
      expect(job.record.attributes['request.id']).toBe('job_42');
      expect(job.record.traceId).toBe(T);
      expect(job.record.spanId).toBe(S);

      const call = get(path, 'call_outside');
      expect(call.line).toMatchObject({
        level: 'info',
        span_id: S,
        'user.request_id': 'bad id\n',
        'user.trace_id': 'XYZ',
        'user.level': 'loud',
      });
      expect(call.line).not.toHaveProperty('request_id');
      expect(call.line).not.toHaveProperty('trace_id');
      expect(call.record.attributes).not.toHaveProperty(['request.id']);
      expect(call.record.attributes).toMatchObject({
        'user.request_id': 'bad id\n',
        'user.trace_id': 'XYZ',
        'user.level': 'loud',
        // a span ID without a trace ID cannot be the record's: it stays an attribute
        span_id: S,
      });

      const inSpan = get(path, 'outside_in_span');
      expect(inSpan.line).toMatchObject({
        request_id: 'job_43',
        trace_id: inSpan.span?.traceId,
        span_id: inSpan.span?.spanId,
        'user.trace_id': T,
      });
      expect(inSpan.record.attributes['request.id']).toBe('job_43');
      expect(inSpan.record.traceId).toBe(inSpan.span?.traceId);
    });
  }

  it('both paths write the same lines and send the same records', () => {
    const names = Object.keys(ran.flat ?? {});
    expect(names).toHaveLength(7);
    const strip = (path: string, name: string) => {
      const { line, record } = get(path, name);
      const { timestamp: _t, case: _c, trace_id: _ti, span_id: _si, ...rest } = line;
      const { case: _rc, ...attributes } = record.attributes;
      const spanIds = ran[path]?.[name]?.span;
      return {
        // the cases' own spans differ per path; other IDs must be equal
        ids: [line.trace_id === spanIds?.traceId ? 'span' : line.trace_id],
        rest,
        keys: Object.keys(line),
        record: { ...record, attributes, traceId: '', spanId: '' },
      };
    };
    for (const name of names) expect(strip('flat', name), name).toEqual(strip('pino', name));
    for (const raw of sink.raw) {
      for (const key of ['request_id', 'trace_id', 'span_id', 'level', 'timestamp', 'service']) {
        expect(raw.split(`"${key}":`).length - 1, `${key} in ${raw}`).toBeLessThanOrEqual(1);
        expect(raw.split(`"user.${key}":`).length - 1, `user.${key} in ${raw}`).toBeLessThanOrEqual(
          1,
        );
      }
    }
  });
});
