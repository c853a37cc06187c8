import type { RequestKey } from '../validate.js';

/** The strings a matching line contains: the ID, and for hex trace IDs their upper case too. */
export function needlesFor(key: RequestKey): string[] {
  if (key.kind === 'request_id') return [key.value];
  return traceNeedles(key.kind === 'traceparent' ? key.traceId : key.value);
}

export function traceNeedles(traceId: string): string[] {
  return [traceId, traceId.toUpperCase()];
}

/**
 * A line matches when one of the needles appears in it as a whole token (so `req_1` does not
 * match `req_12`).
 */
export function tokenMatcher(needles: string[]): (line: string) => boolean {
  return (line) => needles.some((id) => containsToken(line, id));
}

const TOKEN_CHAR = /[A-Za-z0-9._:-]/;

function containsToken(line: string, id: string): boolean {
  for (let at = line.indexOf(id); at !== -1; at = line.indexOf(id, at + 1)) {
    const before = at === 0 ? '' : line[at - 1];
    const after = line[at + id.length] ?? '';
    // `0x` is how Python's OTel SDK prints trace IDs.
    const beforeOk = before === '' || !TOKEN_CHAR.test(before) || line.slice(at - 2, at) === '0x';
    if (beforeOk && (after === '' || !TOKEN_CHAR.test(after))) return true;
  }
  return false;
}
