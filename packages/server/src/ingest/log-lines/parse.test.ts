import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import bunyan from 'bunyan';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import type { LogRecord } from '../../store/records.js';
import { parseLogLine, parseLogLineDetailed } from './index.js';

const NOW = 1_800_000_000_000_000_000n;
const ns = (iso: string, extraNs = 0n) => BigInt(Date.parse(iso)) * 1_000_000n + extraNs;

type Expected = Partial<LogRecord>;

// Lines as each library prints them (Python's json.dumps separators included). The Node
// libraries are also driven for real below.
const cases: Array<[string, string, Expected]> = [
  [
    'DESIGN.md line',
    '{"timestamp":"2026-01-25T12:00:00.123Z","level":"info","service":"gateway","request_id":"req_abc123def456","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","event":"request_completed","message":"Request completed","duration_ms":150.5,"method":"POST","path":"/v1/chat/completions","status_code":200,"is_complex":true}',
    {
      timestampNs: ns('2026-01-25T12:00:00.123Z'),
      level: 'info',
      severityNumber: 9,
      service: 'gateway',
      requestId: 'req_abc123def456',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      event: 'request_completed',
      body: 'Request completed',
      attributes: {
        duration_ms: 150.5,
        method: 'POST',
        path: '/v1/chat/completions',
        status_code: 200,
        is_complex: true,
      },
    },
  ],
  [
    'structlog JSONRenderer, TimeStamper(fmt="iso")',
    '{"user_id": 42, "request_id": "req_3f9a1c2b4d5e", "event": "user_logged_in", "level": "info", "timestamp": "2024-01-15T10:30:00.123456Z"}',
    {
      timestampNs: ns('2024-01-15T10:30:00.123Z', 456_000n),
      level: 'info',
      service: 'unknown',
      requestId: 'req_3f9a1c2b4d5e',
      event: 'user_logged_in',
      body: 'user_logged_in',
      attributes: { user_id: 42 },
    },
  ],
  [
    'structlog with a sentence as event, epoch TimeStamper and an exception',
    '{"event": "upstream call failed", "attempt": 3, "exception": "Traceback (most recent call last):\\n  File \\"app.py\\", line 3, in <module>\\nTimeoutError: timed out", "level": "error", "timestamp": 1705314600.123456, "logger": "janus.agent"}',
    {
      timestampNs: 1_705_314_600_123_456_000n,
      level: 'error',
      severityNumber: 17,
      body: 'upstream call failed',
      attributes: {
        attempt: 3,
        exception:
          'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\nTimeoutError: timed out',
        logger: 'janus.agent',
      },
    },
  ],
  [
    'Python logging + python-json-logger (asctime, levelname, name, message)',
    '{"asctime": "2024-01-15 10:30:00,123", "levelname": "WARNING", "name": "janus.gateway", "message": "slow upstream", "correlation_id": "abc-123-def", "service": "gateway"}',
    {
      timestampNs: ns('2024-01-15T10:30:00.123'), // naive: the writer's local time
      level: 'warn',
      severityNumber: 13,
      service: 'gateway',
      requestId: 'abc-123-def',
      body: 'slow upstream',
      attributes: { name: 'janus.gateway' },
    },
  ],
  [
    'Python logging JSON with created and levelno',
    '{"created": 1705314600.5, "asctime": "2024-01-15 10:30:00,500", "levelname": "CRITICAL", "levelno": 50, "message": "out of memory", "x-request-id": "req_000000000001"}',
    {
      timestampNs: 1_705_314_600_500_000_000n,
      level: 'fatal',
      severityNumber: 21,
      requestId: 'req_000000000001',
      body: 'out of memory',
      attributes: {},
    },
  ],
  [
    'OpenTelemetry Python LogRecord.to_json (one line)',
    '{"body": "charge declined", "severity_number": 17, "severity_text": "ERROR", "attributes": {"code.function": "charge", "requestId": "req_aaaaaaaaaaaa"}, "dropped_attributes": 0, "timestamp": "2024-01-15T10:30:00.123456+00:00", "observed_timestamp": "2024-01-15T10:30:00.123999+00:00", "trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2", "span_id": "0x051581bf3cb55c13", "trace_flags": 1, "resource": {"attributes": {"service.name": "billing", "telemetry.sdk.language": "python"}, "schema_url": ""}, "event_name": ""}',
    {
      timestampNs: ns('2024-01-15T10:30:00.123Z', 456_000n),
      level: 'error',
      severityNumber: 17,
      service: 'billing',
      requestId: 'req_aaaaaaaaaaaa',
      traceId: '5b8aa5a2d2c872e8321cf37308d69df2',
      spanId: '051581bf3cb55c13',
      body: 'charge declined',
      resource: { 'service.name': 'billing', 'telemetry.sdk.language': 'python' },
      attributes: {
        'code.function': 'charge',
        observed_timestamp: '2024-01-15T10:30:00.123999+00:00',
        trace_flags: 1,
        event_name: '',
      },
    },
  ],
  [
    'Go zap production (ts epoch seconds, caller)',
    '{"level":"warn","ts":1705314600.1234567,"caller":"sandbox/run.go:88","msg":"sandbox slow to start","requestId":"req_3f9a1c2b4d5e","traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","svc":"sandbox"}',
    {
      timestampNs: 1_705_314_600_123_456_700n,
      level: 'warn',
      service: 'sandbox',
      requestId: 'req_3f9a1c2b4d5e',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      body: 'sandbox slow to start',
      attributes: { caller: 'sandbox/run.go:88' },
    },
  ],
  [
    'Go log/slog JSONHandler (RFC 3339 nano with offset)',
    '{"time":"2024-01-15T05:30:00.123456789-05:00","level":"ERROR","msg":"tool failed","service.name":"runner","span_id":"00f067aa0ba902b7"}',
    {
      timestampNs: ns('2024-01-15T10:30:00.123Z', 456_789n),
      level: 'error',
      service: 'runner',
      spanId: '00f067aa0ba902b7',
      body: 'tool failed',
      attributes: {},
    },
  ],
  [
    'seed 002: a UUID is not a trace ID, so it stays an attribute',
    '{"timestamp": "2024-01-15T10:30:00.123Z", "level": "info", "event": "GPS data ingested", "trace_id": "12345678-1234-4000-8000-123456789012", "services_encountered": ["client-app", "api-gateway"]}',
    {
      body: 'GPS data ingested',
      attributes: {
        trace_id: '12345678-1234-4000-8000-123456789012',
        services_encountered: ['client-app', 'api-gateway'],
      },
    },
  ],
  [
    'invalid IDs are kept as attributes, never as IDs',
    '{"level":"info","message":"x","request_id":"bad id with spaces","trace_id":"00000000000000000000000000000000","span_id":"xyz","traceparent":"garbage"}',
    {
      attributes: {
        request_id: 'bad id with spaces',
        trace_id: '00000000000000000000000000000000',
        span_id: 'xyz',
        traceparent: 'garbage',
      },
    },
  ],
  [
    'a traceparent field supplies trace and span IDs',
    '{"level":"info","message":"x","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}',
    {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      attributes: {},
    },
  ],
  [
    'a second, different request-ID alias is kept as an attribute',
    '{"level":"info","message":"x","request_id":"req_111111111111","correlation_id":"job-7","requestId":"req_111111111111"}',
    { requestId: 'req_111111111111', attributes: { correlation_id: 'job-7' } },
  ],
  [
    'ECS-style nested service and @timestamp',
    '{"@timestamp":"2024-01-15T10:30:00.000Z","log.level":"debug","message":"cache miss","service":{"name":"catalog","version":"1.2.0"}}',
    {
      timestampNs: ns('2024-01-15T10:30:00.000Z'),
      level: 'debug',
      severityNumber: 5,
      service: 'catalog',
      body: 'cache miss',
      attributes: { service: { version: '1.2.0' } },
    },
  ],
  [
    'a `time` that is a duration is not mistaken for a timestamp',
    '{"level":"info","msg":"done","time":12.5}',
    { timestampNs: NOW, attributes: { time: 12.5 } },
  ],
];

describe('parseLogLine', () => {
  it.each(cases)('%s', (_name, line, expected) => {
    const record = parseLogLine(line, { now: NOW });
    expect(record).toMatchObject({ source: 'ndjson', observedNs: NOW, ...expected });
    if (expected.attributes) expect(record.attributes).toEqual(expected.attributes);
    for (const key of ['requestId', 'traceId', 'spanId', 'event'] as const) {
      if (!(key in expected)) expect(record[key], key).toBeUndefined();
    }
  });

  it('keeps non-JSON lines as plain info messages with the given service', () => {
    const line = 'Traceback (most recent call last): req_3f9a1c2b4d5e';
    expect(parseLogLineDetailed(line, { service: 'legacy', now: NOW })).toEqual({
      shape: 'text',
      record: {
        timestampNs: NOW,
        observedNs: NOW,
        severityNumber: 9,
        level: 'info',
        service: 'legacy',
        body: line,
        attributes: {},
        resource: {},
        source: 'ndjson',
      },
    });
  });

  it('takes the time from the start of a text line when it has one', () => {
    const line = '2024-01-15 10:30:00,123 ERROR janus.gateway upstream timeout';
    expect(parseLogLine(line, { now: NOW }).timestampNs).toBe(ns('2024-01-15T10:30:00.123'));
    expect(parseLogLine('[2024-01-15T10:30:00.5Z] boot', { now: NOW }).timestampNs).toBe(
      ns('2024-01-15T10:30:00.500Z'),
    );
    expect(parseLogLine('2024-01-15 is not a time', { now: NOW }).timestampNs).toBe(NOW);
  });

  it('tells truncated JSON and JSON non-objects apart from JSON records', () => {
    expect(parseLogLineDetailed('{"level":"info","msg":"cut').shape).toBe('malformed_json');
    expect(parseLogLineDetailed('{"level":"info","msg":"cut').record.body).toBe(
      '{"level":"info","msg":"cut',
    );
    expect(parseLogLineDetailed('[1,2]').shape).toBe('text');
    expect(parseLogLineDetailed('"just a string"').shape).toBe('text');
    expect(parseLogLineDetailed('{"msg":"ok"}\r\n').shape).toBe('json');
    expect(parseLogLineDetailed('\uFEFF{"msg":"bom"}\n').record.body).toBe('bom');
    expect(parseLogLineDetailed('plain\r\n').record.body).toBe('plain');
  });

  it('prefers the line service over the option, and the option over "unknown"', () => {
    expect(parseLogLine('{"msg":"a","app":"web"}', { service: 'cli' }).service).toBe('web');
    expect(parseLogLine('{"msg":"a"}', { service: 'cli' }).service).toBe('cli');
    expect(parseLogLine('{"msg":"a"}').service).toBe('unknown');
  });

  it('does not let a __proto__ key change the attributes object', () => {
    const record = parseLogLine('{"msg":"a","__proto__":{"polluted":true}}');
    expect(Object.getPrototypeOf(record.attributes)).toBe(Object.prototype);
    expect((record.attributes as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(record.attributes)).toEqual(['__proto__']);
  });
});

function collector(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

describe('lines written by the real Node libraries', () => {
  it('pino (numeric level, epoch ms, hostname/pid, err)', () => {
    const { stream, lines } = collector();
    const log = pino({ base: { pid: 4242, hostname: 'box-1' } }, stream).child({
      service: 'gateway',
      request_id: 'req_3f9a1c2b4d5e',
    });
    const before = BigInt(Date.now()) * 1_000_000n;
    log.error({ err: new TypeError('bad input'), status_code: 400 }, 'request rejected');
    const record = parseLogLine(lines[0], { now: NOW });
    expect(lines[0]).toMatch(/^\{"level":50,"time":\d{13},"pid":4242,"hostname":"box-1"/);
    expect(record).toMatchObject({
      level: 'error',
      severityNumber: 17,
      service: 'gateway',
      requestId: 'req_3f9a1c2b4d5e',
      body: 'request rejected',
      resource: { 'host.name': 'box-1', 'process.pid': 4242 },
      attributes: { status_code: 400, error: 'bad input', error_type: 'TypeError' },
    });
    expect(record.attributes.error_stack).toMatch(/^TypeError: bad input\n/);
    expect(record.timestampNs).toBeGreaterThanOrEqual(before - 1_000_000n);
    expect(record.timestampNs).toBeLessThan(NOW);
  });

  it('bunyan (v, name as service, ISO time)', () => {
    const { stream, lines } = collector();
    const log = bunyan.createLogger({ name: 'agent-runtime', streams: [{ stream }] });
    log.warn({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', tokens: 812 }, 'token budget low');
    const raw = JSON.parse(lines[0]);
    expect(raw.v).toBe(0);
    const record = parseLogLine(lines[0], { now: NOW });
    expect(record).toMatchObject({
      level: 'warn',
      severityNumber: 13,
      service: 'agent-runtime',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      body: 'token budget low',
      timestampNs: BigInt(Date.parse(raw.time)) * 1_000_000n,
      resource: { 'host.name': raw.hostname, 'process.pid': raw.pid },
      attributes: { tokens: 812 },
    });
  });

  it('winston (format.timestamp + format.json, defaultMeta service)', async () => {
    const { stream, lines } = collector();
    const logger = winston.createLogger({
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { service: 'ui-backend' },
      transports: [new winston.transports.Stream({ stream })],
    });
    logger.info('page rendered', { correlationId: 'req_bbbbbbbbbbbb', ms: 31 });
    await new Promise<void>((resolve) => logger.on('finish', resolve).end());
    const raw = JSON.parse(lines[0]);
    const record = parseLogLine(lines[0], { now: NOW });
    expect(record).toMatchObject({
      level: 'info',
      service: 'ui-backend',
      requestId: 'req_bbbbbbbbbbbb',
      body: 'page rendered',
      timestampNs: BigInt(Date.parse(raw.timestamp)) * 1_000_000n,
      attributes: { ms: 31 },
    });
  });
});

const PYTHON_SCRIPT = `
import logging, sys, structlog
from pythonjsonlogger import jsonlogger
structlog.configure(processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso"), structlog.processors.JSONRenderer()],
    logger_factory=structlog.PrintLoggerFactory(sys.stdout))
structlog.contextvars.bind_contextvars(request_id="req_3f9a1c2b4d5e")
log = structlog.get_logger()
log.info("tool_called", tool="web_search")
log.error("sandbox call failed", attempt=3)
handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(jsonlogger.JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
logger = logging.getLogger("janus.gateway")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
logger.propagate = False
logger.warning("slow upstream", extra={"correlation_id": "abc-123-def", "service": "gateway"})
try:
    1 / 0
except ZeroDivisionError:
    logger.exception("handler crashed")
`;

/** Debian's python3 with python3-structlog and python3-pythonjsonlogger, when present. */
function runPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const result = spawnSync(python, ['-c', PYTHON_SCRIPT], { encoding: 'utf8' });
    if (result.status === 0) return result.stdout;
  }
  return undefined;
}

const pythonOutput = runPython();
const PYTHON_MISSING =
  'needs python3 with structlog and python-json-logger: apt-get install python3-structlog python3-pythonjsonlogger';
if (pythonOutput === undefined && process.env.CI) throw new Error(PYTHON_MISSING);

describe.skipIf(pythonOutput === undefined)('lines written by the real Python libraries', () => {
  const lines = (pythonOutput ?? '').trim().split('\n');
  const before = BigInt(Date.now() - 60_000) * 1_000_000n;

  it('structlog JSONRenderer with contextvars and TimeStamper(fmt="iso")', () => {
    const [toolCalled, failed] = lines.map((l) => parseLogLine(l, { service: 'worker', now: NOW }));
    expect(toolCalled).toMatchObject({
      service: 'worker',
      level: 'info',
      event: 'tool_called',
      body: 'tool_called',
      requestId: 'req_3f9a1c2b4d5e',
      attributes: { tool: 'web_search' },
    });
    expect(failed).toMatchObject({
      level: 'error',
      body: 'sandbox call failed',
      attributes: { attempt: 3 },
    });
    expect(failed.event).toBeUndefined();
    // ISO with microseconds and Z: parsed to the microsecond, not taken from `now`.
    expect(toolCalled.timestampNs).toBeGreaterThan(before);
    expect(toolCalled.timestampNs % 1000n).toBe(0n);
    expect(toolCalled.timestampNs).toBeLessThan(NOW);
  });

  it('python-json-logger JsonFormatter (asctime, levelname, exc_info)', () => {
    const [warning, crashed] = lines.slice(2).map((l) => parseLogLine(l, { now: NOW }));
    expect(warning).toMatchObject({
      service: 'gateway',
      level: 'warn',
      body: 'slow upstream',
      requestId: 'abc-123-def',
      attributes: { name: 'janus.gateway' },
    });
    expect(crashed).toMatchObject({ level: 'error', body: 'handler crashed' });
    expect(crashed.attributes.exc_info).toMatch(/^Traceback[\s\S]*ZeroDivisionError/);
    expect(warning.timestampNs).toBeGreaterThan(before);
    expect(warning.timestampNs).toBeLessThan(NOW);
  });
});
