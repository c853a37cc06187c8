/**
 * Runs every rule on a schedule against the store, keeps each rule's state and a bounded history
 * of transitions, and hands firing / resolved transitions to the webhooks. Rounds never overlap:
 * a slow store delays the next round instead of stacking queries.
 */
import type {
  AlertExample,
  AlertHistoryEntry,
  AlertNotification,
  AlertRulesSourceResponse,
  AlertRuleView,
  AlertStateView,
  AlertsResponse,
} from '../api/types.js';
import type { AlertsReader } from '../store/alerts-reader.js';
import { formatDuration } from './duration.js';
import { evaluateRule, type Observation } from './evaluate.js';
import { alertRulesFileOf } from './load.js';
import type { AlertMetrics } from './metrics.js';
import { type AlertLog, WebhookNotifier } from './notify.js';
import { prometheusRules } from './prometheus.js';
import { editRulesFile, readRulesFile } from './rules-file.js';
import type { AlertRule, AlertRulesFile } from './schema.js';
import { initialState, type RuleState, step } from './state.js';

const MAX_EXAMPLES = 5;

export interface EvaluatorOptions {
  /** Base of the links in notifications (a getter: the port may be known later); the rules file's `public_url` wins. */
  publicUrl: string | (() => string);
  metrics: AlertMetrics;
  log?: AlertLog;
  /** Epoch ms; tests may pin it. */
  now?: () => number;
}

interface Entry {
  rule: AlertRule;
  state: RuleState;
  last?: Observation;
  examples: AlertExample[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class AlertEvaluator {
  private entries: Entry[];
  private current: AlertRulesFile;
  /** Set when the rules came from a file (`--alerts FILE`): only those can be edited. */
  readonly rulesFile: string | undefined;
  private saving: Promise<unknown> = Promise.resolve();
  private readonly history: AlertHistoryEntry[] = [];
  private readonly notifier: WebhookNotifier;
  private readonly now: () => number;
  private readonly log: AlertLog;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private rounds = 0;
  private lastRoundMs: number | null = null;
  private lastError: string | null = null;
  private deliveries = 0;

  constructor(
    config: AlertRulesFile,
    private readonly reader: AlertsReader,
    private readonly options: EvaluatorOptions,
  ) {
    this.current = config;
    this.now = options.now ?? Date.now;
    this.entries = config.rules.map((rule) => ({ rule, state: initialState(), examples: [] }));
    this.rulesFile = alertRulesFileOf(config);
    this.log = options.log ?? ((m) => process.emitWarning(m, 'HopscopeAlertWarning'));
    this.notifier = new WebhookNotifier(options.metrics, this.log);
    for (const e of this.entries) options.metrics.firing.set({ rule: e.rule.name }, 0);
  }

  /** Evaluates at once, then every `evaluation_interval`. */
  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      if (this.stopped) return;
      this.evaluateNow().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.config.evaluation_interval);
        this.timer?.unref();
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  /** Stops the schedule, waits for a round in flight, stops retrying deliveries. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.notifier.close();
    await this.notifier.idle();
  }

  /** Resolves when every notification queued so far was delivered or given up on. */
  deliveriesIdle(): Promise<void> {
    return this.notifier.idle();
  }

  /** One round over every rule (joins the round in flight, if any). */
  evaluateNow(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    const round = ++this.rounds;
    const nowMs = this.now();
    let error: string | null = null;
    for (const e of this.entries) {
      try {
        await this.evaluateEntry(e, nowMs, round);
      } catch (err) {
        error = `rule "${e.rule.name}": ${(err as Error).message}`;
      }
    }
    this.lastRoundMs = nowMs;
    this.lastError = error;
    this.options.metrics.evaluations.inc({ result: error ? 'error' : 'ok' });
    if (error) this.log(`alert evaluation failed: ${error}`);
  }

  private async evaluateEntry(e: Entry, nowMs: number, round: number): Promise<void> {
    const obs = await evaluateRule(e.rule, this.reader, nowMs);
    const { next, transition } = step(e.state, obs, nowMs, e.rule.for);
    // Examples are read before the state changes, so /api/alerts never shows a firing alert
    // without its examples, history entry and queued notifications.
    if (transition?.to === 'firing') e.examples = await this.examples(obs);
    e.state = next;
    e.last = obs;
    if (!transition) return;
    this.history.unshift({
      time: new Date(nowMs).toISOString(),
      evaluation: round,
      rule: e.rule.name,
      from: transition.from,
      to: transition.to,
      value: obs.value,
      threshold: obs.threshold,
      unit: obs.unit,
      window: obs.window,
      summary: obs.summary,
      examples: transition.to === 'firing' ? e.examples : [],
    });
    this.history.length = Math.min(this.history.length, this.config.history_limit);
    this.options.metrics.firing.set({ rule: e.rule.name }, next.state === 'firing' ? 1 : 0);
    if (transition.to === 'firing' || transition.to === 'resolved') {
      this.notify(e, obs, transition.to, round);
    }
  }

  private async examples(obs: Observation): Promise<AlertExample[]> {
    if (!obs.examples) return [];
    const ids = await this.reader.alertExamples({
      ...obs.examples.scope,
      errorsOnly: obs.examples.errorsOnly,
      minDurationNs: obs.examples.minDurationNs,
      limit: MAX_EXAMPLES,
    });
    return ids.map((id) => ({ request_id: id, url: this.traceUrl(id) }));
  }

  private get publicUrl(): string {
    const base = this.options.publicUrl;
    return (this.config.public_url ?? (typeof base === 'string' ? base : base())).replace(
      /\/+$/,
      '',
    );
  }

  /** The UI's trace view (packages/ui/src/App.tsx routes `/trace/<id>`). */
  private traceUrl(id: string): string {
    return `${this.publicUrl}/trace/${encodeURIComponent(id)}`;
  }

  private notify(e: Entry, obs: Observation, status: 'firing' | 'resolved', round: number): void {
    const r = e.rule;
    const n: AlertNotification = {
      version: 1,
      source: 'hopscope',
      delivery_id: `${r.name}:${status}:${e.state.firedAtMs ?? round}:${++this.deliveries}`,
      status,
      rule: {
        name: r.name,
        kind: r.kind,
        severity: r.severity,
        description: r.description ?? null,
        service: r.service ?? null,
        operation: r.kind === 'no_data' ? null : (r.operation ?? null),
        where: r.where,
        labels: r.labels ?? {},
      },
      value: obs.value,
      threshold: obs.threshold,
      unit: obs.unit,
      window: obs.window,
      summary: obs.summary,
      started_at: iso(e.state.activeSinceMs ?? e.state.firedAtMs),
      fired_at: iso(e.state.firedAtMs),
      resolved_at: status === 'resolved' ? iso(e.state.resolvedAtMs) : null,
      examples: status === 'firing' ? e.examples : [],
      alerts_url: `${this.publicUrl}/api/alerts`,
    };
    for (const hook of this.config.webhooks) {
      if (!r.notify || r.notify.includes(hook.name)) this.notifier.send(hook, n);
    }
  }

  /** The rules in force (replaced by saveRules). */
  get config(): AlertRulesFile {
    return this.current;
  }

  /** The rules file's current text; throws when the rules were not given as a file. */
  readRules(): Promise<AlertRulesSourceResponse> {
    if (!this.rulesFile) throw new Error('the alert rules were not loaded from a file');
    return readRulesFile(this.rulesFile);
  }

  /**
   * Validates `text`, writes it over the rules file and evaluates the new rules at once. Refused
   * text (AlertRulesError) changes nothing. Saves run one at a time, in arrival order.
   */
  saveRules(text: string): Promise<AlertsResponse> {
    const file = this.rulesFile;
    if (!file) return Promise.reject(new Error('the alert rules were not loaded from a file'));
    const run = this.saving.then(async () => {
      const rules = await editRulesFile(file, text);
      await this.replaceRules(rules);
      await this.evaluateNow();
      return this.status();
    });
    this.saving = run.catch(() => undefined);
    return run;
  }

  /**
   * Swaps in a new rule set between rounds. A rule whose name and definition are unchanged keeps
   * its state, last value and examples (a firing alert stays firing, no second notification);
   * any other rule starts inactive. History is kept.
   */
  async replaceRules(config: AlertRulesFile): Promise<void> {
    while (this.running) await this.running;
    const old = new Map(this.entries.map((e) => [e.rule.name, e]));
    this.entries = config.rules.map((rule) => {
      const prev = old.get(rule.name);
      if (prev && canonical(prev.rule) === canonical(rule)) return { ...prev, rule };
      return { rule, state: initialState(), examples: [] };
    });
    for (const name of old.keys()) {
      if (!config.rules.some((r) => r.name === name)) {
        this.options.metrics.firing.remove({ rule: name });
      }
    }
    for (const e of this.entries) {
      this.options.metrics.firing.set({ rule: e.rule.name }, e.state.state === 'firing' ? 1 : 0);
    }
    this.current = config;
  }

  /** The rules as a Prometheus rule file (YAML). */
  prometheusRules(): string {
    return prometheusRules(this.config).yaml;
  }

  status(): AlertsResponse {
    return {
      enabled: true,
      evaluation_interval_ms: this.config.evaluation_interval,
      evaluations: this.rounds,
      last_evaluation: iso(this.lastRoundMs),
      last_error: this.lastError,
      rules: this.entries.map((e) => ruleView(e.rule)),
      states: this.entries.map((e) => stateView(e)),
      history: [...this.history],
      webhooks: this.config.webhooks.map((w) => ({
        name: w.name,
        format: w.format,
        host: new URL(w.url).host,
      })),
    };
  }
}

function ruleView(r: AlertRule): AlertRuleView {
  return {
    name: r.name,
    kind: r.kind,
    description: r.description ?? null,
    service: r.service ?? null,
    operation: r.kind === 'no_data' ? null : (r.operation ?? null),
    where: r.where,
    severity: r.severity,
    for: formatDuration(r.for),
    spec: { ...r },
  };
}

function stateView(e: Entry): AlertStateView {
  const s = e.state;
  return {
    rule: e.rule.name,
    state: s.state,
    value: e.last?.value ?? null,
    threshold: e.last?.threshold ?? null,
    unit: e.last?.unit ?? null,
    window: e.last?.window ?? null,
    summary: e.last?.summary ?? null,
    active_since: iso(s.activeSinceMs),
    fired_at: iso(s.firedAtMs),
    resolved_at: iso(s.resolvedAtMs),
    last_evaluated: iso(s.lastEvaluatedMs),
    examples: s.state === 'firing' || s.state === 'resolved' ? e.examples : [],
  };
}

/** JSON with sorted keys: two rules are the same definition whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
