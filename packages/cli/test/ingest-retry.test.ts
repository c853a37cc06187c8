import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { runCli } from './helpers.js';

// A real HTTP server scripted to answer the way a busy Hopscope server does (429/503 with
// Retry-After, 400 for a bad batch), which a healthy real server cannot be made to do on cue.
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function scripted(answers: Array<[number, Record<string, string>?]>) {
  const bodies: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      bodies.push(body);
      const [status, headers] = answers.shift() ?? [200];
      const reply =
        status === 200
          ? { accepted: body.trim().split('\n').length, plain: 0, truncated: 0 }
          : { error: { status, code: 'x', message: status === 400 ? 'line 1: too deep' : 'busy' } };
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, bodies };
}

it('retries 429 and 503 after Retry-After, then sends everything', async () => {
  const { url, bodies } = await scripted([
    [429, { 'retry-after': '1' }],
    [503, { 'retry-after': '1' }],
  ]);
  const { code, stderr } = await runCli(['ingest', '-', '--server', url], {
    stdin: '{"message":"a"}\n{"message":"b"}\n',
  });
  expect(code).toBe(0);
  expect(stderr).toMatch(/^Sent 2 of 2 lines/);
  expect(bodies).toHaveLength(3);
  expect(bodies[2]).toBe('{"message":"a"}\n{"message":"b"}\n');
});

it('counts a rejected batch with the server reason and goes on; exit 1', async () => {
  const { url, bodies } = await scripted([[400]]);
  const { code, stderr } = await runCli(['ingest', '-', '--batch-lines', '1', '--server', url], {
    stdin: '{"message":"a"}\n{"message":"b"}\nnot json\n',
  });
  expect(code).toBe(1);
  expect(bodies).toHaveLength(3);
  expect(stderr).toMatch(/^Sent 2 of 3 lines/);
  expect(stderr).toContain('1 line was not JSON and kept as plain messages.');
  expect(stderr).toContain('The server rejected 1 line(s): 400: line 1: too deep');
});

it('--json prints the summary on stdout', async () => {
  const { url } = await scripted([]);
  const { code, stdout, stderr } = await runCli(
    ['ingest', '-', '--json', '--service', 'svc', '--server', url],
    {
      stdin: '{"message":"a"}\n\n',
    },
  );
  expect(code).toBe(0);
  expect(stderr).toBe('');
  expect(JSON.parse(stdout)).toMatchObject({
    server: url,
    sources: ['stdin'],
    lines: 1,
    accepted: 1,
    blank: 1,
    rejected: 0,
  });
});
