import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { type HopscopeHandle, init } from '../../src/index.js';
import { LineSink } from '../line-sink.js';

/** init() with an in-memory exporter beside the real provider, as the other SDK tests do. */
export function captureSpans(service: string) {
  const exporter = new InMemorySpanExporter();
  let handle: HopscopeHandle | undefined;
  return {
    exporter,
    start() {
      handle = init({
        service,
        exportTraces: false,
        exportLogs: false,
        logDestination: new LineSink(),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      });
    },
    stop: () => handle?.shutdown(),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    one(name: string): ReadableSpan {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one span ${name}, got ${found.length}: ${exporter
            .getFinishedSpans()
            .map((s) => s.name)
            .join(', ')}`,
        );
      }
      return found[0]!;
    },
  };
}

/** Milliseconds of a finished span. */
export function durationMs(s: ReadableSpan): number {
  return s.duration[0] * 1000 + s.duration[1] / 1e6;
}
