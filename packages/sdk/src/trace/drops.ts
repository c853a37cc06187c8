import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';

/** Spans and log records the SDK gave up on (queue full, export failed or timed out). */
export interface DroppedCounts {
  spans: number;
  logs: number;
}

const dropped: DroppedCounts = { spans: 0, logs: 0 };
const exported: DroppedCounts = { spans: 0, logs: 0 };
/** Records the batch processors finished with (exported or dropped by them). */
const processed: DroppedCounts = { spans: 0, logs: 0 };

/** How many spans and log records were dropped since the process started. */
export function getDroppedCounts(): DroppedCounts {
  return { ...dropped };
}

/** How many spans and log records the collector accepted since the process started. */
export function getExportedCounts(): DroppedCounts {
  return { ...exported };
}

/** Records handed to a batch processor that it has finished with, either way. */
export function getProcessedCount(signal: keyof DroppedCounts): number {
  return processed[signal];
}

/** Counts records dropped before they reached a batch processor (its queue was known full). */
export function countDropped(signal: keyof DroppedCounts, count = 1): void {
  dropped[signal] += count;
}

/**
 * The batch processors report each record they finish with through the OpenTelemetry
 * self-observability counter `otel.sdk.processor.{span,log}.processed`, with `error.type` set
 * when the record was dropped (queue_full, or the export error). Giving them this meter
 * provider is how drops are counted without reaching into their internals.
 */
export function dropCountingMeterProvider(signal: keyof DroppedCounts): MeterProvider {
  const noop = createNoopMeter();
  const counter: Counter = {
    add(value: number, attributes?: Attributes) {
      processed[signal] += value;
      if (attributes?.['error.type'] !== undefined) dropped[signal] += value;
      else exported[signal] += value;
    },
  };
  const meter: Meter = {
    createCounter: (name, options) =>
      name.endsWith('.processed') ? counter : noop.createCounter(name, options),
    createGauge: (name, options) => noop.createGauge(name, options),
    createHistogram: (name, options) => noop.createHistogram(name, options),
    createUpDownCounter: (name, options) => noop.createUpDownCounter(name, options),
    createObservableGauge: (name, options) => noop.createObservableGauge(name, options),
    createObservableCounter: (name, options) => noop.createObservableCounter(name, options),
    createObservableUpDownCounter: (name, options) =>
      noop.createObservableUpDownCounter(name, options),
    addBatchObservableCallback: () => {},
    removeBatchObservableCallback: () => {},
  };
  return { getMeter: () => meter };
}
