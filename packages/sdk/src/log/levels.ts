import type { LogLevel } from '../config/index.js';

/** The log levels a line can carry (DESIGN.md), with pino's numbers and OTLP severity numbers. */
export type LineLevel = Exclude<LogLevel, 'silent'>;

export const PINO_LEVEL: Readonly<Record<LineLevel, number>> = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** OTLP SeverityNumber for each level (DEBUG=5, INFO=9, WARN=13, ERROR=17, FATAL=21). */
export const OTLP_SEVERITY: Readonly<Record<LineLevel, number>> = {
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};
