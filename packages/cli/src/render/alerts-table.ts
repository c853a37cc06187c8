import type { AlertHistoryEntry, AlertStateView, AlertsResponse } from '@hopscope/server';
import { type Colors, visibleLength } from './color.js';

const HEADERS = ['RULE', 'KIND', 'TARGET', 'STATE', 'VALUE', 'THRESHOLD', 'WINDOW', 'SINCE'];

/** One row per rule; under a firing alert its example requests (paste one into `hopscope trace`). */
export function renderAlerts(a: AlertsResponse, colors: Colors, historyLimit: number): string[] {
  const rows: string[][] = [];
  const below: Map<number, string[]> = new Map();
  for (const rule of a.rules) {
    const s = a.states.find((x) => x.rule === rule.name);
    const target = [rule.service ?? '(all services)', rule.operation].filter(Boolean).join(' ');
    const where = rule.where.map((w) => `${w.key}=${w.value}`).join(' ');
    rows.push([
      colors.bold(rule.name),
      rule.kind,
      where ? `${target} [${where}]` : target,
      paintState(s?.state ?? 'inactive', colors),
      formatValue(s?.value ?? null, s?.unit ?? null),
      formatValue(s?.threshold ?? null, s?.unit ?? null),
      s?.window ?? '—',
      since(s),
    ]);
    if (s && (s.state === 'firing' || s.state === 'pending') && s.summary) {
      const lines = [`  ${colors.dim(s.summary)}`];
      for (const ex of s.examples)
        lines.push(`  ${colors.red('↳')} ${ex.request_id}  ${colors.dim(ex.url)}`);
      below.set(rows.length - 1, lines);
    }
  }
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + ' '.repeat(widths[i] - visibleLength(c)))
      .join('  ')
      .trimEnd();
  const out = [
    colors.dim(
      `${a.rules.length} rules, evaluated every ${formatMs(a.evaluation_interval_ms)}` +
        (a.last_evaluation ? `, last at ${a.last_evaluation}` : ''),
    ),
  ];
  if (a.last_error) out.push(colors.red(`last evaluation failed: ${a.last_error}`));
  out.push(colors.dim(line(HEADERS)));
  rows.forEach((r, i) => {
    out.push(line(r));
    out.push(...(below.get(i) ?? []));
  });
  const history = a.history.slice(0, historyLimit);
  if (history.length > 0) {
    out.push('', colors.dim('RECENT CHANGES (newest first)'));
    for (const h of history) out.push(historyLine(h, colors));
  }
  return out;
}

function historyLine(h: AlertHistoryEntry, colors: Colors): string {
  return `${h.time}  ${colors.bold(h.rule)}  ${h.from} → ${paintState(h.to, colors)}  ${colors.dim(h.summary)}`;
}

function paintState(state: AlertStateView['state'], colors: Colors): string {
  switch (state) {
    case 'firing':
      return colors.red(colors.bold('firing'));
    case 'pending':
      return colors.yellow('pending');
    case 'resolved':
      return colors.green('resolved');
    default:
      return colors.dim('inactive');
  }
}

function formatValue(v: number | null, unit: AlertStateView['unit']): string {
  if (v === null) return '—';
  switch (unit) {
    case 'ratio':
      return `${(v * 100).toFixed(v < 0.01 && v > 0 ? 2 : 1)}%`;
    case 'ms':
      return `${Math.round(v)} ms`;
    case 'burn_rate':
      return `${v.toFixed(1)}×`;
    case 'seconds_silent':
      return `${Math.round(v)} s`;
    default:
      return String(v);
  }
}

function since(s: AlertStateView | undefined): string {
  if (!s) return '—';
  if (s.state === 'firing') return s.fired_at ?? '—';
  if (s.state === 'pending') return s.active_since ?? '—';
  if (s.state === 'resolved') return s.resolved_at ?? '—';
  return '—';
}

function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
