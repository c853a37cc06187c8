/** Reads the standard OTEL_* (and HOPSCOPE_*) environment variables without interpreting them. */

export type Env = Readonly<Record<string, string | undefined>>;

export function envString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A number from the environment; a malformed value is ignored (with a reason) rather than fatal. */
export function envNumber(env: Env, name: string): number | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

export function envBoolean(env: Env, name: string): boolean | undefined {
  const raw = envString(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  return undefined;
}

/**
 * OTEL_RESOURCE_ATTRIBUTES: `key=value,key2=value2`, values percent-encoded (W3C baggage style).
 * Malformed members are skipped, as the OpenTelemetry specification asks.
 */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const member of raw.split(',')) {
    const eq = member.indexOf('=');
    if (eq <= 0) continue;
    const key = member.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      // undecodable value: skip the member, keep the rest
    }
  }
  return out;
}

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value,key2=value2`, same encoding as resource attributes. */
export const parseHeaders = parseResourceAttributes;
