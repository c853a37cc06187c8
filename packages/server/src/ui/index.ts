/**
 * Serves the web UI's built assets at `/`: hashed files under `/assets/` are cached for a year,
 * every other GET that is not an API, OTLP or metrics path gets `index.html` (the UI routes on
 * the client), and a page explaining how to build the UI when its assets are missing.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { contentType } from './content-types.js';
import { locateUiDist } from './locate.js';
import { notBuiltPage } from './not-built.js';

export { locateUiDist } from './locate.js';

/** Paths the UI never answers: they belong to the API, OTLP ingest and metrics. */
const RESERVED = /^\/(api|v1|metrics)(\/|$)/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
// The UI renders data as text only; the policy is a second line should that ever slip.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface UiOptions {
  /** Folder of the built UI; default from `locateUiDist()`. */
  dir?: string;
}

export function createUiApp(options: UiOptions = {}): Hono {
  const dir = options.dir ?? locateUiDist();
  const app = new Hono();
  app.use('*', serveUi(dir));
  return app;
}

function serveUi(dir: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    if ((method !== 'GET' && method !== 'HEAD') || RESERVED.test(path)) return next();
    const headers: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };

    const isIndex = path === '/' || path === '/index.html';
    const file = dir && !isIndex ? await readAsset(dir, path) : undefined;
    if (file) {
      headers['Content-Type'] = contentType(file.path);
      headers['Cache-Control'] = path.startsWith('/assets/') ? IMMUTABLE : 'no-cache';
      return new Response(method === 'HEAD' ? null : new Uint8Array(file.body), {
        status: 200,
        headers,
      });
    }
    // A missing file with an extension is a real 404; anything else is a client-side route.
    if (/\.[a-z0-9]+$/i.test(path) && !isIndex) {
      return c.text('not found', 404, headers);
    }
    const index = dir ? await readAsset(dir, '/index.html') : undefined;
    if (!index) {
      headers['Cache-Control'] = 'no-store';
      return c.html(notBuiltPage(dir), 503, headers);
    }
    headers['Content-Type'] = 'text/html; charset=utf-8';
    headers['Cache-Control'] = 'no-cache';
    headers['Content-Security-Policy'] = CSP;
    headers['Referrer-Policy'] = 'no-referrer';
    return new Response(method === 'HEAD' ? null : new Uint8Array(index.body), {
      status: 200,
      headers,
    });
  };
}

async function readAsset(
  dir: string,
  urlPath: string,
): Promise<{ path: string; body: Buffer } | undefined> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const full = normalize(join(dir, rel));
  if (full !== dir && !full.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return undefined;
  try {
    const s = await stat(full);
    if (!s.isFile()) return undefined;
    return { path: full, body: await readFile(full) };
  } catch {
    return undefined;
  }
}
