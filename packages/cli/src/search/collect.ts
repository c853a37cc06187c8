import type { DebugLog } from '@hopscope/server';
import { parseLogLine } from '@hopscope/server/log-lines';
import { CliError, EXIT } from '../errors.js';
import { serviceFromFileName } from '../input/files.js';
import type { LineStats, Source } from '../input/lines.js';
import { scanForNeedles } from '../input/scan.js';
import { toDebugLog } from '../render/log-line.js';
import type { RequestKey } from '../validate.js';
import { needlesFor, tokenMatcher, traceNeedles } from './match.js';

/** A matching line and where it was found. */
export interface SearchMatch extends DebugLog {
  file: string;
  line: number;
  /** `id`: the line names the ID; `trace`: it only shares a trace with lines that do. */
  matched_by: 'id' | 'trace';
}

export interface CollectOptions {
  /** Service of lines that name none; else from the file name. */
  service?: string;
  maxMatches: number;
  /** Second pass for lines that carry a matched line's trace ID but not the request ID. */
  stitch: boolean;
}

export interface Collected {
  matches: SearchMatch[];
  scanned: number;
  truncated: boolean;
  oversized: number;
  /** Trace IDs followed by the second pass. */
  stitchedTraces: string[];
  /** Set when the matches span more traces than are followed. */
  skippedTraces?: number;
}

const NO_TIME = -1n;
// Each trace ID is searched for separately (twice, for upper case): a request has a few traces;
// past this many, the matches are not one request's and the second pass is skipped.
export const MAX_STITCHED_TRACES = 8;

export async function collectMatches(
  sources: Source[],
  key: RequestKey,
  opts: CollectOptions,
): Promise<Collected> {
  const stats: LineStats = { bytesRead: 0, oversized: 0 };
  const matches: SearchMatch[] = [];
  const seen = new Set<string>();
  let truncated = false;
  let scanned = 0;

  const pass = async (needles: string[], matchedBy: SearchMatch['matched_by'], files: Source[]) => {
    const matches_ = tokenMatcher(needles);
    for (const source of files) {
      const service =
        opts.service ?? (source.name === 'stdin' ? undefined : serviceFromFileName(source.name));
      // Lines without a time of their own (tracebacks, plain text) sit after the line before them.
      let lastNs = BigInt(Math.floor(source.mtimeMs ?? Date.now())) * 1_000_000n;
      try {
        const { lines } = await scanForNeedles(source, needles, stats, (line, lineNo) => {
          const where = `${source.name}:${lineNo}`;
          if (seen.has(where) || !matches_(line)) return;
          if (matches.length >= opts.maxMatches) {
            truncated = true;
            return;
          }
          seen.add(where);
          const record = parseLogLine(line, { service, now: NO_TIME });
          if (record.timestampNs === NO_TIME) record.timestampNs = lastNs;
          else lastNs = record.timestampNs;
          matches.push({
            ...toDebugLog(record),
            file: source.name,
            line: lineNo,
            matched_by: matchedBy,
          });
        });
        if (matchedBy === 'id') scanned += lines;
      } catch (err) {
        throw new CliError(`cannot read ${source.name}: ${(err as Error).message}`, EXIT.failed);
      }
    }
  };

  await pass(needlesFor(key), 'id', sources);

  const result: Collected = {
    matches,
    scanned,
    truncated,
    oversized: stats.oversized,
    stitchedTraces: [],
  };
  if (!opts.stitch || key.kind !== 'request_id') return result;
  // A service that propagated traceparent but not x-request-id logs the trace ID only.
  const traces = [...new Set(matches.map((m) => m.trace_id).filter((t) => t !== null))];
  const files = sources.filter((s) => s.name !== 'stdin'); // stdin cannot be read twice
  if (traces.length > MAX_STITCHED_TRACES) {
    result.skippedTraces = traces.length;
  } else if (traces.length > 0 && files.length > 0) {
    await pass(traces.flatMap(traceNeedles), 'trace', files);
    result.stitchedTraces = traces;
    result.truncated = truncated;
  }
  return result;
}

/** Services in order of their first line, each with its lines in time order (stable). */
export function groupByService(
  matches: SearchMatch[],
): Array<{ service: string; count: number; logs: SearchMatch[] }> {
  const sorted = matches
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.timestamp_us - b.m.timestamp_us || a.i - b.i)
    .map(({ m }) => m);
  const byService = new Map<string, SearchMatch[]>();
  for (const match of sorted) {
    const list = byService.get(match.service) ?? [];
    list.push(match);
    byService.set(match.service, list);
  }
  return [...byService].map(([service, logs]) => ({ service, count: logs.length, logs }));
}
