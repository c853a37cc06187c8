import type { DebugLog, DebugLogsResponse } from '@hopscope/server';
import type { HopscopeClient, JsonResponse, Query } from '../client.js';
import { CliError, EXIT } from '../errors.js';

const PAGE = 1000;

export interface Pages {
  /** Newest first. */
  lines: DebugLog[];
  /** The server's clock (its Date header), for windows relative to its `now`. */
  serverNowMs: number;
}

/** Newest first, across pages, until `limit` lines or no more pages. */
export async function newestPages(
  client: HopscopeClient,
  query: Query,
  limit: number,
  stopBeforeUs = Number.NEGATIVE_INFINITY,
  signal?: AbortSignal,
): Promise<Pages> {
  const lines: DebugLog[] = [];
  let cursor: string | null = null;
  let serverNowMs = Date.now();
  do {
    const response: JsonResponse<DebugLogsResponse> = await client.getJson<DebugLogsResponse>(
      '/api/debug/logs',
      { ...query, limit: Math.min(PAGE, limit - lines.length), cursor },
      { signal },
    );
    const page: DebugLogsResponse = response.body;
    if (!page || !Array.isArray(page.logs)) {
      throw new CliError(
        `${client.baseUrl}/api/debug/logs answered without "logs". Is it a Hopscope server?`,
        EXIT.server,
      );
    }
    serverNowMs = Date.parse(response.headers.get('date') ?? '') || Date.now();
    for (const log of page.logs) {
      if (log.timestamp_us < stopBeforeUs) return { lines, serverNowMs };
      lines.push(log);
    }
    cursor = page.next_cursor;
  } while (cursor && lines.length < limit);
  return { lines, serverNowMs };
}
