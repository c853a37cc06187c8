import { gzip } from 'node:zlib';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';

/** An encoded OTLP request body on its way to the HTTP delegate, and how many items it holds. */
export interface EncodedPayload {
  bytes: Uint8Array;
  count: number;
}

/**
 * Transport settings for bodies this module compresses itself: the delegate sends the bytes as
 * they are, with `Content-Encoding: gzip` when they were gzipped. (The official transport
 * gzips at zlib's default level 6 through a stream per request; level 1 costs half the CPU per
 * item for bodies ~3% larger, measured on 512-span batches.)
 */
export function transportSettings(
  compression: 'gzip' | 'none',
  headers: Record<string, string> | undefined,
): { compression: CompressionAlgorithm; headers: Record<string, string> | undefined } {
  return {
    compression: CompressionAlgorithm.NONE,
    headers: compression === 'gzip' ? { ...headers, 'Content-Encoding': 'gzip' } : headers,
  };
}

export const GZIP_LEVEL = 1;

/**
 * Gzips `bytes` (level 1, off the JS thread) when asked, then hands the payload to `send`.
 * A compression failure is reported to `done` like a failed export; nothing throws.
 */
export function compressThen(
  compression: 'gzip' | 'none',
  bytes: Uint8Array,
  count: number,
  send: (payload: EncodedPayload) => void,
  done: (result: ExportResult) => void,
): void {
  if (compression !== 'gzip') {
    send({ bytes, count });
    return;
  }
  gzip(bytes, { level: GZIP_LEVEL }, (error, zipped) => {
    if (error) done({ code: ExportResultCode.FAILED, error });
    else send({ bytes: zipped, count });
  });
}
