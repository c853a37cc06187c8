import type { DebugLog, LogLevelName, LogRecord } from '@hopscope/server';
import type { Colors } from './color.js';
import { formatAttributes, formatClock } from './format.js';

const LEVEL_LABEL: Record<LogLevelName, string> = {
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
};

/** Stack traces would swamp a one-line view; `--json` keeps them. */
const MULTILINE_FIELDS = ['error_stack', 'stack', 'exception', 'exc_info', 'stack_info'];

export interface LogLineOptions {
  /** Pad service names to this width so columns line up. */
  serviceWidth?: number;
  /** Shown as `req=…` when the reader is looking at many requests at once. */
  showRequestId?: boolean;
  /** Prefix the full date (logs spanning days), not just the clock. */
  showDate?: boolean;
}

/** One log line for a terminal: time, level, service, event, message, then other fields dimmed. */
export function renderLogLine(log: DebugLog, colors: Colors, opts: LogLineOptions = {}): string {
  const time = opts.showDate
    ? log.timestamp.replace('T', ' ').replace('Z', '')
    : formatClock(log.timestamp_us);
  const level = paintLevel(log.level, colors);
  const service = colors.service(log.service)(log.service.padEnd(opts.serviceWidth ?? 0));
  const parts = [colors.dim(time), level, service];
  if (log.event && log.event !== log.message) parts.push(colors.bold(log.event));
  if (log.message) parts.push(isError(log.level) ? colors.red(log.message) : log.message);
  const fields: Record<string, unknown> = {};
  if (opts.showRequestId && log.request_id) fields.req = log.request_id;
  Object.assign(fields, log.attributes);
  const rest = formatAttributes(fields, MULTILINE_FIELDS);
  if (rest) parts.push(colors.dim(rest));
  return parts.join(' ');
}

export function paintLevel(level: LogLevelName, colors: Colors): string {
  const label = LEVEL_LABEL[level] ?? String(level).toUpperCase().padEnd(5);
  if (isError(level)) return colors.red(colors.bold(label));
  if (level === 'warn') return colors.yellow(label);
  if (level === 'debug') return colors.dim(label);
  return colors.green(label);
}

function isError(level: LogLevelName): boolean {
  return level === 'error' || level === 'fatal';
}

/** A parsed line in the API's DebugLog shape, so offline search prints and exports the same way. */
export function toDebugLog(record: LogRecord): DebugLog {
  const timestampUs = Number(record.timestampNs / 1000n);
  return {
    timestamp: new Date(Math.floor(timestampUs / 1000)).toISOString(),
    timestamp_us: timestampUs,
    level: record.level,
    service: record.service,
    event: record.event ?? null,
    message: record.body,
    request_id: record.requestId ?? null,
    trace_id: record.traceId ?? null,
    span_id: record.spanId ?? null,
    attributes: record.attributes,
    resource: record.resource,
    source: record.source,
  };
}
