import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The collector's own counters, served by /metrics. One registry per server so tests that start
 * several servers in one process do not share counts.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'hopscope_ingest_received_total',
    help: 'Spans and log records received, by signal and protocol.',
    labelNames: ['signal', 'protocol'] as const,
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'hopscope_ingest_accepted_total',
    help: 'Spans and log records committed to the store.',
    labelNames: ['signal'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'hopscope_ingest_rejected_total',
    help: 'Spans and log records refused, by reason (invalid, queue_full, unauthorized, store_error).',
    labelNames: ['signal', 'reason'] as const,
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'hopscope_ingest_requests_total',
    help: 'Ingest requests by protocol and result code (HTTP status or gRPC code name).',
    labelNames: ['protocol', 'code'] as const,
    registers: [this.registry],
  });
  readonly redactions = new Counter({
    name: 'hopscope_redactions_total',
    help: 'Attribute values and log fields replaced because they looked like credentials.',
    registers: [this.registry],
  });
  readonly truncations = new Counter({
    name: 'hopscope_ingest_truncated_total',
    help: 'Attributes, events, links or values cut to the ingest limits.',
    labelNames: ['what'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'hopscope_ingest_queue_records',
    help: 'Spans and log records admitted and not yet acknowledged (journaled or committed).',
    registers: [this.registry],
  });
  readonly uncommitted = new Gauge({
    name: 'hopscope_store_uncommitted_spans',
    help: 'Spans acknowledged from the ingest journal and not yet committed to DuckDB.',
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'hopscope_store_commits_total',
    help: 'Store transactions committed (each may hold several ingest requests).',
    registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: 'hopscope_retention_deleted_total',
    help: 'Spans and log records removed by retention.',
    labelNames: ['signal'] as const,
    registers: [this.registry],
  });
}
