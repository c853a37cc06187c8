import type { LatencyStats, StatsResponse } from '@hopscope/server';
import { type Colors, visibleLength } from './color.js';
import { formatDuration } from './format.js';

const HEADERS = [
  'SERVICE / OPERATION',
  'KIND',
  'COUNT',
  'RATE/s',
  'ERRORS',
  'ERR %',
  'P50',
  'P95',
  'P99',
];

/** Services in bold with their entry-span numbers; their operations indented beneath. */
export function renderStats(stats: StatsResponse, colors: Colors): string[] {
  const rows: string[][] = [];
  for (const service of stats.services) {
    rows.push([
      colors.service(service.service)(colors.bold(service.service)),
      '',
      ...numbers(service, colors),
    ]);
    for (const op of service.operations) {
      rows.push([`  ${op.operation}`, op.span_kind, ...numbers(op, colors)]);
    }
  }
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - visibleLength(cell));
        return i < 2 ? cell + pad : pad + cell; // names left, numbers right
      })
      .join('  ')
      .trimEnd();
  const window = `${stats.since} → ${stats.until} (${formatDuration(stats.window_seconds * 1000)})`;
  return [colors.dim(window), colors.dim(line(HEADERS)), ...rows.map(line)];
}

function numbers(s: LatencyStats, colors: Colors): string[] {
  const errorRate = `${(s.error_rate * 100).toFixed(1)}%`;
  return [
    String(s.count),
    formatRate(s.rate_per_s),
    s.errors > 0 ? colors.red(String(s.errors)) : String(s.errors),
    s.errors > 0 ? colors.red(errorRate) : errorRate,
    formatDuration(s.p50_ms),
    formatDuration(s.p95_ms),
    formatDuration(s.p99_ms),
  ];
}

/** 1234.5, 12.34, 0.05, 0.0003: enough digits that a slow endpoint does not read as 0. */
function formatRate(rate: number): string {
  if (rate === 0) return '0';
  if (rate >= 10) return rate.toFixed(1);
  if (rate >= 0.01) return rate.toFixed(2);
  return rate.toPrecision(1);
}
