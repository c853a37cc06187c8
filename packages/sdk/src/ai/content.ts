/**
 * Prompt and completion capture. OFF by default, as the GenAI conventions ask: turned on with
 * `configureAi({ captureContent: true })`, per call with `captureContent: true`, or with
 * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true. Captured text has secrets redacted
 * first, then is cut to `maxContentLength` characters.
 */

export interface AiOptions {
  captureContent?: boolean;
  /** Longest captured value in characters; default 4096. */
  maxContentLength?: number;
  /** Extra patterns whose matches become `[REDACTED]`, after the built-in ones. */
  redactPatterns?: RegExp[];
}

const SECRET_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,}/g, // OpenAI, Anthropic, Stripe
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ID
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API key
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];
/** `password=…`, `"api_key": "…"`: the name stays, the value goes. */
const SECRET_ASSIGNMENT =
  /(\b(?:password|passwd|pwd|secret|client_secret|api[_-]?key|access[_-]?token|token)\b["']?\s*[:=]\s*["']?)([^\s"',;}]{4,})/gi;
export const REDACTED = '[REDACTED]';

let current: Required<AiOptions> = {
  captureContent: false,
  maxContentLength: 4096,
  redactPatterns: [],
};

/** Sets the process-wide AI options (content capture, limits, redaction). */
export function configureAi(options: AiOptions): void {
  if (options.maxContentLength !== undefined) {
    if (!Number.isInteger(options.maxContentLength) || options.maxContentLength < 16) {
      throw new TypeError(
        `hopscope: configureAi maxContentLength must be an integer ≥ 16, got ${String(options.maxContentLength)}`,
      );
    }
  }
  if (options.redactPatterns !== undefined) {
    const bad = options.redactPatterns.findIndex((p) => !(p instanceof RegExp));
    if (!Array.isArray(options.redactPatterns) || bad >= 0) {
      throw new TypeError(
        `hopscope: configureAi redactPatterns must be an array of RegExp (item ${bad} is not)`,
      );
    }
  }
  current = {
    captureContent: options.captureContent ?? current.captureContent,
    maxContentLength: options.maxContentLength ?? current.maxContentLength,
    // every match is redacted, not only the first: patterns are made global
    redactPatterns:
      options.redactPatterns?.map((p) => (p.global ? p : new RegExp(p.source, `${p.flags}g`))) ??
      current.redactPatterns,
  };
}

export function aiOptions(): Readonly<Required<AiOptions>> {
  return current;
}

export function captureEnabled(perCall: boolean | undefined): boolean {
  if (perCall !== undefined) return perCall;
  if (current.captureContent) return true;
  const env = process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
  return env !== undefined && /^(true|1|yes)$/i.test(env.trim());
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const p of [...SECRET_PATTERNS, ...current.redactPatterns]) {
    out = out.replace(p, (_m, scheme?: string) =>
      typeof scheme === 'string' && /^(bearer|basic)$/i.test(scheme)
        ? `${scheme} ${REDACTED}`
        : REDACTED,
    );
  }
  return out.replace(SECRET_ASSIGNMENT, (_m, key: string) => `${key}${REDACTED}`);
}

/** Content as an attribute value: JSON for non-strings, secrets redacted, then truncated. */
export function contentValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  text = redactSecrets(text);
  const max = current.maxContentLength;
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…[truncated ${text.length - max} chars]`;
}
