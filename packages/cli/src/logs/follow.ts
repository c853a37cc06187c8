import { setTimeout as sleep } from 'node:timers/promises';
import type { DebugLog } from '@hopscope/server';
import type { HopscopeClient, Query } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { newestPages } from './pages.js';

// Lines can land a little after their timestamp (batching, clock skew): look back this far.
const FOLLOW_OVERLAP_MS = 5_000;

export interface FollowOptions {
  client: HopscopeClient;
  filters: Query;
  intervalMs: number;
  /** The backlog already printed (any order), and whether --limit cut it. */
  initial: DebugLog[];
  backlogCut: boolean;
  serverNowMs: number;
  signal: AbortSignal;
  print: (log: DebugLog) => Promise<void>;
  /** Notes for the person watching (server gone, back). */
  note: (text: string) => void;
}

/**
 * Polls for lines newer than the newest seen, with an absolute `since` a little before it, and
 * prints each line once, until `signal` aborts. A line stored with an older timestamp than that
 * window (a late backfill) is not shown.
 */
export async function follow(opts: FollowOptions): Promise<void> {
  const { client, filters, initial, signal } = opts;
  const intervalMs = Math.max(opts.intervalMs, 100);
  const serverNowMs = opts.serverNowMs;
  let lastUs = initial.reduce((max, l) => Math.max(max, l.timestamp_us), serverNowMs * 1000);
  // When --limit cut the backlog, lines older than what was shown stay unshown.
  const floorUs = opts.backlogCut
    ? initial.reduce((min, l) => Math.min(min, l.timestamp_us), Number.POSITIVE_INFINITY)
    : Number.NEGATIVE_INFINITY;
  let seen = new Set(initial.map(keyOf));
  let disconnected = false;
  while (!signal.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      break;
    }
    const fromUs = Math.max(lastUs - FOLLOW_OVERLAP_MS * 1000, floorUs);
    // An absolute `since` (the API takes ISO times too): no dependence on either clock's `now`.
    const since = new Date(Math.floor(fromUs / 1000)).toISOString();
    let result: Awaited<ReturnType<typeof newestPages>>;
    try {
      result = await newestPages(client, { ...filters, since }, 100_000, fromUs, signal);
    } catch (err) {
      if (signal.aborted) break;
      // Like tail -F across a restart: say so once, keep polling.
      if (!(err instanceof CliError) || err.exitCode !== EXIT.unreachable) throw err;
      if (!disconnected) opts.note(`${err.message} Retrying…`);
      disconnected = true;
      continue;
    }
    if (disconnected) opts.note(`reconnected to ${client.baseUrl}`);
    disconnected = false;
    const fresh = result.lines.filter((l) => !seen.has(keyOf(l))).reverse();
    for (const log of fresh) {
      await opts.print(log);
      lastUs = Math.max(lastUs, log.timestamp_us);
    }
    // Everything older than the next window can never come back, so only this window is kept.
    seen = new Set(result.lines.map(keyOf));
  }
}

/** What makes a line itself, independent of server internals (cursors may change on restart). */
function keyOf(log: DebugLog): string {
  return `${log.timestamp_us}|${log.service}|${log.request_id}|${log.span_id}|${log.event}|${log.message}`;
}
