import type { IngestLimits, RedactionOptions } from '../config.js';
import type { AttributeValue } from '../store/records.js';

/** Counts what ingest changed in the data, reported as self-metrics. */
export interface SanitizeCounts {
  redactions: number;
  truncatedAttributes: number;
  truncatedValues: number;
  truncatedEvents: number;
  truncatedLinks: number;
}

export function newCounts(): SanitizeCounts {
  return {
    redactions: 0,
    truncatedAttributes: 0,
    truncatedValues: 0,
    truncatedEvents: 0,
    truncatedLinks: 0,
  };
}

const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;

/**
 * Applies the credential redaction and the length cap to one key/value; used by every ingest
 * path (OTLP attributes, NDJSON log fields) so the rules are the same everywhere.
 */
export class Sanitizer {
  constructor(
    readonly limits: IngestLimits,
    readonly redaction: RedactionOptions,
    readonly counts: SanitizeCounts = newCounts(),
  ) {}

  /** Keys already checked: a request's spans repeat a few dozen keys (bounded for NDJSON's). */
  private readonly checked = new Map<string, boolean>();

  /** True when `key`'s last dotted segment looks like a credential name. */
  isSecretKey(key: string): boolean {
    if (!this.redaction.enabled) return false;
    let secret = this.checked.get(key);
    if (secret === undefined) {
      const dot = key.lastIndexOf('.');
      secret = this.redaction.keyPattern.test(dot < 0 ? key : key.slice(dot + 1));
      if (this.checked.size < 512) this.checked.set(key, secret);
    }
    return secret;
  }

  /** `value`, or the replacement when `key` names a credential. */
  redactKey(key: string, value: AttributeValue): AttributeValue {
    if (value !== null && value !== '' && this.isSecretKey(key)) {
      this.counts.redactions++;
      return this.redaction.replacement;
    }
    return value;
  }

  /** A raw field (NDJSON, already typed): redacted by key, else its strings scrubbed. */
  field(key: string, value: AttributeValue): AttributeValue {
    const redacted = this.redactKey(key, value);
    return redacted === value ? this.scrub(value) : redacted;
  }

  /** Strings inside any value: bearer tokens replaced, length capped. */
  scrub(value: AttributeValue): AttributeValue {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.scrub(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, AttributeValue> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.field(k, v);
      return out;
    }
    return value;
  }

  text(s: string): string {
    let out = s;
    if (this.redaction.enabled && this.redaction.redactBearerValues && BEARER.test(out)) {
      BEARER.lastIndex = 0;
      out = out.replace(BEARER, (_m, scheme: string) => {
        this.counts.redactions++;
        return `${scheme} ${this.redaction.replacement}`;
      });
    }
    BEARER.lastIndex = 0;
    if (out.length > this.limits.maxValueLength) {
      this.counts.truncatedValues++;
      out = out.slice(0, this.limits.maxValueLength);
    }
    return out;
  }
}
