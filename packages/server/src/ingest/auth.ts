import { timingSafeEqual } from 'node:crypto';

/** Constant-time check of an `Authorization: Bearer <token>` value against the configured token. */
export function bearerMatches(header: string | undefined | null, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
