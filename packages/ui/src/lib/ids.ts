export type IdKind = 'request_id' | 'trace_id' | 'traceparent';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/i;
const TRACE_ID = /^[0-9a-f]{32}$/i;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What a pasted string is: the search box takes request IDs, trace IDs and `traceparent` values,
 * also with a `traceparent:` / `x-request-id:` header prefix or quotes copied along with them.
 */
export function classifyId(raw: string): { id: string; kind: IdKind } | null {
  let s = raw.trim().replace(/^["'`]+|["'`,;]+$/g, '');
  const header =
    /^(traceparent|x-request-id|x-correlation-id|request[._]id|trace[._]id)\s*[:=]\s*/i;
  s = s.replace(header, '').replace(/^["']|["']$/g, '');
  if (TRACEPARENT.test(s)) return { id: s.toLowerCase(), kind: 'traceparent' };
  if (TRACE_ID.test(s)) return { id: s.toLowerCase(), kind: 'trace_id' };
  if (REQUEST_ID.test(s)) return { id: s, kind: 'request_id' };
  return null;
}
