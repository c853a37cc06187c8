import { Counter, Gauge, type Registry } from 'prom-client';
import type { PeerRouting } from './routing.js';

/** Peer counters on the server's registry, copied from the routing's counts at each scrape. */
export function registerPeerMetrics(registry: Registry, routing: PeerRouting): void {
  new Counter({
    name: 'hopscope_peer_records_total',
    help: 'Spans and log records routed by trace-ID affinity: forwarded to their owner, failed to forward, or received from a peer.',
    labelNames: ['signal', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const s = routing.status();
      for (const signal of ['spans', 'logs'] as const) {
        for (const result of ['forwarded', 'failed', 'received'] as const) {
          this.inc({ signal, result }, s[signal][result]);
        }
      }
    },
  });
  new Counter({
    name: 'hopscope_peer_kept_locally_total',
    help: 'Records kept on this collector because their owner could not be reached (their trace may be split).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(routing.status().kept_locally_after_failure);
    },
  });
  new Counter({
    name: 'hopscope_peer_forward_retries_total',
    help: 'Forward requests retried after a failed attempt.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(routing.status().retries);
    },
  });
  new Gauge({
    name: 'hopscope_peer_pending_records',
    help: 'Records waiting for a peer to acknowledge them.',
    registers: [registry],
    collect() {
      this.set(routing.status().pending_records);
    },
  });
}
