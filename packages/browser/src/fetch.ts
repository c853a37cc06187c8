import { generateRequestId, isValidRequestId, newTraceparent, traceIdOf } from './ids.js';

export const REQUEST_ID_HEADER = 'x-request-id';
export const TRACEPARENT_HEADER = 'traceparent';
export const UPSTREAM_SERVICE_HEADER = 'x-upstream-service';
export const SERVICES_ENCOUNTERED_HEADER = 'x-services-encountered';

/** What one traced call did: the IDs a person needs to find it in Hopscope. */
export interface TracedRequest {
  /** The ID the server answered with (it may replace an invalid one), else the one sent. */
  requestId: string;
  /** The ID this page sent. */
  sentRequestId: string;
  traceId: string;
  method: string;
  url: string;
  status: number | undefined;
  /** Time to response headers, in milliseconds. */
  durationMs: number;
  error?: string;
}

export interface TracedFetchOptions {
  /** The fetch to wrap. Default: the global `fetch`, read at each call. */
  fetch?: typeof fetch;
  /** This UI's name: sent as `x-upstream-service` (and first in the chain when tracked). */
  service?: string;
  /** Send `x-services-encountered: <service>` so servers can build seed 002's chain. */
  servicesEncountered?: boolean;
  /**
   * Which URLs get Hopscope headers. Default: same-origin only, since custom headers on a
   * cross-origin call need that server's CORS consent. Strings match as URL prefixes.
   */
  propagateTo?: ReadonlyArray<string | RegExp> | ((url: URL) => boolean);
  /** Called once per call when the response headers arrived or the call failed. */
  onRequest?: (request: TracedRequest) => void;
}

function currentOrigin(): string | undefined {
  const loc = (globalThis as { location?: { origin?: string } }).location;
  return loc?.origin;
}

function shouldPropagate(url: URL, options: TracedFetchOptions): boolean {
  const rule = options.propagateTo;
  if (typeof rule === 'function') {
    try {
      return rule(url);
    } catch {
      return false;
    }
  }
  if (url.origin === currentOrigin()) return true;
  if (rule === undefined) return false;
  return rule.some((r) => (typeof r === 'string' ? url.href.startsWith(r) : r.test(url.href)));
}

function toUrl(input: RequestInfo | URL): URL | undefined {
  try {
    const raw = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
    return new URL(raw, currentOrigin());
  } catch {
    return undefined;
  }
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The response with the call's IDs attached, so a component can show them. */
export type TracedResponse = Response & { hopscope: TracedRequest };

/**
 * A `fetch` whose calls are born with a request ID (`req_` + 12 hex) and a W3C `traceparent`
 * (unless the caller set them), so the server's logs and spans carry the ID the page shows.
 * The response's `x-request-id` is read back (`response.hopscope.requestId`). Never throws
 * anything fetch would not.
 */
export function createTracedFetch(
  options: TracedFetchOptions = {},
): (input: RequestInfo | URL, init?: RequestInit) => Promise<TracedResponse> {
  return async (input, init) => {
    const impl = options.fetch ?? globalThis.fetch;
    const url = toUrl(input);
    if (url === undefined || !shouldPropagate(url, options)) {
      return impl(input, init) as Promise<TracedResponse>;
    }
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const headers = new Headers(
      init?.headers ?? (isRequest ? (input as Request).headers : undefined),
    );
    const given = headers.get(REQUEST_ID_HEADER);
    const sentRequestId = isValidRequestId(given) ? given : generateRequestId();
    headers.set(REQUEST_ID_HEADER, sentRequestId);
    let traceId = traceIdOf(headers.get(TRACEPARENT_HEADER));
    if (traceId === undefined) {
      const traceparent = newTraceparent();
      headers.set(TRACEPARENT_HEADER, traceparent);
      traceId = traceIdOf(traceparent) as string;
    }
    if (options.service !== undefined) {
      headers.set(UPSTREAM_SERVICE_HEADER, options.service);
      if (options.servicesEncountered === true) {
        headers.set(SERVICES_ENCOUNTERED_HEADER, options.service);
      }
    }
    const method = (init?.method ?? (isRequest ? (input as Request).method : 'GET')).toUpperCase();
    const started = now();
    const info: TracedRequest = {
      requestId: sentRequestId,
      sentRequestId,
      traceId,
      method,
      url: `${url.origin}${url.pathname}`,
      status: undefined,
      durationMs: 0,
    };
    const report = () => {
      try {
        options.onRequest?.(info);
      } catch {
        // a listener must not break the app's request
      }
    };
    let response: Response;
    try {
      response = await impl(input, { ...init, headers });
    } catch (error) {
      info.durationMs = Math.round(now() - started);
      info.error = error instanceof Error ? error.message : String(error);
      report();
      throw error;
    }
    info.durationMs = Math.round(now() - started);
    info.status = response.status;
    // readable cross-origin only when the server lists it in Access-Control-Expose-Headers
    const echoed = response.headers.get(REQUEST_ID_HEADER);
    if (isValidRequestId(echoed)) info.requestId = echoed;
    report();
    try {
      Object.defineProperty(response, 'hopscope', { value: info, enumerable: false });
    } catch {
      // a frozen Response: the IDs still reached onRequest
    }
    return response as TracedResponse;
  };
}

/** `createTracedFetch()` with the defaults (same-origin calls only). */
export const tracedFetch = createTracedFetch();
