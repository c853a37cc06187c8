import type { DebugSpan, DebugTraceResponse } from '@hopscope/server';
import { renderAiSummary } from './ai-summary.js';
import { type Colors, visibleLength } from './color.js';
import { formatDuration, truncate } from './format.js';
import { renderLogLine } from './log-line.js';

export interface WaterfallOptions {
  width: number;
  /** Rows beyond this are summarised; `--json` has them all. */
  maxSpans: number;
}

const DURATION_COLUMN = 10;

/** Header, span waterfall and the request's logs, as lines for a terminal. */
export function renderTrace(
  trace: DebugTraceResponse,
  colors: Colors,
  opts: WaterfallOptions,
): string[] {
  const lines = renderHeader(trace, colors);
  const spans = treeOrder(trace.spans);
  if (spans.length > 0) {
    lines.push('', ...renderWaterfall(spans, trace, colors, opts));
  }
  if (trace.logs.length > 0) {
    const serviceWidth = trace.logs.reduce((w, l) => Math.max(w, l.service.length), 0);
    lines.push('', colors.bold(`Logs (${trace.logs.length})`));
    for (const log of trace.logs) lines.push(renderLogLine(log, colors, { serviceWidth }));
  }
  return lines;
}

function renderHeader(trace: DebugTraceResponse, colors: Colors): string[] {
  const failed = trace.error_count > 0 || trace.first_error !== null;
  const id = trace.request_id ?? trace.query.input;
  const status = failed ? colors.red(colors.bold('✗ failed')) : colors.green('✓ ok');
  const services = trace.services.map((s) => colors.service(s)(s)).join(' → ');
  const counts = [
    formatDuration(trace.total_duration_ms),
    `${trace.services.length} service${trace.services.length === 1 ? '' : 's'}`,
    `${trace.span_count} span${trace.span_count === 1 ? '' : 's'}`,
    `${trace.log_count} log${trace.log_count === 1 ? '' : 's'}`,
  ];
  if (trace.error_count > 0) {
    counts.push(colors.red(`${trace.error_count} error${trace.error_count === 1 ? '' : 's'}`));
  }
  const lines = [
    `${colors.bold(`Request ${id}`)}  ${status}  ${colors.dim(trace.start ?? '')}`,
    `  ${counts.join(' · ')}`,
  ];
  if (services) lines.push(`  ${services}`);
  if (trace.trace_ids.length > 0) {
    lines.push(
      colors.dim(`  trace${trace.trace_ids.length === 1 ? '' : 's'} ${trace.trace_ids.join(', ')}`),
    );
  }
  if (trace.ai) lines.push(...renderAiSummary(trace.ai, colors));
  const first = trace.first_error;
  if (first) {
    const type = first.error_type ? `${first.error_type}: ` : '';
    lines.push(
      colors.red(`  first error: ${first.service} ${first.event} — ${type}${first.message}`),
    );
  }
  return lines;
}

interface Row {
  span: DebugSpan;
  depth: number;
}

/** Parents before children, siblings by start time, several stitched traces side by side. */
export function treeOrder(spans: DebugSpan[]): Row[] {
  const byId = new Map(spans.map((s) => [`${s.trace_id}/${s.span_id}`, s]));
  const children = new Map<string, DebugSpan[]>();
  const roots: DebugSpan[] = [];
  for (const span of spans) {
    const parentKey = span.parent_span_id ? `${span.trace_id}/${span.parent_span_id}` : undefined;
    if (parentKey && byId.has(parentKey)) {
      const list = children.get(parentKey) ?? [];
      list.push(span);
      children.set(parentKey, list);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a: DebugSpan, b: DebugSpan) => a.start_us - b.start_us;
  const rows: Row[] = [];
  // Iterative so a pathological 10k-deep chain cannot overflow the stack.
  const stack: Row[] = roots
    .sort(byStart)
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  const seen = new Set<string>();
  while (stack.length > 0) {
    const row = stack.pop()!;
    const key = `${row.span.trace_id}/${row.span.span_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push(row);
    const kids = (children.get(key) ?? []).sort(byStart).reverse();
    for (const span of kids) stack.push({ span, depth: row.depth + 1 });
  }
  return rows;
}

function renderWaterfall(
  rows: Row[],
  trace: DebugTraceResponse,
  colors: Colors,
  opts: WaterfallOptions,
): string[] {
  // Loops, not Math.min(...spread): a 100k-span trace would overflow the argument list.
  let startUs = trace.start_us ?? Number.POSITIVE_INFINITY;
  let endUs = trace.end_us ?? 0;
  for (const { span } of rows) {
    startUs = Math.min(startUs, span.start_us);
    endUs = Math.max(endUs, span.start_us + span.duration_ms * 1000);
  }
  const totalUs = Math.max(endUs - startUs, 1);

  const shown = rows.slice(0, opts.maxSpans);
  const labels = shown.map(
    (r) => `${'  '.repeat(Math.min(r.depth, 20))}${r.span.service} ${r.span.name}`,
  );
  const labelWidth = Math.min(
    labels.reduce((w, l) => Math.max(w, l.length), 12),
    Math.floor(opts.width * 0.4),
  );
  const barWidth = Math.max(opts.width - labelWidth - DURATION_COLUMN - 2, 10);

  const axisEnd = formatDuration(totalUs / 1000);
  const lines = [colors.dim(`${''.padEnd(labelWidth)} 0${axisEnd.padStart(barWidth - 1)}`)];
  shown.forEach((row, i) => {
    const { span } = row;
    const failed = span.status === 'error';
    const paint = failed ? colors.red : colors.service(span.service);
    const label = truncate(labels[i], labelWidth);
    const indent = label.length - label.trimStart().length;
    const coloured =
      ' '.repeat(indent) +
      paint(label.slice(indent, indent + span.service.length)) +
      label.slice(indent + span.service.length);

    const offset = Math.min(
      Math.floor(((span.start_us - startUs) / totalUs) * barWidth),
      barWidth - 1,
    );
    const length = Math.max(
      1,
      Math.min(Math.round(((span.duration_ms * 1000) / totalUs) * barWidth), barWidth - offset),
    );
    const bar = ' '.repeat(offset) + paint((span.derived_from_logs ? '▒' : '█').repeat(length));
    const padding = ' '.repeat(barWidth - offset - length);
    const duration = formatDuration(span.duration_ms).padStart(DURATION_COLUMN);
    const line = `${coloured}${' '.repeat(labelWidth - visibleLength(label))} ${bar}${padding} ${failed ? colors.red(duration) : duration}`;
    lines.push(failed ? `${line} ${colors.red('✗')}` : line);
    if (failed && span.status_message) {
      lines.push(
        colors.red(
          `${' '.repeat(indent + 2)}✗ ${truncate(span.status_message, opts.width - indent - 4)}`,
        ),
      );
    }
  });
  if (rows.length > shown.length) {
    lines.push(
      colors.dim(`… ${rows.length - shown.length} more spans (--max-spans, or --json for all)`),
    );
  }
  return lines;
}
