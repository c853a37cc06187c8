import { describe, expect, it } from 'vitest';
import { acceptRequestId, generateRequestId, isValidRequestId } from './request-id.js';

describe('request IDs', () => {
  it('generates req_ + 12 lowercase hex, unique', () => {
    const ids = new Set(Array.from({ length: 10_000 }, generateRequestId));
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{12}$/);
  });

  it('accepts valid incoming IDs and replaces bad ones without echoing them', () => {
    expect(acceptRequestId('abc-123_X.y:z')).toEqual({ id: 'abc-123_X.y:z', generated: false });
    expect(acceptRequestId(undefined).generated).toBe(true);
    const crlf = acceptRequestId('abc\r\nSet-Cookie: x=1');
    expect(crlf.rejected).toBe('invalid_chars');
    expect(crlf.id).toMatch(/^req_[0-9a-f]{12}$/);
    expect(acceptRequestId('a'.repeat(129)).rejected).toBe('too_long');
    expect(acceptRequestId('\u001b[31mred').rejected).toBe('invalid_chars');
    expect(isValidRequestId('a'.repeat(128))).toBe(true);
  });
});
