/** Bearer-token check for the query API and UI, constant-time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiErrorBody } from './types.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerAuth(token: string | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header('authorization');
    const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (m && timingSafeEqual(digest(m[1]), expected)) return next();
    const body: ApiErrorBody = {
      error: {
        status: 401,
        code: 'unauthorized',
        message: header
          ? 'the query token in the Authorization header is wrong'
          : 'this server needs a query token: send Authorization: Bearer <query-token>',
      },
    };
    c.header('WWW-Authenticate', 'Bearer realm="hopscope"');
    return c.json(body, 401);
  };
}
