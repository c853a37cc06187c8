import type { Context } from '@opentelemetry/api';
import type { LineLevel } from './levels.js';

/** A log record as handed to the OTLP bridge; fields are referenced, not copied. */
export interface SinkRecord {
  level: LineLevel;
  event: string;
  message: string;
  /** Bound fields of the logger, outermost first. */
  bindings: readonly Readonly<Record<string, unknown>>[];
  fields: Readonly<Record<string, unknown>> | undefined;
  context: Context;
}

/** Receives every emitted log line after it is written to stdout (e.g. the OTLP log bridge). */
export interface LogSink {
  emit(record: SinkRecord): void;
}

let sink: LogSink | undefined;

/** @internal Installed by `init()`; `undefined` removes it. */
export function setLogSink(next: LogSink | undefined): void {
  sink = next;
}

export function getLogSink(): LogSink | undefined {
  return sink;
}
