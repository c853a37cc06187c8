import { withTraceMetadata } from '../payload/metadata.js';
import type { HopOptions } from '../propagation/hop.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Objects become JSON with trace metadata for the active context; other data is sent as is. */
export function encodeTraced(
  body: unknown,
  options: HopOptions,
): string | Buffer | ArrayBuffer | Uint8Array {
  if (isPlainObject(body)) return JSON.stringify(withTraceMetadata(body, options));
  return body as string | Buffer | ArrayBuffer | Uint8Array;
}
