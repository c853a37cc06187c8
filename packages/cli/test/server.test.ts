import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { type ServerHandle, startServer } from '@hopscope/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleLength } from '../src/render/color.js';
import { eventually, runCli, tempDir } from './helpers.js';
import { sendTraces } from './otlp.js';

const REQ = 'req_3f9a1c2b4d5e';
const REQ_OK = 'req_0000000000ab';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_OK = '0af7651916cd43dd8448eb211c80319c';
const GATEWAY_SPAN = '00f067aa0ba902b7';
const AGENT_SPAN = '1111111111111111';
const SANDBOX_SPAN = '2222222222222222';

let server: ServerHandle;
let url: string;
let dir: string;
let cleanup: () => void;
const t0 = Date.now() - 60_000;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  server = await startServer({ port: 0, grpcPort: false, dataDir: join(dir, 'data') });
  url = server.url;
  await sendTraces(url, [
    {
      service: 'gateway',
      traceId: TRACE,
      spanId: GATEWAY_SPAN,
      name: 'POST /v1/chat',
      startMs: t0,
      durationMs: 400,
      requestId: REQ,
    },
    {
      service: 'agent',
      traceId: TRACE,
      spanId: AGENT_SPAN,
      parentSpanId: GATEWAY_SPAN,
      name: 'agent.run',
      startMs: t0 + 50,
      durationMs: 300,
      requestId: REQ,
    },
    {
      service: 'sandbox',
      traceId: TRACE,
      spanId: SANDBOX_SPAN,
      parentSpanId: AGENT_SPAN,
      name: 'exec',
      startMs: t0 + 100,
      durationMs: 200,
      requestId: REQ,
      error: 'exec timed out after 200 ms',
    },
    {
      service: 'gateway',
      traceId: TRACE_OK,
      spanId: '3333333333333333',
      name: 'POST /v1/chat',
      startMs: t0 + 1000,
      durationMs: 120,
      requestId: REQ_OK,
    },
  ]);
}, 60_000);
afterAll(async () => {
  await server?.close();
  cleanup();
});

const iso = (ms: number) => new Date(ms).toISOString();

describe('against a real server', () => {
  it('ingest sends a file of mixed shapes and summarises it', async () => {
    const file = join(dir, 'gateway.log');
    writeFileSync(
      file,
      [
        JSON.stringify({
          timestamp: iso(t0 + 1),
          level: 'info',
          service: 'gateway',
          request_id: REQ,
          trace_id: TRACE,
          span_id: GATEWAY_SPAN,
          event: 'request_received',
          message: 'Request received',
          method: 'POST',
          path: '/v1/chat',
        }),
        // A Python worker that only writes logs and got only x-request-id (no traceparent).
        `{"event": "tool_called", "tool": "web_search", "request_id": "${REQ}", "level": "info", "timestamp": "${iso(t0 + 120)}", "service": "python-worker"}`,
        JSON.stringify({
          timestamp: iso(t0 + 399),
          level: 'error',
          service: 'gateway',
          request_id: REQ,
          trace_id: TRACE,
          span_id: GATEWAY_SPAN,
          event: 'request_failed',
          message: 'Upstream timeout',
          error: 'timeout',
          status_code: 504,
        }),
        '',
        `${iso(t0 + 2)} plain text line for ${REQ_OK}`,
        JSON.stringify({
          timestamp: iso(t0 + 1001),
          level: 'info',
          service: 'gateway',
          request_id: REQ_OK,
          event: 'request_completed',
          message: 'Request completed',
          duration_ms: 120,
        }),
      ].join('\n'),
    );
    const { code, stderr, stdout } = await runCli(['ingest', file, '--server', url]);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^Sent 5 of 5 lines from 1 source to http:\/\/127\.0\.0\.1:\d+ in [\d.]+ s/,
    );
    expect(stderr).toContain('1 line was not JSON and kept as plain messages.');
    expect(stderr).toContain('1 blank line skipped.');
    expect(code).toBe(0);
  });

  it('ingest draws a progress line on a terminal and clears it', async () => {
    const file = join(dir, 'progress.log');
    writeFileSync(file, `${'{"message":"p"}\n'.repeat(1000)}`);
    const { code, stderr } = await runCli(['ingest', file, '--server', url], { stderrTty: true });
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /\r\[[#.]{24}\] +\d+% {2}[\d.]+ KB\/16 KB {2}[\d,]+ lines {2}[\d,]+ lines\/s/,
    );
    expect(stderr).toMatch(/\r +\rSent 1,000 of 1,000 lines/);
    const quiet = await runCli(['ingest', file, '--no-progress', '--server', url], {
      stderrTty: true,
    });
    expect(quiet.stderr).toMatch(/^Sent 1,000 of 1,000 lines/);
  });

  it('trace draws the waterfall, then the logs; exit 1 because the request failed', async () => {
    const { code, stdout, stderr } = await runCli(['trace', REQ, '--server', url], {
      columns: 100,
      env: { NO_COLOR: '1' },
    });
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Request ${REQ}  ✗ failed`));
    expect(stdout).toContain('first error: sandbox exec');
    const rows = ['gateway POST /v1/chat', '  agent agent.run', '    sandbox exec'].map((label) =>
      lines.findIndex((l) => l.startsWith(label)),
    );
    expect(rows.every((i) => i > 0)).toBe(true);
    expect([...rows].sort((a, b) => a - b)).toEqual(rows); // parents above children
    // Bars are scaled: the root spans the whole bar area, the 200 ms child half of it.
    const bar = (i: number) => (lines[i].match(/█+/) ?? [''])[0].length;
    expect(bar(rows[0])).toBeGreaterThan(bar(rows[2]) * 1.7);
    expect(lines[rows[2]]).toMatch(/200 ms ✗$/);
    expect(lines[rows[2] + 1]).toContain('✗ exec timed out after 200 ms');
    for (const line of lines) expect(visibleLength(line)).toBeLessThanOrEqual(100 + 2);
    const logsAt = lines.findIndex((l) => /^Logs \(\d+\)$/.test(l));
    expect(logsAt).toBeGreaterThan(rows[2]);
    const logLines = lines.slice(logsAt + 1).join('\n');
    expect(logLines.indexOf('request_received')).toBeLessThan(logLines.indexOf('tool_called'));
    expect(logLines.indexOf('tool_called')).toBeLessThan(logLines.indexOf('request_failed'));
    expect(logLines).toContain('python-worker');
  });

  it('trace fits narrow and wide terminals', async () => {
    for (const columns of [40, 200]) {
      const { stdout } = await runCli(['trace', REQ, '--server', url], {
        columns,
        env: { NO_COLOR: '1' },
      });
      const lines = stdout.split('\n');
      // Rows end in the duration, plus ` ✗` on failed spans.
      const rows = lines.filter((l) => l.includes('█'));
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(visibleLength(row.replace(/ ✗$/, ''))).toBe(columns);
      expect(rows[0]).toMatch(/^gateway POST.*█+ +400 ms$/);
    }
  });

  it('trace --max-spans draws the first rows and says how many are left', async () => {
    const { stdout } = await runCli(['trace', REQ, '--max-spans', '1', '--server', url]);
    expect(stdout.split('\n').filter((l) => l.includes('█'))).toHaveLength(1);
    expect(stdout).toContain('… 2 more spans (--max-spans, or --json for all)');
  });

  it('trace colours services and errors on a terminal', async () => {
    const { stdout } = await runCli(['trace', REQ, '--server', url], { columns: 100 });
    expect(stdout).toContain('\x1b[31m\x1b[1m✗ failed');
    expect(stdout).toMatch(/\x1b\[3\dmgateway\x1b\[39m POST \/v1\/chat/);
  });

  it('trace --json is the API response; trace IDs and traceparents work too', async () => {
    const json = await runCli(['trace', REQ, '--json', '--server', url]);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout);
    expect(body.request_id).toBe(REQ);
    expect(body.spans).toHaveLength(3);
    expect(body.services).toEqual(
      expect.arrayContaining(['gateway', 'agent', 'sandbox', 'python-worker']),
    );

    const byTrace = await runCli(['trace', TRACE, '--json', '--server', url]);
    expect(JSON.parse(byTrace.stdout).query.kind).toBe('trace_id');
    const byParent = await runCli([
      'trace',
      `00-${TRACE}-${GATEWAY_SPAN}-01`,
      '--json',
      '--server',
      url,
    ]);
    expect(JSON.parse(byParent.stdout).trace_ids).toContain(TRACE);
  });

  it('trace exits 0 for a request that succeeded and 3 for one never seen', async () => {
    const ok = await runCli(['trace', REQ_OK, '--server', url]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✓ ok');
    const missing = await runCli(['trace', 'req_ffffffffffff', '--server', url]);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain(`No spans or logs for request id req_ffffffffffff at ${url}`);
  });

  it('logs filters by request, service, level and text, oldest first', async () => {
    const byRequest = await runCli(['logs', '--request-id', REQ, '--json', '--server', url]);
    expect(byRequest.code).toBe(0);
    const events = byRequest.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    expect(events).toEqual(['request_received', 'tool_called', 'request_failed']);

    const errors = await runCli([
      'logs',
      '--service',
      'gateway',
      '--level',
      'error',
      '--json',
      '--server',
      url,
    ]);
    expect(
      errors.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    ).toEqual(['Upstream timeout']);

    const grep = await runCli(['logs', '--grep', 'UPSTREAM', '--server', url]);
    expect(grep.stdout).toMatch(
      /ERROR gateway\s+request_failed Upstream timeout req=req_3f9a1c2b4d5e/,
    );

    const sinceIso = await runCli([
      'logs',
      '--request-id',
      REQ,
      '--since',
      iso(t0 + 100),
      '--json',
      '--server',
      url,
    ]);
    expect(
      sinceIso.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).event),
    ).toEqual(['tool_called', 'request_failed']);

    const newest = await runCli(['logs', '--limit', '2', '--json', '--server', url]);
    const two = newest.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(two).toHaveLength(2);
    expect(two[0].timestamp_us).toBeLessThanOrEqual(two[1].timestamp_us);

    const tty = await runCli(['logs', '--request-id', REQ, '--server', url], { columns: 120 });
    expect(tty.stdout).toContain('\x1b[31m\x1b[1mERROR\x1b[22m\x1b[39m');
    const noColor = await runCli(['logs', '--request-id', REQ, '--server', url], {
      columns: 120,
      env: { NO_COLOR: '1' },
    });
    expect(noColor.stdout).not.toContain('\x1b[');
    expect(noColor.stdout).toMatch(/ERROR gateway\s+request_failed Upstream timeout error=timeout/);

    // A request from two hours ago: found by ID without --since (the API alone looks back 1h).
    const old = Date.now() - 2 * 3_600_000;
    await runCli(['ingest', '-', '--service', 'old', '--server', url], {
      stdin: JSON.stringify({
        timestamp: iso(old),
        request_id: 'req_00000000a1d0',
        message: 'two hours ago',
      }),
    });
    const byOldId = await runCli([
      'logs',
      '--request-id',
      'req_00000000a1d0',
      '--json',
      '--server',
      url,
    ]);
    expect(JSON.parse(byOldId.stdout).message).toBe('two hours ago');
    const byService = await runCli(['logs', '--service', 'old', '--json', '--server', url]);
    expect(byService.stdout).toBe('');

    const none = await runCli(['logs', '--service', 'nobody', '--server', url]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('No log lines match (service nobody, since 1h)');
  });

  it('logs --limit pages past the API page size, newest lines, oldest first', async () => {
    const start = Date.now() - 30_000;
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({ timestamp: iso(start + i), level: 'info', message: `n${i}` }),
    );
    const sent = await runCli(['ingest', '-', '--service', 'many', '--server', url], {
      stdin: lines.join('\n'),
    });
    expect(sent.code).toBe(0);
    const { stdout } = await runCli([
      'logs',
      '--service',
      'many',
      '--limit',
      '1200',
      '--json',
      '--server',
      url,
    ]);
    const messages = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).message);
    expect(messages).toHaveLength(1200);
    expect(messages[0]).toBe('n300');
    expect(messages.at(-1)).toBe('n1499');
  });

  it('logs --follow prints lines that arrive later, once each, until interrupted', async () => {
    const controller = new AbortController();
    let seenText = '';
    const running = runCli(
      [
        'logs',
        '--follow',
        '--service',
        'follower',
        '--interval',
        '200ms',
        '--json',
        '--server',
        url,
      ],
      {
        signal: controller.signal,
        onStdout: (text) => {
          seenText = text;
        },
      },
    );
    const post = (message: string) =>
      fetch(`${url}/api/ingest/logs?service=follower`, {
        method: 'POST',
        body: JSON.stringify({ timestamp: new Date().toISOString(), level: 'info', message }),
      });
    await new Promise((r) => setTimeout(r, 400));
    await post('first arrival');
    await eventually(() => expect(seenText).toContain('first arrival'));
    await post('second arrival');
    await eventually(() => expect(seenText).toContain('second arrival'));
    await new Promise((r) => setTimeout(r, 600)); // a few more polls: nothing repeats
    controller.abort();
    const { code, stdout } = await running;
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    ).toEqual(['first arrival', 'second arrival']);
  });

  it('stats shows a RED table per service and operation', async () => {
    const { code, stdout } = await runCli(['stats', '--since', '2h', '--server', url]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /SERVICE \/ OPERATION\s+KIND\s+COUNT\s+RATE\/s\s+ERRORS\s+ERR %\s+P50\s+P95\s+P99/,
    );
    expect(stdout).toMatch(/^sandbox\s+1\s+[\d.e-]+\s+1\s+100\.0%/m);
    expect(stdout).toMatch(/^ {2}exec\s+server\s+1/m);
    const json = await runCli([
      'stats',
      '--service',
      'gateway',
      '--since',
      '2h',
      '--json',
      '--server',
      url,
    ]);
    const body = JSON.parse(json.stdout);
    expect(body.services.map((s: { service: string }) => s.service)).toEqual(['gateway']);
    expect(body.services[0].count).toBe(2);
  });

  it('ingest --follow survives rotation and truncation, like tail -F', async () => {
    const file = join(dir, 'rotating.log');
    const line = (n: number) =>
      `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'info', message: `rot-${n}` })}\n`;
    writeFileSync(file, line(1) + line(2));
    const controller = new AbortController();
    const running = runCli(['ingest', '--follow', file, '--server', url], {
      signal: controller.signal,
    });
    const stored = async (n: number) => {
      const { stdout } = await runCli(['logs', '--service', 'rotating', '--json', '--server', url]);
      expect(stdout.trim().split('\n').filter(Boolean)).toHaveLength(n);
    };
    await eventually(() => stored(2));
    appendFileSync(file, line(3) + '{"level":"info","message":"rot-4"'); // the last line still being written
    appendFileSync(file, '}\n');
    await eventually(() => stored(4));
    renameSync(file, `${file}.1`); // logrotate: move away, then a new file
    appendFileSync(`${file}.1`, line(5)); // the writer's last line into the old file
    writeFileSync(file, line(6));
    await eventually(() => stored(6));
    writeFileSync(file, '{"message":"rot-7"}\n'); // copytruncate: same file, now shorter
    await eventually(() => stored(7));
    controller.abort();
    const { code, stderr } = await running;
    expect(code).toBe(0);
    expect(stderr).toMatch(/^Sent 7 of 7 lines/);
    const { stdout } = await runCli(['logs', '--service', 'rotating', '--json', '--server', url]);
    const messages = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).message)
      .sort();
    expect(messages).toEqual(['rot-1', 'rot-2', 'rot-3', 'rot-4', 'rot-5', 'rot-6', 'rot-7']);
  });

  it('ingest --follow waits for a file that does not exist yet, and reads a .gz once', async () => {
    const later = join(dir, 'later.log');
    const gz = join(dir, 'old.log.1.gz');
    writeFileSync(gz, gzipSync('{"message":"from the archive"}\n'));
    const controller = new AbortController();
    const running = runCli(['ingest', '--follow', later, gz, '--server', url], {
      signal: controller.signal,
    });
    const messages = async (service: string) => {
      const { stdout } = await runCli(['logs', '--service', service, '--json', '--server', url]);
      return stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).message);
    };
    await eventually(async () => expect(await messages('old')).toEqual(['from the archive']));
    writeFileSync(later, '{"message":"appeared"}\n');
    await eventually(async () => expect(await messages('later')).toEqual(['appeared']));
    controller.abort();
    const { code, stderr } = await running;
    expect(code).toBe(0);
    expect(stderr).toMatch(/^Sent 2 of 2 lines from 2 sources/);
  });

  it('ingest - sends lines from a live pipe without waiting for a full batch or EOF', async () => {
    const pipe = new PassThrough();
    const running = runCli(['ingest', '-', '--service', 'live-pipe', '--server', url], {
      stdin: pipe,
    });
    pipe.write('{"message":"still running"}\n');
    await eventually(async () => {
      const { stdout } = await runCli([
        'logs',
        '--service',
        'live-pipe',
        '--json',
        '--server',
        url,
      ]);
      expect(stdout).toContain('still running');
    });
    pipe.end('{"message":"done"}\n');
    const { code, stderr } = await running;
    expect(code).toBe(0);
    expect(stderr).toMatch(/^Sent 2 of 2 lines/);
  });

  it('ingest reads stdin and counts lines the server refuses without stopping', async () => {
    const small = await startServer({
      port: 0,
      grpcPort: false,
      dataDir: join(dir, 'small'),
      limits: { maxBodyBytes: 4096 },
    });
    try {
      const big = JSON.stringify({ level: 'info', message: 'x'.repeat(6000) });
      const input = ['{"message":"a"}', big, '{"message":"b"}', '{"message":"c"}'].join('\n');
      const { code, stderr } = await runCli(
        ['ingest', '-', '--service', 'piped', '--server', small.url],
        { stdin: input },
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(/^Sent 3 of 4 lines/);
      expect(stderr).toMatch(/The server rejected 1 line\(s\): 413/);
      const { stdout } = await runCli([
        'logs',
        '--service',
        'piped',
        '--json',
        '--server',
        small.url,
      ]);
      expect(
        stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).message)
          .sort(),
      ).toEqual(['a', 'b', 'c']);
    } finally {
      await small.close();
    }
  });
});

describe('against a server with tokens', () => {
  let secured: ServerHandle;
  beforeAll(async () => {
    secured = await startServer({
      port: 0,
      grpcPort: false,
      dataDir: join(dir, 'secured'),
      ingestToken: 'in-tok',
      queryToken: 'q-tok',
    });
  });
  afterAll(() => secured?.close());

  it('names the token to pass on 401, and works once given', async () => {
    const denied = await runCli(['ingest', '-', '--server', secured.url], {
      stdin: '{"message":"a"}\n',
    });
    expect(denied.code).toBe(5);
    expect(denied.stderr).toContain(
      'No token was given; pass the right one with --token or HOPSCOPE_TOKEN',
    );
    expect(denied.stderr).toContain('HOPSCOPE_INGEST_TOKEN');

    const sent = await runCli(['ingest', '-', '--service', 'sec', '--server', secured.url], {
      stdin: '{"message":"a"}\n',
      env: { HOPSCOPE_INGEST_TOKEN: 'in-tok' },
    });
    expect(sent.code).toBe(0);

    const wrong = await runCli(['logs', '--server', secured.url, '--token', 'in-tok']);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('The token from --token was rejected');
    const read = await runCli(['logs', '--service', 'sec', '--json', '--server', secured.url], {
      env: { HOPSCOPE_TOKEN: 'q-tok' },
    });
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout).message).toBe('a');
  });
});
