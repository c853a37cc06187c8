/** `412ms`, `1.24s`, `85µs`: short enough for a waterfall label. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms === 0) return '0';
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 100 ? 1 : 0)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** `12:04:05.123` in local time; the date too when it is not today. */
export function fmtTime(us: number): string {
  const d = new Date(us / 1000);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export function fmtAgo(us: number): string {
  const s = (Date.now() - us / 1000) / 1000;
  if (s < 60) return `${Math.max(0, Math.round(s))}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function fmtPct(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (x === 0) return '0%';
  if (x < 0.001) return '<0.1%';
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

export function fmtRate(perS: number): string {
  if (perS === 0) return '0';
  if (perS >= 10) return `${perS.toFixed(0)}/s`;
  if (perS >= 0.1) return `${perS.toFixed(2)}/s`;
  return `${(perS * 60).toFixed(2)}/min`;
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A round number at or above `x` (1, 2, 5 × 10^n), for chart axes. */
export function niceCeil(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  const f = x / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Attribute values as text: strings as they are, the rest as JSON. */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
