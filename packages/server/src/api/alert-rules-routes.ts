/**
 * GET/PUT /api/alerts/rules: the alert rules file, editable from the UI. A PUT is validated by the
 * same loader as `hopscope serve --alerts FILE` and refused (400, every problem with its line)
 * before anything changes; a good text replaces the file atomically and the rules in force.
 */
import type { Context, Hono } from 'hono';
import { AlertRulesError } from '../alerts/load.js';
import type { AlertsView } from './alerts-routes.js';
import type {
  AlertRuleProblem,
  AlertRulesErrorBody,
  AlertRulesSourceResponse,
  AlertsResponse,
} from './types.js';

/** What the evaluator (src/alerts) offers for editing. */
export interface AlertRulesEditing {
  /** Set only when the rules came from a file. */
  readonly rulesFile?: string;
  readRules(): Promise<AlertRulesSourceResponse>;
  /** Throws AlertRulesError for refused text. */
  saveRules(text: string): Promise<AlertsResponse>;
}

const MAX_RULES_BYTES = 1024 * 1024;

function fail(
  c: Context,
  status: 400 | 409 | 413,
  code: AlertRulesErrorBody['error']['code'],
  message: string,
  problems?: AlertRuleProblem[],
) {
  const body: AlertRulesErrorBody = { error: { status, code, message, problems } };
  return c.json(body, status);
}

/** Why there is nothing to edit, and how to get something. */
function notEditable(alerts: (AlertsView & Partial<AlertRulesEditing>) | undefined): string | null {
  if (!alerts) {
    return 'alerting is off on this server, so there are no rules to edit: start it with `hopscope serve --alerts FILE` (a YAML or JSON rules file; it may start as `rules: []`)';
  }
  if (!alerts.rulesFile || !alerts.readRules || !alerts.saveRules) {
    return 'the alert rules of this server were given in code (startServer({ alerts })), not a file, so they cannot be edited here: start it with `hopscope serve --alerts FILE` or startServer({ alertsFile }) instead';
  }
  return null;
}

/** `alert rules FILE:LINE:COL: what` → { line, column, message: what }. */
export function problemOf(text: string, file: string): AlertRuleProblem {
  let rest = text.startsWith('alert rules ') ? text.slice('alert rules '.length) : text;
  if (rest.startsWith(`${file}:`)) rest = rest.slice(file.length + 1);
  const m = /^(\d+):(\d+): ([\s\S]*)$/.exec(rest);
  if (!m) return { line: null, column: null, message: rest.replace(/^\s+/, '') };
  return { line: Number(m[1]), column: Number(m[2]), message: m[3] };
}

export function registerAlertRuleRoutes(
  app: Hono,
  alerts: (AlertsView & Partial<AlertRulesEditing>) | undefined,
): void {
  app.get('/api/alerts/rules', async (c) => {
    const why = notEditable(alerts);
    if (why || !alerts?.readRules) return fail(c, 409, 'conflict', why ?? '');
    return c.json(await alerts.readRules());
  });

  app.put('/api/alerts/rules', async (c) => {
    const why = notEditable(alerts);
    if (why || !alerts?.saveRules || !alerts.rulesFile) return fail(c, 409, 'conflict', why ?? '');
    const file = alerts.rulesFile;
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > MAX_RULES_BYTES) {
      return fail(
        c,
        413,
        'payload_too_large',
        `rules text: expected at most ${MAX_RULES_BYTES} bytes`,
      );
    }
    const raw = await c.req.text();
    if (Buffer.byteLength(raw) > MAX_RULES_BYTES) {
      return fail(
        c,
        413,
        'payload_too_large',
        `rules text: expected at most ${MAX_RULES_BYTES} bytes`,
      );
    }
    let text = raw;
    // JSON bodies carry the text as { "text": "..." }; any other content type is the text itself.
    if (/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (err) {
        return fail(
          c,
          400,
          'bad_request',
          `body: expected JSON { "text": "<rules>" } (${(err as Error).message})`,
        );
      }
      const t = (body as { text?: unknown } | null)?.text;
      if (typeof t !== 'string') {
        return fail(
          c,
          400,
          'bad_request',
          'body: expected { "text": "<the rules file, YAML or JSON>" }; or send the text itself as text/plain or application/yaml',
        );
      }
      text = t;
    }
    try {
      return c.json(await alerts.saveRules(text));
    } catch (err) {
      if (!(err instanceof AlertRulesError)) throw err;
      const list = err.problems.length > 0 ? err.problems : [err.message];
      return fail(
        c,
        400,
        'bad_request',
        err.message,
        list.map((p) => problemOf(p, file)),
      );
    }
  });
}
