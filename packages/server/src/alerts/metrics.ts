import { Counter, Gauge, type Registry } from 'prom-client';

/** The evaluator's and notifier's counters, on the server's /metrics registry. */
export class AlertMetrics {
  readonly evaluations: Counter<'result'>;
  readonly firing: Gauge<'rule'>;
  readonly notifications: Counter<'webhook' | 'result'>;
  readonly deliveryFailures: Counter<'webhook' | 'reason'>;

  constructor(registry: Registry) {
    this.evaluations = new Counter({
      name: 'hopscope_alert_evaluations_total',
      help: 'Alert rule evaluations, by result (ok, error: the store did not answer).',
      labelNames: ['result'],
      registers: [registry],
    });
    this.firing = new Gauge({
      name: 'hopscope_alert_firing',
      help: '1 while the alert rule is firing, else 0.',
      labelNames: ['rule'],
      registers: [registry],
    });
    this.notifications = new Counter({
      name: 'hopscope_alert_notifications_total',
      help: 'Alert notifications by webhook and final result (delivered, failed after all attempts).',
      labelNames: ['webhook', 'result'],
      registers: [registry],
    });
    this.deliveryFailures = new Counter({
      name: 'hopscope_alert_delivery_failures_total',
      help: 'Failed webhook delivery attempts (each retry counts), by reason (status code, timeout, network).',
      labelNames: ['webhook', 'reason'],
      registers: [registry],
    });
  }
}
