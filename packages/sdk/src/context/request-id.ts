import { randomBytes } from 'node:crypto';

/** Incoming request IDs are accepted only in this shape (DESIGN.md, "Headers"). */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reasons an incoming ID was replaced; recorded on the span, never the raw value. */
export type RequestIdRejection = 'empty' | 'too_long' | 'invalid_chars';

// 12 hex chars = 6 random bytes. Pre-fetching a pool amortises the syscall across many IDs.
const POOL_SIZE = 6 * 512;
let pool = Buffer.alloc(0);
let poolOffset = POOL_SIZE;

/** A fresh request ID: `req_` + 12 lowercase hex. */
export function generateRequestId(): string {
  if (poolOffset >= pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const id = pool.toString('hex', poolOffset, poolOffset + 6);
  poolOffset += 6;
  return `req_${id}`;
}

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && VALID_REQUEST_ID.test(value);
}

/** Why `value` is not an acceptable request ID, or undefined when it is. */
export function requestIdRejection(
  value: string | undefined | null,
): RequestIdRejection | undefined {
  if (value === undefined || value === null || value.length === 0) return 'empty';
  if (value.length > 128) return 'too_long';
  return VALID_REQUEST_ID.test(value) ? undefined : 'invalid_chars';
}

export interface AcceptedRequestId {
  id: string;
  /** True when the ID was generated here rather than taken from the caller. */
  generated: boolean;
  /** Set when the caller sent an ID that had to be replaced. */
  rejected?: RequestIdRejection;
}

/**
 * Takes the caller's ID when it is valid, otherwise generates one. A missing ID is not a
 * rejection; a present but bad one is, so the replacement can be noted without echoing it.
 */
export function acceptRequestId(incoming: string | undefined | null): AcceptedRequestId {
  if (incoming === undefined || incoming === null || incoming === '') {
    return { id: generateRequestId(), generated: true };
  }
  const rejected = requestIdRejection(incoming);
  if (rejected === undefined) return { id: incoming, generated: false };
  return { id: generateRequestId(), generated: true, rejected };
}
