/** Serves a query API app on 127.0.0.1, port 0, for tests that go through real HTTP. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type ApiDeps, createApi } from '../../src/api/index.js';

export interface TestApi {
  url: string;
  get(
    path: string,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: each test checks the body it expects field by field
  ): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

export async function serveApi(deps: ApiDeps): Promise<TestApi> {
  const app = createApi(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async get(path, headers) {
      const res = await fetch(url + path, { headers });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body, text };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
