import type { ApiErrorBody, JaegerEnvelope } from './types.js';

const TOKEN_KEY = 'hopscope.queryToken';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    /** The parsed error body, for routes whose errors carry more than a message. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

type AuthListener = () => void;
const authListeners = new Set<AuthListener>();

/** Called when the server answers 401: the app shows the token prompt. */
export function onUnauthorized(fn: AuthListener): () => void {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // private mode: the token lives for this page only
  }
  memoryToken = token;
}
let memoryToken: string | null = null;

export type Params = Record<string, string | number | boolean | undefined | null>;

export function buildUrl(path: string, params: Params = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** GET a JSON route of the query API; non-2xx answers become an ApiError with the server's words. */
export async function getJson<T>(
  path: string,
  params: Params = {},
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken() ?? memoryToken;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(buildUrl(path, params), { headers, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `cannot reach the Hopscope server: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status === 401) {
    for (const fn of authListeners) fn();
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res, body, text), errorCode(body));
  return body as T;
}

function errorMessage(res: Response, body: unknown, text: string): string {
  const b = body as Partial<ApiErrorBody> & Partial<JaegerEnvelope<unknown>>;
  if (b?.error?.message) return b.error.message;
  if (Array.isArray(b?.errors) && b.errors[0]?.msg) return b.errors[0].msg;
  const snippet = text.slice(0, 200).trim();
  return `the server answered ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`;
}

function errorCode(body: unknown): string | undefined {
  return (body as Partial<ApiErrorBody>)?.error?.code;
}

/** Jaeger routes wrap data in an envelope; unwrap it or throw its first error. */
export async function getJaeger<T>(path: string, params: Params = {}, signal?: AbortSignal) {
  const env = await getJson<JaegerEnvelope<T>>(path, params, signal);
  if (env.errors?.length) throw new ApiError(env.errors[0].code, env.errors[0].msg);
  return env.data as T;
}

/** PUT a text body to a route of the query API; answers and errors as getJson. */
export async function putText<T>(path: string, text: string, contentType: string): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Content-Type': contentType,
  };
  const token = getToken() ?? memoryToken;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method: 'PUT', headers, body: text });
  } catch (err) {
    throw new ApiError(0, `cannot reach the Hopscope server: ${(err as Error).message}`);
  }
  const raw = await res.text();
  let body: unknown;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status === 401) {
    for (const fn of authListeners) fn();
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res, body, raw), errorCode(body), body);
  return body as T;
}
