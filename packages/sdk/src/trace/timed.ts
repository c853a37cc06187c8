import { context, type Span, trace } from '@opentelemetry/api';
import { logger as defaultLogger, type HopscopeLogger } from '../log/index.js';
import { getTracer } from './tracer.js';
import { recordError, withSpan } from './with-span.js';

export interface TimedOptions {
  /** Event prefix and span name; default the function's (or method's) name. */
  name?: string;
  /** Also wrap each call in a span of that name. Default true. */
  span?: boolean;
  /** Logger for the lines; default the SDK's logger. */
  logger?: HopscopeLogger;
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper must accept any function signature
type AnyFn = (this: any, ...args: any[]) => any;

/** What `timed()` returns: wraps a function, or decorates a class method (TS 5 decorators). */
export interface Timer {
  <F extends AnyFn>(fn: F): F;
  <F extends AnyFn>(method: F, context: ClassMethodDecoratorContext): F;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** The three FR-8 lines: `<name>_started`, `<name>_completed`, `<name>_failed`. */
class TimingLog {
  private readonly start = performance.now();
  constructor(
    private readonly log: HopscopeLogger,
    private readonly name: string,
  ) {
    log.debug(`${name}_started`);
  }
  completed(extra?: Record<string, unknown>): void {
    this.log.info(`${this.name}_completed`, {
      duration_ms: round2(performance.now() - this.start),
      ...extra,
    });
  }
  failed(error: unknown): void {
    this.log.error(`${this.name}_failed`, {
      duration_ms: round2(performance.now() - this.start),
      error: error instanceof Error ? error : String(error),
      error_type: error instanceof Error ? error.name || 'Error' : typeof error,
    });
  }
}

function wrapPlain(fn: AnyFn, name: string, log: HopscopeLogger, span: boolean): AnyFn {
  return function timedCall(this: unknown, ...args: unknown[]) {
    const call = () => {
      const timing = new TimingLog(log, name);
      let result: unknown;
      try {
        result = fn.apply(this, args);
      } catch (error) {
        timing.failed(error);
        throw error;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          (value) => {
            timing.completed();
            return value;
          },
          (error: unknown) => {
            timing.failed(error);
            throw error;
          },
        );
      }
      timing.completed();
      return result;
    };
    return span ? withSpan(name, call) : call();
  };
}

/** Span and context for a generator's whole life, from first step to completion. */
function generatorScope(
  name: string,
  span: boolean,
): { span?: Span; ctx: ReturnType<typeof context.active> } {
  if (!span) return { ctx: context.active() };
  const s = getTracer().startSpan(name);
  return { span: s, ctx: trace.setSpan(context.active(), s) };
}

function wrapAsyncGenerator(fn: AnyFn, name: string, log: HopscopeLogger, span: boolean): AnyFn {
  return async function* timedAsyncGenerator(this: unknown, ...args: unknown[]) {
    const scope = generatorScope(name, span);
    const inCtx = <T>(f: () => T): T => context.with(scope.ctx, f);
    const timing = inCtx(() => new TimingLog(log, name));
    const inner = inCtx(() => fn.apply(this, args)) as AsyncGenerator<unknown, unknown, unknown>;
    let settled = false;
    try {
      let step = await inCtx(() => inner.next());
      while (!step.done) {
        let sent: unknown;
        try {
          sent = yield step.value;
        } catch (thrown) {
          step = await inCtx(() => inner.throw(thrown));
          continue;
        }
        step = await inCtx(() => inner.next(sent));
      }
      settled = true;
      inCtx(() => timing.completed());
      scope.span?.end();
      return step.value;
    } catch (error) {
      settled = true;
      inCtx(() => timing.failed(error));
      if (scope.span !== undefined) {
        recordError(scope.span, error);
        scope.span.end();
      }
      throw error;
    } finally {
      if (!settled) {
        // the consumer stopped early (break / return()): close the inner generator too
        try {
          await inCtx(() => inner.return(undefined));
        } finally {
          inCtx(() => timing.completed({ early_exit: true }));
          scope.span?.end();
        }
      }
    }
  };
}

function wrapGenerator(fn: AnyFn, name: string, log: HopscopeLogger, span: boolean): AnyFn {
  return function* timedGenerator(this: unknown, ...args: unknown[]) {
    const scope = generatorScope(name, span);
    const inCtx = <T>(f: () => T): T => context.with(scope.ctx, f);
    const timing = inCtx(() => new TimingLog(log, name));
    const inner = inCtx(() => fn.apply(this, args)) as Generator<unknown, unknown, unknown>;
    let settled = false;
    try {
      let step = inCtx(() => inner.next());
      while (!step.done) {
        let sent: unknown;
        try {
          sent = yield step.value;
        } catch (thrown) {
          step = inCtx(() => inner.throw(thrown));
          continue;
        }
        step = inCtx(() => inner.next(sent));
      }
      settled = true;
      inCtx(() => timing.completed());
      scope.span?.end();
      return step.value;
    } catch (error) {
      settled = true;
      inCtx(() => timing.failed(error));
      if (scope.span !== undefined) {
        recordError(scope.span, error);
        scope.span.end();
      }
      throw error;
    } finally {
      if (!settled) {
        try {
          inCtx(() => inner.return(undefined));
        } finally {
          inCtx(() => timing.completed({ early_exit: true }));
          scope.span?.end();
        }
      }
    }
  };
}

const EVENT_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,99}$/;

/**
 * Times a function (seed 000 FR-8): logs `<name>_started` (debug), `<name>_completed` (info,
 * `duration_ms`) or `<name>_failed` (error, `error`, `error_type`, and rethrows unchanged), and
 * wraps the call in a span. Works for sync, async, generator and async-generator functions,
 * as a wrapper or a TS 5 method decorator:
 *
 *   const analyse = timed('complexity_analysis')(async (messages) => …);
 *   class Planner { @timed() async plan() { … } }
 */
export function timed(nameOrOptions?: string | TimedOptions): Timer {
  const options: TimedOptions =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('hopscope: timed() takes a name or { name, span, logger }');
  }
  if (options.name !== undefined && !EVENT_NAME.test(options.name)) {
    throw new TypeError(
      `hopscope: timed() name must be 1-100 characters of letters, digits, _ and ., got ${JSON.stringify(options.name)}`,
    );
  }
  const timer = (fn: AnyFn, decoratorContext?: ClassMethodDecoratorContext): AnyFn => {
    if (typeof fn !== 'function') {
      throw new TypeError('hopscope: timed()(fn) needs a function to wrap');
    }
    if (decoratorContext !== undefined && decoratorContext.kind !== 'method') {
      throw new TypeError(`hopscope: @timed() decorates methods, not ${decoratorContext.kind}s`);
    }
    const rawName = options.name ?? String(decoratorContext?.name ?? fn.name);
    const name = EVENT_NAME.test(rawName) ? rawName : 'anonymous';
    const log = options.logger ?? defaultLogger;
    const span = options.span ?? true;
    const kind = (fn as { constructor?: { name?: string } }).constructor?.name;
    const wrapped =
      kind === 'AsyncGeneratorFunction'
        ? wrapAsyncGenerator(fn, name, log, span)
        : kind === 'GeneratorFunction'
          ? wrapGenerator(fn, name, log, span)
          : wrapPlain(fn, name, log, span);
    Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
    return wrapped;
  };
  return timer as Timer;
}
