import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './child.js';
import { runCli } from './helpers.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let api: Server;
let apiUrl: string;
const seen: Array<{ url: string; auth?: string }> = [];

beforeAll(async () => {
  // A real HTTP server answering the way a token-protected Hopscope does, and a non-Hopscope page.
  api = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (req.url?.startsWith('/html/')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
      return;
    }
    if (req.headers.authorization !== 'Bearer s3cret') {
      res.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { status: 401, code: 'unauthorized', message: 'missing or wrong query token' },
        }),
      );
      return;
    }
    res.writeHead(400, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        error: {
          status: 400,
          code: 'bad_request',
          message: 'limit: out of range',
          param: 'limit',
          expected: '1–1000',
        },
      }),
    );
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => api.close(() => r())));

describe('server errors the user can act on', () => {
  it('unreachable: names the URL and how to start a server; exit 4', async () => {
    const port = await closedPort();
    for (const args of [['trace', 'req_3f9a1c2b4d5e'], ['logs'], ['stats']]) {
      const { code, stderr } = await runCli([...args, '--server', `http://127.0.0.1:${port}`]);
      expect(code, args[0]).toBe(4);
      expect(stderr).toContain(
        `Cannot reach the Hopscope server at http://127.0.0.1:${port} (connection refused)`,
      );
      expect(stderr).toContain('npx hopscope serve');
      expect(stderr).toContain('npm start');
    }
  });

  it('takes the URL from HOPSCOPE_URL, and --server over it', async () => {
    const port = await closedPort();
    const fromEnv = await runCli(['stats'], { env: { HOPSCOPE_URL: `127.0.0.1:${port}` } });
    expect(fromEnv.stderr).toContain(`at http://127.0.0.1:${port} `);
    const flagWins = await runCli(['stats', '--server', apiUrl], {
      env: { HOPSCOPE_URL: `127.0.0.1:${port}` },
    });
    expect(flagWins.code).toBe(5);
  });

  it('401: says a token is needed and where to pass it; exit 5', async () => {
    const none = await runCli(['logs', '--server', apiUrl]);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain(`The Hopscope server at ${apiUrl} answered 401`);
    expect(none.stderr).toContain('No token was given');
    expect(none.stderr).toMatch(/--token or HOPSCOPE_TOKEN .*HOPSCOPE_QUERY_TOKEN/);

    const wrongEnv = await runCli(['logs', '--server', apiUrl], {
      env: { HOPSCOPE_TOKEN: 'nope' },
    });
    expect(wrongEnv.code).toBe(5);
    expect(wrongEnv.stderr).toContain('The token from HOPSCOPE_TOKEN was rejected');
    expect(seen.at(-1)?.auth).toBe('Bearer nope');

    const wrongFlag = await runCli(['stats', '--server', apiUrl, '--token', 'also-nope']);
    expect(wrongFlag.stderr).toContain('The token from --token was rejected');
  });

  it('400: shows the server message with what it expected; exit 2', async () => {
    const { code, stderr } = await runCli(['logs', '--server', apiUrl, '--token', 's3cret']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'hopscope: The server rejected the request: limit: out of range (expected 1–1000)\n',
    );
  });

  it('not a Hopscope server: says so; exit 6', async () => {
    const { code, stderr } = await runCli(['stats', '--server', `${apiUrl}/html`]);
    expect(code).toBe(6);
    expect(stderr).toMatch(/answered 200 with text\/html, not JSON\. Is it a Hopscope server\?/);
  });
});

describe('ingest from a live pipe', () => {
  it('stops with the error when the server cannot be reached, without waiting for EOF', async () => {
    const port = await closedPort();
    const pipe = new PassThrough();
    const running = runCli(['ingest', '-', '--server', `http://127.0.0.1:${port}`], {
      stdin: pipe,
    });
    pipe.write('{"message":"a"}\n'); // and the pipe stays open
    const { code, stderr } = await running;
    expect(code).toBe(4);
    expect(stderr).toContain(`Cannot reach the Hopscope server at http://127.0.0.1:${port}`);
  });

  it('stops on 401 the same way, naming the ingest token', async () => {
    const pipe = new PassThrough();
    const running = runCli(['ingest', '-', '--server', apiUrl], { stdin: pipe });
    pipe.write('{"message":"a"}\n');
    const { code, stderr } = await running;
    expect(code).toBe(5);
    expect(stderr).toContain('HOPSCOPE_INGEST_TOKEN');
  });
});

describe('argument validation (exit 2, says what was expected)', () => {
  const cases: Array<[string[], string]> = [
    [
      ['logs', '--since', 'yesterday'],
      '--since: expected an age like 30s, 15m, 1h, 1h30m or 7d, or an ISO time like 2026-01-25T12:00:00Z, got "yesterday"',
    ],
    [
      ['stats', '--since', '2026-01-25'],
      '--since: expected a duration like 30s, 15m, 1h, 1h30m or 7d, got "2026-01-25"',
    ],
    [
      ['logs', '--level', 'loud'],
      '--level: expected one of debug, info, warn, error, fatal, got "loud"',
    ],
    [['logs', '--limit', '0'], '--limit: expected a whole number from 1 to 1000000, got "0"'],
    [['logs', '--request-id', 'a b'], '--request-id: expected 1–128 of A-Z a-z 0-9 . _ : -'],
    [['logs', '--trace-id', 'req_1'], '--trace-id: expected 32 hex characters, got "req_1"'],
    [['stats', '--service', 'has space'], '--service: expected a service name of 1–128 letters'],
    [
      ['stats', '--server', 'ftp://x'],
      '--server: expected an http:// or https:// URL, got "ftp://x"',
    ],
    [
      ['trace', 'req 1'],
      'expected a request ID (1–128 of A-Z a-z 0-9 . _ : -, like req_3f9a1c2b4d5e)',
    ],
    [['trace'], "missing required argument 'id'"],
    [['ingest', '--batch-lines', 'many', '-'], '--batch-lines: expected a whole number'],
    [['ingest', '--from-end', '-'], '--from-end: only with --follow'],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ];
  it.each(cases)('%j', async (args, message) => {
    const { code, stderr } = await runCli(args, { stdin: '' });
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('--help of every command answers on stdout with exit 0', async () => {
    for (const name of ['trace', 'logs', 'search', 'ingest', 'stats']) {
      const { code, stdout } = await runCli([name, '--help']);
      expect(code, name).toBe(0);
      expect(stdout).toContain(`Usage: hopscope ${name}`);
    }
  });
});

describe('the built binary', () => {
  it('prints one line and exit 4 for an unreachable server, no stack trace', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await runBin(['trace', 'req_3f9a1c2b4d5e'], {
      env: { HOPSCOPE_URL: `http://127.0.0.1:${port}` },
    });
    expect(code).toBe(4);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^hopscope: Cannot reach the Hopscope server at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  it('exit 2 for a bad option, 0 for --help', async () => {
    expect((await runBin(['logs', '--level', 'loud'])).code).toBe(2);
    const help = await runBin(['search', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: hopscope search');
  });
});
