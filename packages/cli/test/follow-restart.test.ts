import { join } from 'node:path';
import { type ServerHandle, startServer } from '@hopscope/server';
import { afterAll, expect, it } from 'vitest';
import { eventually, runCli, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir();
let server: ServerHandle | undefined;
afterAll(async () => {
  await server?.close();
  cleanup();
});

const post = (url: string, message: string) =>
  fetch(`${url}/api/ingest/logs?service=restart`, {
    method: 'POST',
    body: JSON.stringify({ timestamp: new Date().toISOString(), level: 'info', message }),
  });

it('logs --follow keeps polling across a server restart and prints each line once', async () => {
  const data = join(dir, 'data');
  server = await startServer({ port: 0, grpcPort: false, dataDir: data });
  const { port, url } = server;
  let seen = '';
  const controller = new AbortController();
  const running = runCli(
    ['logs', '-f', '--service', 'restart', '--interval', '200ms', '--json', '--server', url],
    {
      signal: controller.signal,
      onStdout: (text) => {
        seen = text;
      },
    },
  );
  await post(url, 'before restart');
  await eventually(() => expect(seen).toContain('before restart'));

  await server.close();
  server = undefined;
  await new Promise((r) => setTimeout(r, 600)); // a few failed polls
  server = await startServer({ port, grpcPort: false, dataDir: data });
  await post(url, 'after restart');
  await eventually(() => expect(seen).toContain('after restart'));
  await new Promise((r) => setTimeout(r, 500));
  controller.abort();

  const { code, stdout, stderr } = await running;
  expect(code).toBe(0);
  expect(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).message),
  ).toEqual(['before restart', 'after restart']);
  expect(stderr).toContain(`hopscope: Cannot reach the Hopscope server at ${url}`);
  expect(stderr.match(/Retrying…/g)).toHaveLength(1);
  expect(stderr).toContain(`hopscope: reconnected to ${url}`);
});
