/**
 * Log timestamps arrive as ISO strings (with or without zone, `,` or `.` before the fraction),
 * epoch numbers in s/ms/µs/ns, or digit strings (OTel `time_unix_nano`). Everything becomes
 * Unix epoch nanoseconds without going through a float where precision would be lost.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9})\d*)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Epoch nanoseconds for a timestamp value, or undefined when it cannot be read as one. */
export function parseTimestamp(value: unknown): bigint | undefined {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const iso = ISO.exec(text);
  if (iso) return fromIso(iso);
  if (/^\d+(\.\d+)?$/.test(text)) return fromDecimalString(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * NS_PER_MS;
}

// Lines arrive in time order, so consecutive lines usually share their second: remember the last.
let cachedSecond = '';
let cachedMs = 0;

function fromIso(match: RegExpExecArray): bigint | undefined {
  const fraction = match[7] ?? '';
  const zone = match[8] ?? '';
  const second = `${match[1]}${match[2]}${match[3]}${match[4]}${match[5]}${match[6] ?? ''}${zone}`;
  let ms: number | undefined;
  if (second === cachedSecond) {
    ms = cachedMs;
  } else {
    ms = wholeSecondMs(match, zone);
    if (ms === undefined) return undefined;
    cachedSecond = second;
    cachedMs = ms;
  }
  const ns = fraction === '' ? 0 : Number(fraction.padEnd(9, '0'));
  return BigInt(ms) * NS_PER_MS + BigInt(ns);
}

function wholeSecondMs(match: RegExpExecArray, zone: string): number | undefined {
  const [, y, mo, d, h, mi, s = '0'] = match;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  if (
    fields[1] > 11 ||
    fields[2] < 1 ||
    fields[2] > 31 ||
    fields[3] > 23 ||
    fields[4] > 59 ||
    fields[5] > 60
  ) {
    return undefined;
  }
  if (zone === '') {
    // A naive time is the writer's local time (Python's asctime, structlog without utc=True).
    const local = new Date(...fields).getTime();
    return Number.isFinite(local) ? local : undefined;
  }
  let ms = Date.UTC(...fields);
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '').padEnd(4, '0');
    const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    ms -= (zone[0] === '-' ? -offsetMin : offsetMin) * 60_000;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

function fromNumber(value: number): bigint | undefined {
  if (!Number.isFinite(value) || value <= 0) return undefined;
  // Integers (pino's epoch ms) are exact; the unit follows from the magnitude, as below.
  if (Number.isSafeInteger(value)) {
    if (value < 1e11) return BigInt(value) * NS_PER_S;
    if (value < 1e14) return BigInt(value) * NS_PER_MS;
    if (value < 1e17) return BigInt(value) * 1000n;
    return BigInt(value);
  }
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
