import type { AttributeValue } from '../../store/records.js';
import type { Fields } from './fields.js';
import {
  EVENT_NAME,
  LEVEL_NAME_KEYS,
  MESSAGE_KEYS,
  OTEL_SEVERITY_NUMBER_KEYS,
  SERVICE_KEYS,
  TIMESTAMP_KEYS,
} from './keys.js';
import {
  DEFAULT_SEVERITY,
  type Severity,
  severityFromName,
  severityFromOtelNumber,
  severityFromPinoNumber,
  severityFromPythonNumber,
} from './level.js';
import { parseTimestamp } from './timestamp.js';

// Anything earlier is a duration or a counter in a field that happens to be called `time`.
const MIN_PLAUSIBLE_NS = 978_307_200n * 1_000_000_000n; // 2001-01-01

export function takeTimestamp(fields: Fields): bigint | undefined {
  for (const key of TIMESTAMP_KEYS) {
    if (!fields.has(key)) continue;
    const ns = parseTimestamp(fields.get(key));
    if (ns === undefined || ns < MIN_PLAUSIBLE_NS) continue;
    fields.delete(key);
    if (key === 'created') fields.delete('asctime'); // the same instant, less precise
    return ns;
  }
  return undefined;
}

export function takeSeverity(fields: Fields): Severity {
  const otelNumberKey = OTEL_SEVERITY_NUMBER_KEYS.find((k) => fields.has(k));
  const otelNumber = otelNumberKey ? severityFromOtelNumber(fields.get(otelNumberKey)) : undefined;
  if (otelNumberKey && otelNumber) fields.delete(otelNumberKey);

  for (const key of LEVEL_NAME_KEYS) {
    const value = fields.get(key);
    const severity =
      key === 'level' && typeof value === 'number'
        ? severityFromPinoNumber(value)
        : severityFromName(value);
    if (!severity) continue;
    fields.delete(key);
    if (key === 'levelname') fields.delete('levelno');
    return otelNumber && otelNumber.level === severity.level ? otelNumber : severity;
  }
  if (otelNumber) return otelNumber;
  const pythonNumber = severityFromPythonNumber(fields.get('levelno'));
  if (pythonNumber) {
    fields.delete('levelno');
    return pythonNumber;
  }
  return DEFAULT_SEVERITY;
}

export function takeMessage(fields: Fields, otelShaped: boolean): { body: string; event?: string } {
  const keys = otelShaped ? [...MESSAGE_KEYS, 'body'] : MESSAGE_KEYS;
  let body: string | undefined;
  for (const key of keys) {
    const value = fields.get(key);
    if (value === undefined || value === null) continue;
    body = typeof value === 'string' ? value : JSON.stringify(value);
    fields.delete(key);
    break;
  }

  let event: string | undefined;
  for (const key of ['event', 'event_name', 'event.name']) {
    const value = fields.get(key);
    if (typeof value !== 'string' || value === '') continue;
    if (body === undefined) {
      // structlog: `event` is the message itself; it is also an event name when shaped like one.
      body = value;
      if (EVENT_NAME.test(value)) event = value;
      fields.delete(key);
      break;
    }
    if (EVENT_NAME.test(value)) {
      event = value;
      fields.delete(key);
      break;
    }
  }
  return event === undefined ? { body: body ?? '' } : { body: body ?? '', event };
}

export function takeService(fields: Fields): string | undefined {
  for (const key of SERVICE_KEYS) {
    const value = fields.get(key);
    // ECS nests it: {"service": {"name": "checkout"}}.
    const name = isPlainObject(value) ? nonEmpty(value.name) : nonEmpty(value);
    if (name === undefined) continue;
    if (isPlainObject(value)) {
      const { name: _name, ...rest } = value;
      if (Object.keys(rest).length > 0) fields.set(key, rest);
      else fields.delete(key);
    } else {
      fields.delete(key);
    }
    return name;
  }
  return undefined;
}

/** The first valid ID among the aliases; aliases repeating it are dropped, others kept. */
export function takeId(
  fields: Fields,
  keys: string[],
  valid: (value: unknown) => string | undefined,
): string | undefined {
  let found: string | undefined;
  for (const key of keys) {
    if (!fields.has(key)) continue;
    const id = valid(fields.get(key));
    if (id === undefined) continue;
    if (found === undefined) found = id;
    if (id === found) fields.delete(key);
  }
  return found;
}

/** pino/bunyan serialise errors as `err: {type|name, message, stack}`; DESIGN.md names them flat. */
export function flattenError(fields: Fields): void {
  const err = fields.get('err');
  if (!isPlainObject(err) || typeof err.message !== 'string') return;
  const { message, type, name, stack, ...rest } = err;
  if (!fields.has('error')) fields.set('error', message);
  const errorType = nonEmpty(type) ?? nonEmpty(name);
  if (errorType && !fields.has('error_type')) fields.set('error_type', errorType);
  if (typeof stack === 'string' && !fields.has('error_stack')) fields.set('error_stack', stack);
  if (Object.keys(rest).length > 0) fields.set('err', rest as AttributeValue);
  else fields.delete('err');
}

export function moveTo(
  fields: Fields,
  from: string,
  to: Record<string, unknown>,
  key: string,
): void {
  const value = fields.get(from);
  if (typeof value !== 'string' && typeof value !== 'number') return;
  to[key] = value;
  fields.delete(from);
}

export function takeString(fields: Fields, key: string): string | undefined {
  const value = nonEmpty(fields.get(key));
  if (value !== undefined) fields.delete(key);
  return value;
}

export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
