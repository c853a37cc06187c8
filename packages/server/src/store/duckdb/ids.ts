/**
 * IDs as schema v4 stores them. Spans keep trace IDs as UHUGEINT and span IDs as UBIGINT (16 and
 * 8 bytes, against 32 and 16 characters of hex); trace_index and request_index are plain tables
 * scanned by a 64-bit key (a full scan of a UBIGINT column is ~3 ms per million rows, where an
 * ART index cost ~35 B per span on disk and an upsert per commit). The API keeps lowercase hex.
 */
import { createHash } from 'node:crypto';

const TRACE_HEX = /^[0-9a-fA-F]{32}$/;
const SPAN_HEX = /^[0-9a-fA-F]{16}$/;

/** 32 hex digits → the UHUGEINT value; undefined for anything else (no such trace is stored). */
export function traceIdValue(hex: string): bigint | undefined {
  return TRACE_HEX.test(hex) ? BigInt(`0x${hex}`) : undefined;
}

/** 16 hex digits → the UBIGINT value; undefined for anything else. */
export function spanIdValue(hex: string): bigint | undefined {
  return SPAN_HEX.test(hex) ? BigInt(`0x${hex}`) : undefined;
}

/**
 * trace_index's key: the trace ID's low 64 bits (random in every ID scheme in use, including
 * 64-bit Jaeger IDs padded with zeros and X-Ray IDs that start with a timestamp). Two traces
 * sharing a key only widen each other's scan window; the spans scan matches the full ID.
 */
export function traceKey(hex: string): bigint | undefined {
  return TRACE_HEX.test(hex) ? BigInt(`0x${hex.slice(16)}`) : undefined;
}

/**
 * request_index's key: the first 8 bytes of the request ID's MD5 as a little-endian integer,
 * which is what DuckDB's md5_number_upper() returns (the v4 migration computes it in SQL).
 * Lookups also match request_id itself, so a collision cannot mix two requests.
 */
export function requestKey(requestId: string): bigint {
  return createHash('md5').update(requestId).digest().readBigUInt64LE(0);
}

/** SQL: a UHUGEINT trace ID column as 32 lowercase hex digits (NULL stays NULL). */
export function traceHexSql(column: string): string {
  return `lpad(lower(hex(${column})), 32, '0')`;
}

/** SQL: a UBIGINT span ID column as 16 lowercase hex digits (NULL stays NULL). */
export function spanHexSql(column: string): string {
  return `lpad(lower(hex(${column})), 16, '0')`;
}

/** SQL for the migration: a VARCHAR of 32 hex digits → UHUGEINT. */
export function traceFromHexSql(column: string): string {
  return (
    `((('0x' || substr(${column}, 1, 16))::UBIGINT::UHUGEINT << 64) | ` +
    `('0x' || substr(${column}, 17, 16))::UBIGINT::UHUGEINT)`
  );
}

/** SQL for the migration: a VARCHAR of 16 hex digits (or ''/NULL) → UBIGINT (or NULL). */
export function spanFromHexSql(column: string): string {
  return `CASE WHEN ${column} IS NULL OR ${column} = '' THEN NULL ELSE ('0x' || ${column})::UBIGINT END`;
}
