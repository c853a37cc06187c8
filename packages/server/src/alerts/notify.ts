/**
 * Webhook delivery: the generic JSON payload or a Slack-compatible message, retried with
 * exponential backoff on network errors, timeouts, 429 and 5xx. Each webhook has its own queue
 * so a firing notification is always delivered before the resolution that follows it, and a
 * slow receiver never delays evaluation or the other webhooks. Every retry carries the same
 * `X-Hopscope-Delivery` ID, so a receiver can drop a repeat it already handled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertNotification } from '../api/types.js';
import type { AlertMetrics } from './metrics.js';
import type { WebhookConfig } from './schema.js';

const MAX_BACKOFF_MS = 60_000;

export type AlertLog = (message: string) => void;

export class WebhookNotifier {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly metrics: AlertMetrics,
    private readonly log: AlertLog,
  ) {}

  /** Queues the notification for the webhook; never throws, never waits for delivery. */
  send(hook: WebhookConfig, n: AlertNotification): void {
    const prev = this.queues.get(hook.name) ?? Promise.resolve();
    const next = prev.then(() => this.deliver(hook, n));
    this.queues.set(hook.name, next);
  }

  /** Resolves when everything queued so far was delivered or given up on. */
  async idle(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  /** Stops retrying; deliveries in flight end with their request. */
  close(): void {
    this.abort.abort();
  }

  private async deliver(hook: WebhookConfig, n: AlertNotification): Promise<void> {
    const body = JSON.stringify(hook.format === 'slack' ? slackMessage(n) : n);
    let backoff = hook.initial_backoff;
    for (let attempt = 1; attempt <= hook.max_attempts; attempt++) {
      if (this.abort.signal.aborted) break;
      const problem = await this.attempt(hook, n.delivery_id, body);
      if (problem === null) {
        this.metrics.notifications.inc({ webhook: hook.name, result: 'delivered' });
        return;
      }
      this.metrics.deliveryFailures.inc({ webhook: hook.name, reason: problem.reason });
      const last = attempt === hook.max_attempts || !problem.retry;
      this.log(
        `alert webhook "${hook.name}": ${n.status} notification for rule "${n.rule.name}" ` +
          `attempt ${attempt}/${hook.max_attempts} failed: ${problem.message}` +
          (last ? '; giving up' : `; retrying in ${backoff} ms`),
      );
      if (last) break;
      try {
        await sleep(backoff, undefined, { signal: this.abort.signal });
      } catch {
        break; // closing
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    this.metrics.notifications.inc({ webhook: hook.name, result: 'failed' });
  }

  private async attempt(
    hook: WebhookConfig,
    deliveryId: string,
    body: string,
  ): Promise<{ reason: string; message: string; retry: boolean } | null> {
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'hopscope-alerts',
          'x-hopscope-delivery': deliveryId,
          ...hook.headers,
        },
        body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(hook.timeout)]),
      });
      await res.arrayBuffer().catch(() => undefined); // free the connection
      if (res.ok) return null;
      const retry = res.status === 429 || res.status >= 500 || res.status === 408;
      return { reason: String(res.status), message: `HTTP ${res.status}`, retry };
    } catch (err) {
      const e = err as Error;
      const timeout = e.name === 'TimeoutError';
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return {
        reason: timeout ? 'timeout' : 'network',
        message: timeout
          ? `no answer within ${hook.timeout} ms`
          : `${e.message}${cause?.code ? ` (${cause.code})` : ''}`,
        retry: true,
      };
    }
  }
}

/** A Slack incoming-webhook message (`text` plus blocks); also read by Mattermost and others. */
export function slackMessage(n: AlertNotification): Record<string, unknown> {
  const icon = n.status === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  const title = `${icon} [${n.status.toUpperCase()}] ${n.rule.name}${n.rule.service ? ` (${n.rule.service}${n.rule.operation ? ` ${n.rule.operation}` : ''})` : ''}`;
  const examples = n.examples.map((e) => `<${e.url}|${e.request_id}>`).join('  ');
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${mrkdwn(title)}*\n${mrkdwn(n.summary)}` } },
  ];
  if (examples) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Example requests:* ${examples}` },
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `severity ${n.rule.severity} · window ${n.window} · <${n.alerts_url}|all alerts>`,
      },
    ],
  });
  return { text: `${title}: ${n.summary}`, blocks };
}

/** Slack's mrkdwn control characters. */
function mrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
