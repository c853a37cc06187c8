/** Durations in rule files: Prometheus' form (`30s`, `5m`, `1h30m`, `0s`), also `500ms` and `7d`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

export const DURATION_HINT = 'a duration like 30s, 5m, 1h or 1h30m';

/** ms, or null when `text` is not a duration. */
export function parseRuleDuration(text: string): number | null {
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) return null;
  let ms = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) ms += Number(m[1]) * UNITS[m[2]];
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** ms → the shortest Prometheus duration (`1h30m`, `45s`, `250ms`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
