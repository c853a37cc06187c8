import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

const REQ = 'req_3f9a1c2b4d5e';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  // The seed's topology: a gateway (DESIGN.md lines), an agent (pino), a Python worker
  // (structlog), rotated and gzipped, plus an unrelated request and a near-miss ID.
  writeFileSync(
    join(dir, 'janus-gateway.log'),
    [
      `{"timestamp":"2026-01-25T12:00:00.000Z","level":"info","service":"gateway","request_id":"${REQ}","trace_id":"${TRACE}","event":"request_received","message":"Request received","method":"POST","path":"/v1/chat/completions"}`,
      `{"timestamp":"2026-01-25T12:00:00.010Z","level":"info","service":"gateway","request_id":"req_000000000000","event":"request_received","message":"other request"}`,
      `{"timestamp":"2026-01-25T12:00:00.412Z","level":"error","service":"gateway","request_id":"${REQ}","event":"request_failed","message":"Upstream timeout","error":"timeout","error_type":"TimeoutError","status_code":504,"duration_ms":412.3}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'agent.log.1.gz'),
    gzipSync(
      [
        `{"level":30,"time":1769342400100,"pid":7,"hostname":"box","requestId":"${REQ}","msg":"agent run started"}`,
        `{"level":30,"time":1769342400200,"pid":7,"hostname":"box","requestId":"${REQ}x","msg":"not the same ID"}`,
        `{"level":50,"time":1769342400300,"pid":7,"hostname":"box","requestId":"${REQ}","msg":"sandbox call failed","err":{"type":"Error","message":"timeout","stack":"Error: timeout"}}`,
      ].join('\r\n'),
    ),
  );
  writeFileSync(
    join(dir, 'worker.jsonl'),
    `{"event": "tool_called", "tool": "search", "request_id": "${REQ}", "level": "info", "timestamp": "2026-01-25T12:00:00.150000Z"}\n` +
      `Traceback (most recent call last): while handling ${REQ}\n`,
  );
});
afterAll(() => cleanup());

describe('hopscope search', () => {
  it('groups one request by service in time order across plain, .gz and rotated files', async () => {
    const { code, stdout, stderr } = await runCli(['search', REQ, join(dir, '*')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const order = ['gateway (2)', 'agent (2)', 'worker (2)'].map((h) => stdout.indexOf(`\n${h}`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(stdout).toContain('6 lines from 3 services');
    expect(stdout).toContain('12:00:00.000 → 12:00:00.412 (412 ms)');
    expect(stdout).not.toContain('other request');
    expect(stdout).not.toContain('not the same ID');
    expect(stdout).toMatch(/sandbox call failed error=timeout error_type=Error/);
    expect(stdout).not.toContain('\x1b['); // not a terminal: no colour
  });

  it('--json gives the API log shape with file and line, services by first appearance', async () => {
    const { code, stdout } = await runCli(['search', REQ, join(dir, '*'), '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.count).toBe(6);
    expect(result.services.map((s: { service: string }) => s.service)).toEqual([
      'gateway',
      'agent',
      'worker',
    ]);
    const agent = result.services[1].logs;
    expect(agent[0]).toMatchObject({
      service: 'agent',
      level: 'info',
      message: 'agent run started',
      request_id: REQ,
      timestamp: '2026-01-25T12:00:00.100Z',
      file: join(dir, 'agent.log.1.gz'),
      line: 1,
    });
    const worker = result.services[2].logs;
    // The traceback has no time of its own: it sits right after the line before it.
    expect(worker.map((l: { line: number }) => l.line)).toEqual([1, 2]);
    expect(worker[1].timestamp_us).toBe(worker[0].timestamp_us);
    for (const service of result.services) {
      const times = service.logs.map((l: { timestamp_us: number }) => l.timestamp_us);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('finds lines by trace ID or traceparent too', async () => {
    const byTrace = await runCli([
      'search',
      TRACE.toUpperCase(),
      join(dir, 'janus-gateway.log'),
      '--json',
    ]);
    expect(JSON.parse(byTrace.stdout).count).toBe(1);
    const byParent = await runCli([
      'search',
      `00-${TRACE}-00f067aa0ba902b7-01`,
      join(dir, 'janus-gateway.log'),
      '--json',
    ]);
    expect(JSON.parse(byParent.stdout).count).toBe(1);
  });

  it('reads stdin (gzipped or not) with -, naming lines without a service from --service', async () => {
    const lines = `{"msg":"from a pipe","request_id":"${REQ}","level":"warn"}\n`;
    const plain = await runCli(['search', REQ, '-', '--json', '--service', 'piped'], {
      stdin: lines,
    });
    expect(JSON.parse(plain.stdout).services[0]).toMatchObject({ service: 'piped', count: 1 });
    const gz = await runCli(['search', REQ, '--json'], { stdin: gzipSync(lines) });
    expect(JSON.parse(gz.stdout).services[0].logs[0].message).toBe('from a pipe');
  });

  it('adds lines that share a trace with the request but do not name it (stitching)', async () => {
    const otel = join(dir, 'stitch', 'billing.log');
    mkdirSync(join(dir, 'stitch'), { recursive: true });
    // The Python OTel SDK's LogRecord.to_json on one line: trace ID with 0x, no request ID.
    writeFileSync(
      otel,
      `{"body": "charge declined", "severity_number": 17, "severity_text": "ERROR", "attributes": {}, "timestamp": "2026-01-25T12:00:00.300000+00:00", "trace_id": "0x${TRACE}", "span_id": "0x051581bf3cb55c13", "resource": {"attributes": {"service.name": "billing"}, "schema_url": ""}}\n` +
        `{"body": "other trace", "severity_text": "INFO", "timestamp": "2026-01-25T12:00:00.301000+00:00", "trace_id": "0x0af7651916cd43dd8448eb211c80319c"}\n`,
    );
    const files = [join(dir, 'janus-gateway.log'), otel];
    const stitched = JSON.parse((await runCli(['search', REQ, ...files, '--json'])).stdout);
    expect(stitched.stitched_traces).toEqual([TRACE]);
    expect(stitched.count).toBe(3);
    const billing = stitched.services.find((s: { service: string }) => s.service === 'billing');
    expect(billing.logs).toMatchObject([
      { message: 'charge declined', matched_by: 'trace', trace_id: TRACE, line: 1 },
    ]);
    const pretty = await runCli(['search', REQ, ...files]);
    expect(pretty.stdout).toContain('billing.log:1 (same trace)');

    const plain = JSON.parse(
      (await runCli(['search', REQ, ...files, '--json', '--no-stitch'])).stdout,
    );
    expect(plain.count).toBe(2);
    expect(plain.stitched_traces).toEqual([]);
  });

  it('does not follow traces when the matches span more than a request has', async () => {
    const file = join(dir, 'stitch', 'many-traces.log');
    const trace = (i: number) => `${'ab'.repeat(15)}${String(i).padStart(2, '0')}`;
    const lines = Array.from(
      { length: 9 },
      (_, i) => `{"request_id":"${REQ}","trace_id":"${trace(i)}"}`,
    );
    writeFileSync(
      file,
      `${lines.join('\n')}\n{"msg":"same trace, no id","trace_id":"${trace(0)}"}\n`,
    );
    const { stdout, stderr } = await runCli(['search', REQ, file, '--json']);
    expect(JSON.parse(stdout).count).toBe(9);
    expect(stderr).toContain(
      'the matches span 9 traces; lines sharing only a trace ID were not added',
    );
  });

  it('exits 3 with a message when nothing matches', async () => {
    const { code, stdout, stderr } = await runCli(['search', 'req_ffffffffffff', join(dir, '*')]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/No lines mention req_ffffffffffff in 3 sources \(\d+ lines scanned\)/);
  });

  it('says what was expected for bad input, without a stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['search', 'req with space', 'x'], /expected a request ID .* got "req with space"/],
      [['search', REQ, join(dir, 'missing.log')], /no such file: .*missing\.log/],
      [['search', REQ, join(dir, 'nothing-*.log')], /no files match .*nothing-\*\.log/],
      [['search', REQ, dir], /is a directory: pass its files/],
      [['search', REQ], /expected log files, globs, or - for stdin/],
      [['search'], /missing required argument 'id'/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });
});
