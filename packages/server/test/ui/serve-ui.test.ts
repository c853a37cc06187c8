import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUiApp } from '../../src/ui/index.js';

// A UI build as Vite lays it out: index.html plus content-hashed files under assets/.
let dist: string;
beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), 'hopscope-ui-serve-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dist, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index-AbC123.css'), 'body{}');
  writeFileSync(join(dist, 'outside.txt'), 'top-level file');
});
afterAll(() => rmSync(dist, { recursive: true, force: true }));

/** The UI mounted the way server.ts mounts it: before an API that answers /api/*. */
function app(dir: string) {
  const root = new Hono();
  root.route('/', createUiApp({ dir }));
  root.get('/api/health', (c) => c.json({ healthy: true }));
  root.post('/v1/traces', (c) => c.text('ingested'));
  return root;
}

describe('serving the built UI', () => {
  it('serves index.html at / without caching, with a strict CSP', async () => {
    const res = await app(dist).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<div id="root">');
  });

  it('serves hashed assets with their content type, cached for a year', async () => {
    const js = await app(dist).request('/assets/index-AbC123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await app(dist).request('/assets/index-AbC123.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const txt = await app(dist).request('/outside.txt');
    expect(txt.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers client-side routes with index.html (SPA fallback)', async () => {
    for (const path of ['/trace/req_3f9a0c1d2e4b', '/logs?tail=1', '/services']) {
      const res = await app(dist).request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
  });

  it('404s a missing file instead of answering it with HTML', async () => {
    const res = await app(dist).request('/assets/index-gone.js');
    expect(res.status).toBe(404);
  });

  it('leaves API, OTLP and non-GET requests to the routes behind it', async () => {
    const a = app(dist);
    expect(await (await a.request('/api/health')).json()).toEqual({ healthy: true });
    expect((await a.request('/api/nope')).status).toBe(404);
    expect(await (await a.request('/v1/traces', { method: 'POST' })).text()).toBe('ingested');
    expect((await a.request('/metrics')).status).toBe(404);
  });

  it('never serves files outside the build folder', async () => {
    const secret = `${dist}-secret.txt`;
    writeFileSync(secret, 'secret');
    try {
      for (const path of [
        `/..%2f${secret.split('/').pop()}`,
        '/%2e%2e/%2e%2e/etc/passwd',
        '/assets/..%2f..%2f..%2fetc%2fpasswd',
      ]) {
        const res = await app(dist).request(path);
        const body = await res.text();
        expect(body, path).not.toContain('secret');
        expect(body, path).not.toContain('root:');
      }
    } finally {
      rmSync(secret, { force: true });
    }
  });

  it('explains how to build the UI when its assets are missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hopscope-ui-empty-'));
    try {
      const res = await app(empty).request('/');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('text/html');
      const body = await res.text();
      expect(body).toContain('The Hopscope web UI is not built');
      expect(body).toContain('npm run build');
      expect((await app(empty).request('/api/health')).status).toBe(200);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
