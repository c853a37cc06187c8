/**
 * Parents as short references (schema v11). A span's parent ID is random, 8 bytes like its own
 * ID, and was ~6.8 of ~51 bytes per span on disk. Most parents arrive in the same write batch as
 * their children (one export, sorted by trace: span-chunks.ts), so there a child stores only the
 * low 8 bits of its parent's ID (`parent_ref`); readers find the parent as the span of the same
 * trace and batch (`write_batch`) whose ID ends in those bits (parentJoinSql). The writer keeps
 * the full `parent_span_id` whenever that would not name exactly one span: the parent is in
 * another batch, or another span of the trace in this batch shares the parent's low bits.
 *
 * A reference is never ambiguous, and deleting rows (retention) cannot make it point elsewhere:
 * at worst the parent is gone, as its ID would be a dangling one.
 */

/** Each thread numbers its batches from a random start, so IDs from threads and runs differ. */
let nextBatch = (() => {
  const words = new Uint32Array(2);
  crypto.getRandomValues(words);
  return (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
})();

/** A fresh `write_batch` value for one sorted batch of spans. */
export function newWriteBatch(): bigint {
  nextBatch = (nextBatch + 1n) & 0xffff_ffff_ffff_ffffn;
  return nextBatch;
}

/** A hex span ID's last byte: what `parent_ref` holds of a parent's ID. */
export function lastByte(hex: string): number {
  return Number.parseInt(hex.slice(-2), 16);
}

/** How parentRefs reads a row: `low` and `parentLow` are the IDs' last bytes (-1: a root). */
export interface ParentKeys<T> {
  sameTrace(a: T, b: T): boolean;
  low(row: T): number;
  parentLow(row: T): number;
  /** Whether `p`'s span ID is `child`'s parent ID. */
  isParent(p: T, child: T): boolean;
}

/**
 * Each row's `parent_ref`, or -1 where the full parent ID must stay: rows sorted so that each
 * trace's rows are side by side (one write batch).
 */
export function parentRefs<T>(rows: readonly T[], keys: ParentKeys<T>): Int16Array {
  const refs = new Int16Array(rows.length).fill(-1);
  const count = new Uint16Array(256);
  const owner = new Int32Array(256);
  let start = 0;
  while (start < rows.length) {
    let end = start + 1;
    while (end < rows.length && keys.sameTrace(rows[start]!, rows[end]!)) end++;
    for (let r = start; r < end; r++) {
      const low = keys.low(rows[r]!);
      if (count[low]! < 0xffff) count[low]!++;
      owner[low] = r;
    }
    for (let r = start; r < end; r++) {
      const child = rows[r]!;
      const low = keys.parentLow(child);
      if (low >= 0 && count[low] === 1 && keys.isParent(rows[owner[low]!]!, child)) refs[r] = low;
    }
    for (let r = start; r < end; r++) count[keys.low(rows[r]!)] = 0;
    start = end;
  }
  return refs;
}

/**
 * Finds the parents named by reference among spans read together: a lookup reads whole traces,
 * so a referenced parent is among them unless it is gone (retention). `add` takes each span
 * with its row's write_batch and parent_ref; `resolve` fills in the parents' IDs.
 */
export class ParentResolver {
  private readonly spans = new Map<string, string>();
  private readonly children: Array<[{ parentSpanId?: string }, string]> = [];

  add(
    span: { traceId: string; spanId: string; parentSpanId?: string },
    batch: unknown,
    ref: unknown,
  ): void {
    if (batch === null || batch === undefined) return;
    const group = `${span.traceId}/${batch}/`;
    // Only a span whose last byte is unique in its group is ever referred to, so keys that
    // several spans share (the last one wins here) are never looked up.
    this.spans.set(group + lastByte(span.spanId), span.spanId);
    if (ref !== null && ref !== undefined && span.parentSpanId === undefined) {
      this.children.push([span, group + Number(ref)]);
    }
  }

  resolve(): void {
    for (const [span, key] of this.children) {
      const parent = this.spans.get(key);
      if (parent !== undefined) span.parentSpanId = parent;
    }
  }
}

/**
 * SQL: span `p` is the parent that span `c` names by reference. Equalities only, so joins on it
 * stay hash joins: a condition on the children alone (parent_ref IS NOT NULL, which the last
 * equality implies) turned a lookup's plan into a nested loop, 10x slower on a 50,000-span trace.
 */
export function parentRefMatchSql(c: string, p: string): string {
  return (
    `${p}.trace_id = ${c}.trace_id AND ${p}.write_batch = ${c}.write_batch ` +
    `AND (${p}.span_id & 255) = ${c}.parent_ref`
  );
}

/**
 * Joins each span `c` to its parent `p` when `c` names it by reference: a LEFT JOIN clause for
 * `FROM spans c`. `scope` narrows the parents' scan (their trace IDs and time window), which the
 * planner cannot infer from the children's.
 */
export function parentJoinSql(c: string, p: string, scope: string): string {
  return `LEFT JOIN spans ${p} ON ${parentRefMatchSql(c, p)} AND ${scope}`;
}

/** A span's parent ID, stored or by reference (needs parentJoinSql's join). */
export function parentIdSql(c: string, p: string): string {
  return `coalesce(${c}.parent_span_id, ${p}.span_id)`;
}

/** Whether a span has no parent (a root): neither a parent ID nor a reference. */
export const IS_ROOT_SQL = '(parent_span_id IS NULL AND parent_ref IS NULL)';

/** Where a request enters a service: a server or consumer span, or a root. */
export const ENTRY_SPAN_SQL = `(kind IN (2, 5) OR ${IS_ROOT_SQL})`;
