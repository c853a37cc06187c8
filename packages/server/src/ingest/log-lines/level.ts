import type { LogLevel } from '../../store/records.js';

export interface Severity {
  level: LogLevel;
  /** OTLP SeverityNumber 1–24. */
  number: number;
}

const BY_NAME: Record<string, Severity> = {
  trace: { level: 'debug', number: 1 },
  verbose: { level: 'debug', number: 2 },
  silly: { level: 'debug', number: 1 },
  debug: { level: 'debug', number: 5 },
  info: { level: 'info', number: 9 },
  information: { level: 'info', number: 9 },
  http: { level: 'info', number: 9 },
  notice: { level: 'info', number: 10 },
  warn: { level: 'warn', number: 13 },
  warning: { level: 'warn', number: 13 },
  error: { level: 'error', number: 17 },
  err: { level: 'error', number: 17 },
  exception: { level: 'error', number: 17 },
  critical: { level: 'fatal', number: 21 },
  crit: { level: 'fatal', number: 21 },
  alert: { level: 'fatal', number: 22 },
  fatal: { level: 'fatal', number: 21 },
  panic: { level: 'fatal', number: 21 },
  emerg: { level: 'fatal', number: 23 },
  emergency: { level: 'fatal', number: 23 },
};

export const DEFAULT_SEVERITY: Severity = { level: 'info', number: 9 };

export function severityFromName(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  return BY_NAME[value.trim().toLowerCase()];
}

/** pino and bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
export function severityFromPinoNumber(value: unknown): Severity | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (value >= 60) return { level: 'fatal', number: 21 };
  if (value >= 50) return { level: 'error', number: 17 };
  if (value >= 40) return { level: 'warn', number: 13 };
  if (value >= 30) return { level: 'info', number: 9 };
  if (value >= 20) return { level: 'debug', number: 5 };
  return { level: 'debug', number: 1 };
}

/** Python logging's levelno: 10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL. */
export function severityFromPythonNumber(value: unknown): Severity | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (value >= 50) return { level: 'fatal', number: 21 };
  if (value >= 40) return { level: 'error', number: 17 };
  if (value >= 30) return { level: 'warn', number: 13 };
  if (value >= 20) return { level: 'info', number: 9 };
  return { level: 'debug', number: 5 };
}

/** OTLP SeverityNumber 1–24 in ranges of four per level. */
export function severityFromOtelNumber(value: unknown): Severity | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 24) {
    return undefined;
  }
  const levels: LogLevel[] = ['debug', 'debug', 'info', 'warn', 'error', 'fatal'];
  return { level: levels[Math.floor((value - 1) / 4)], number: value };
}
