/**
 * How far the readers of every store look around a known time range, and the trace search's
 * newest-first walk: kept in one place so DuckDB and ClickHouse bound their scans alike and
 * give identical answers.
 */
import type { TraceQuery } from './reader.js';

/** Log lines are often written just after their span ends; look this far past a trace's window. */
export const LOG_SLACK_NS = 15_000_000_000n;
/** The first slice a trace search scans, back from its end; each next one is 4× wider. */
export const SEARCH_FIRST_SLICE_NS = 60_000_000_000n;
/** A parent span starts before its child; look this far back for parents of edge spans. */
export const PARENT_SLACK_NS = 3_600_000_000_000n;

/** One slice of a trace search: up to `limit` trace IDs in [fromNs, toNs], none of `exclude`. */
export type SearchSlice = (
  fromNs: bigint,
  toNs: bigint,
  limit: number,
  exclude: Set<string>,
) => Promise<string[]>;

/**
 * Newest first: walks back from `endNs` in growing slices (1 min, then ×4) and stops once
 * `limit` traces are found, so a common query touches the last minute's data, not the whole
 * window. Traces are ranked by their newest matching span; a newer slice's traces all rank above
 * an older slice's, so the order equals one query over the window.
 */
export async function searchNewestFirst(q: TraceQuery, slice: SearchSlice): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  let sliceEnd = q.endNs;
  let width = SEARCH_FIRST_SLICE_NS;
  while (found.length < q.limit && sliceEnd >= q.startNs) {
    // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
    const sliceStart = sliceEnd - width < q.startNs ? q.startNs : sliceEnd - width;
    const ids = await slice(sliceStart, sliceEnd, q.limit - found.length, seen);
    for (const id of ids) {
      seen.add(id);
      found.push(id);
    }
    sliceEnd = sliceStart - 1n;
    width *= 4n;
  }
  return found;
}
