/**
 * Log timestamps arrive as ISO strings (with or without zone, `,` or `.` before the fraction),
 * epoch numbers in s/ms/µs/ns, or digit strings (OTel `time_unix_nano`). Everything becomes
 * Unix epoch nanoseconds without going through a float where precision would be lost.
 */

const ISO =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d{1,9})\d*)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const NS_PER_MS = 1_000_000n;

/** Epoch nanoseconds for a timestamp value, or undefined when it cannot be read as one. */
export function parseTimestamp(value: unknown): bigint | undefined {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return fromDecimalString(text);
  const iso = ISO.exec(text);
  if (iso) {
    const [, date, time, fraction = '', zone = ''] = iso;
    // A naive time is the writer's local time (Python's asctime, structlog without utc=True).
    const ms = Date.parse(`${date}T${time}${normaliseZone(zone)}`);
    if (Number.isNaN(ms)) return undefined;
    return BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'));
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * NS_PER_MS;
}

function normaliseZone(zone: string): string {
  if (zone === '' || zone.toUpperCase() === 'Z') return zone.toUpperCase();
  // +0530 and +05 are valid ISO 8601 but Date.parse wants +05:30.
  const digits = zone.slice(1).replace(':', '').padEnd(4, '0');
  return `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4)}`;
}

function fromNumber(value: number): bigint | undefined {
  if (!Number.isFinite(value) || value <= 0) return undefined;
  // String(1705314600.123456) keeps the digits the writer printed; multiplying would not.
  return fromDecimalString(toPlainDecimal(value));
}

function toPlainDecimal(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(Math.min(20, Math.max(0, -Math.floor(Math.log10(value)) + 9)));
}

/**
 * The unit is guessed from the magnitude: any epoch between 1973 and 5138 has a distinct
 * number of integer digits in s, ms, µs and ns.
 */
function fromDecimalString(text: string): bigint | undefined {
  const [whole = '0', fraction = ''] = text.split('.');
  const digits = whole.replace(/^0+/, '').length;
  if (digits === 0) return undefined;
  const scale = digits <= 11 ? 9 : digits <= 14 ? 6 : digits <= 17 ? 3 : 0;
  const frac = fraction.slice(0, scale).padEnd(scale, '0');
  return BigInt(whole) * 10n ** BigInt(scale) + (scale > 0 ? BigInt(frac) : 0n);
}
