import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { testServer } from './helpers.js';

it('reports the server package version in /api/health', async () => {
  const { version } = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  const server = await testServer();
  try {
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { version: string };
    expect(health.version).toBe(version);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  } finally {
    await server.stop();
  }
});
