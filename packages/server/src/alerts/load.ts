/**
 * Loads and validates an alert rules file. Every problem names where it is — `file:line:column`
 * and the key path — and what was expected, so a bad file is refused at startup with a message
 * the user can act on. JSON is read by the YAML parser too (JSON is YAML 1.2), which gives both
 * the same node positions.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type AlertRulesFile, type AlertRulesInput, rulesFileSchema } from './schema.js';

export class AlertRulesError extends Error {
  constructor(
    message: string,
    /** Each problem as `where: what`. */
    readonly problems: string[],
  ) {
    super(message);
    this.name = 'AlertRulesError';
  }
}

type Path = ReadonlyArray<PropertyKey>;

function pathText(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/** The deepest node along `path` that exists (a missing key is reported at its parent). */
function nodeAt(
  doc: ReturnType<typeof parseDocument>,
  path: Path,
  atKey: boolean,
): { node?: Node; exact: boolean } {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (p.key as { value?: unknown } | null)?.value === key || p.key === key,
      );
      // An unknown key is shown at the key, any other problem at the value.
      next = i === path.length - 1 && pair && atKey ? pair.key : (pair?.value ?? pair?.key);
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    }
    if (!next) return { node: node as Node, exact: false };
    node = next;
  }
  return { node: node as Node, exact: true };
}

/** Validates an already-parsed object (startServer({ alerts })): problems name the key path. */
export function parseAlertRules(
  input: AlertRulesInput | unknown,
  source = 'alerts',
): AlertRulesFile {
  const result = rulesFileSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${pathText(i.path)}: ${issueText(i)}`);
    throw new AlertRulesError(`${source}: ${problems[0]}`, problems);
  }
  checkReferences(result.data, `${source}: `, (path) => pathText(path));
  return result.data;
}

/** Which file each loaded rule set came from: the evaluator offers editing only for those. */
const loadedFrom = new WeakMap<AlertRulesFile, string>();

/** The file `loadAlertRules` read these rules from; undefined for rules given in code. */
export function alertRulesFileOf(rules: AlertRulesFile): string | undefined {
  return loadedFrom.get(rules);
}

export function loadAlertRules(file: string): AlertRulesFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AlertRulesError(`alert rules ${file}: cannot read: ${(err as Error).message}`, []);
  }
  const rules = parseAlertRulesText(text, file);
  loadedFrom.set(rules, file);
  return rules;
}

/** Parses YAML or JSON text; problems are `file:line:column: path: what`. */
export function parseAlertRulesText(text: string, file = 'alerts'): AlertRulesFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`;
    });
    throw new AlertRulesError(`alert rules ${problems[0]}`, problems);
  }
  const where = (path: Path, atKey = false): string => {
    const { node, exact } = nodeAt(doc, path, atKey);
    const offset = node?.range?.[0];
    const pos = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    return `${file}:${pos.line}:${pos.col}: ${pathText(path)}${exact ? '' : ' (missing)'}`;
  };
  const input: unknown = doc.toJS();
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new AlertRulesError(
      `alert rules ${file}:1:1: expected a mapping with "rules" (and optionally "webhooks")`,
      [],
    );
  }
  const result = rulesFileSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${where(issuePath(i), i.code === 'unrecognized_keys')}: ${issueText(i)}`,
    );
    throw new AlertRulesError(`alert rules ${problems[0]}`, problems);
  }
  checkReferences(result.data, 'alert rules ', where);
  return result.data;
}

/** An unrecognised key is reported at the key itself. */
function issuePath(i: z.core.$ZodIssue): Path {
  if (i.code === 'unrecognized_keys' && i.keys.length > 0) return [...i.path, i.keys[0]];
  return i.path;
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys')
    return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  if (i.code === 'invalid_type' && /received undefined$/.test(i.message)) {
    return `required, expected ${i.expected}`;
  }
  return i.message;
}

/** What the schema cannot see: unique names, webhook references, window pairs. */
function checkReferences(f: AlertRulesFile, prefix: string, where: (p: Path) => string): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  f.rules.forEach((r, i) => {
    if (seen.has(r.name))
      problems.push(`${where(['rules', i, 'name'])}: duplicate rule name "${r.name}"`);
    seen.add(r.name);
    r.notify?.forEach((n, j) => {
      if (!f.webhooks.some((w) => w.name === n)) {
        const known = f.webhooks.map((w) => w.name).join(', ') || 'none defined';
        problems.push(
          `${where(['rules', i, 'notify', j])}: no webhook named "${n}" (webhooks: ${known})`,
        );
      }
    });
    if (r.kind === 'burn_rate') {
      r.windows.forEach((w, j) => {
        if (w.short >= w.long) {
          problems.push(
            `${where(['rules', i, 'windows', j, 'short'])}: expected shorter than long`,
          );
        }
      });
    }
  });
  const hooks = new Set<string>();
  f.webhooks.forEach((w, i) => {
    if (hooks.has(w.name))
      problems.push(`${where(['webhooks', i, 'name'])}: duplicate webhook name "${w.name}"`);
    hooks.add(w.name);
  });
  if (problems.length > 0) throw new AlertRulesError(`${prefix}${problems[0]}`, problems);
}
