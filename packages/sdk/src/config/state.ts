import type { Env } from './env.js';
import { type ResolvedOptions, resolveOptions, serviceNameFromEnv } from './options.js';

/**
 * The options in force. Before `init()` they come from the environment alone, so the logger and
 * middleware work (with the right service name) in code that never calls `init()`.
 */
let active: ResolvedOptions | undefined;
let initialised = false;
let version = 0;
const listeners = new Set<(options: ResolvedOptions) => void>();

/** The configured service name, else OTEL_SERVICE_NAME, else `unknown_service:node`. */
export function getServiceName(): string {
  return active?.service ?? serviceNameFromEnv();
}

/** The resolved options: those given to `init()`, or the environment's before it. */
export function getConfig(env: Env = process.env): ResolvedOptions {
  return active ?? resolveOptions({}, env);
}

/** True between `init()` and its handle's `shutdown()`. */
export function isInitialised(): boolean {
  return initialised;
}

/**
 * @internal Called by `init()` (initialised) and `shutdown()` (not initialised, options kept so
 * the last log lines of a stopping service still name it).
 */
export function setActiveConfig(options: ResolvedOptions | undefined, isInit = true): void {
  active = options;
  initialised = options !== undefined && isInit;
  version++;
  for (const listener of listeners) {
    try {
      listener(getConfig());
    } catch {
      // a listener must never break init
    }
  }
}

/** Changes whenever `init()` or `shutdown()` changes the options; cheap to poll on hot paths. */
export function getConfigVersion(): number {
  return version;
}

/** @internal Lets the default logger follow `init()` (service name, level, output). */
export function onConfigChange(listener: (options: ResolvedOptions) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
