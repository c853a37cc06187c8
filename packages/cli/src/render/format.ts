/** `412 ms`, `1.25 s`, `0.8 ms`, `2m 03s`: short enough for a column. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** `12:00:00.123` from epoch µs, in UTC like the stored timestamps. */
export function formatClock(timestampUs: number): string {
  return new Date(Math.floor(timestampUs / 1000)).toISOString().slice(11, 23);
}

/** Cut to `width` columns with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

/** `key=value` pairs; strings with spaces are quoted so the line stays splittable. */
export function formatAttributes(attributes: Record<string, unknown>, skip: string[] = []): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (skip.includes(key) || value === undefined) continue;
    const text =
      typeof value === 'string'
        ? /[\s"=]/.test(value) || value === ''
          ? JSON.stringify(value)
          : value
        : JSON.stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.join(' ');
}

/** Terminal width for layout: the TTY's columns, else COLUMNS, else 100. */
export function terminalWidth(stream: { columns?: number }, env: NodeJS.ProcessEnv): number {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10);
  const width = stream.columns ?? (Number.isFinite(fromEnv) ? fromEnv : 100);
  return Math.max(40, Math.min(width, 400));
}
