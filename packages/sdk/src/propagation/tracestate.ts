import type { TraceState } from '@opentelemetry/api';

/**
 * W3C `tracestate` handling written to the letter of the spec (trace-context, "Tracestate
 * Header"). The OpenTelemetry JS TraceState predates the current key grammar (it still expects
 * `tenant@system` with length limits per side) and fails parts of the official test suite, so this
 * one follows the ABNF directly:
 *
 *   key      = ( lcalpha / DIGIT ) 0*255 ( keychar )     ; keychar adds _ - * / @
 *   value    = 0*255(chr) nblk-chr                        ; printable ASCII except , and =
 *   list     = list-member 0*31( OWS "," OWS list-member ); empty members allowed
 */
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
export const MAX_TRACESTATE_MEMBERS = 32;
/** The spec asks vendors to propagate at least 512 characters; we propagate exactly that much. */
export const MAX_TRACESTATE_LENGTH = 512;
/** Members longer than this are the first to go when the header must be truncated. */
const LONG_MEMBER = 128;

export function isValidTracestateKey(key: string): boolean {
  return KEY.test(key);
}

export function isValidTracestateValue(value: string): boolean {
  return VALUE.test(value);
}

/** An immutable tracestate list; `set`/`unset` return a new one, as the OTel API requires. */
export class W3CTraceState implements TraceState {
  /** Members in header order (left-most first). */
  private readonly members: ReadonlyArray<readonly [string, string]>;

  constructor(members: ReadonlyArray<readonly [string, string]> = []) {
    this.members = members;
  }

  get size(): number {
    return this.members.length;
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.members) if (k === key) return v;
    return undefined;
  }

  /**
   * Adds or updates a member and moves it to the front (spec: "Modified keys MUST be moved to the
   * beginning"). Invalid keys or values leave the state unchanged rather than throwing into user
   * code; a 33rd member pushes out the right-most one.
   */
  set(key: string, value: string): W3CTraceState {
    if (!isValidTracestateKey(key) || !isValidTracestateValue(value)) return this;
    const rest = this.members.filter(([k]) => k !== key);
    return new W3CTraceState([[key, value] as const, ...rest].slice(0, MAX_TRACESTATE_MEMBERS));
  }

  unset(key: string): W3CTraceState {
    const rest = this.members.filter(([k]) => k !== key);
    return rest.length === this.members.length ? this : new W3CTraceState(rest);
  }

  /** The header value, truncated by whole members to 512 characters as the spec prescribes. */
  serialize(): string {
    let members = this.members.map(([k, v]) => `${k}=${v}`);
    if (joinedLength(members) > MAX_TRACESTATE_LENGTH) {
      members = members.filter((m) => m.length <= LONG_MEMBER);
      while (members.length > 0 && joinedLength(members) > MAX_TRACESTATE_LENGTH) members.pop();
    }
    return members.join(',');
  }

  entries(): ReadonlyArray<readonly [string, string]> {
    return this.members;
  }
}

function joinedLength(members: string[]): number {
  let n = members.length > 0 ? members.length - 1 : 0;
  for (const m of members) n += m.length;
  return n;
}

/**
 * Parses one or several `tracestate` header fields. Several fields are combined in order, as
 * RFC 9110 field-order combination prescribes. Returns undefined when the combined list is
 * invalid (a malformed member, more than 32 members): the spec then discards the whole header.
 * Duplicate keys are allowed to be dropped; the left-most occurrence wins.
 */
export function parseTracestate(
  header: string | readonly string[] | undefined,
): W3CTraceState | undefined {
  if (header === undefined) return undefined;
  const combined = typeof header === 'string' ? header : header.join(',');
  const members: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (const raw of combined.split(',')) {
    const member = trimOws(raw);
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!isValidTracestateKey(key) || !isValidTracestateValue(value)) return undefined;
    if (seen.has(key)) continue;
    seen.add(key);
    members.push([key, value]);
    if (members.length > MAX_TRACESTATE_MEMBERS) return undefined;
  }
  return new W3CTraceState(members);
}

/** OWS is spaces and horizontal tabs (RFC 9110 §5.6.3). */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === ' ' || s[start] === '\t')) start++;
  while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
