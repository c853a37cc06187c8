/**
 * GET /api/alerts (rules, states, history) and GET /api/alerts/prometheus-rules (the same rules
 * as a Prometheus rule file). The evaluator lives in src/alerts; the API sees it through
 * AlertsView only.
 */
import type { Hono } from 'hono';
import type { AlertsResponse, ApiErrorBody } from './types.js';

export interface AlertsView {
  status(): AlertsResponse;
  /** A Prometheus rule file (YAML). */
  prometheusRules(): string;
}

export function registerAlertRoutes(app: Hono, alerts: AlertsView | undefined): void {
  app.get('/api/alerts', (c) => {
    if (alerts) return c.json(alerts.status());
    const body: AlertsResponse = {
      enabled: false,
      evaluation_interval_ms: null,
      evaluations: 0,
      last_evaluation: null,
      last_error: null,
      rules: [],
      states: [],
      history: [],
      webhooks: [],
    };
    return c.json(body);
  });

  app.get('/api/alerts/prometheus-rules', (c) => {
    if (!alerts) {
      const body: ApiErrorBody = {
        error: {
          status: 404,
          code: 'not_found',
          message: 'no alert rules: start the server with --alerts FILE',
        },
      };
      return c.json(body, 404);
    }
    return c.body(alerts.prometheusRules(), 200, {
      'Content-Type': 'application/yaml; charset=utf-8',
    });
  });
}
