import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { getTracer } from '../trace/tracer.js';
import { captureEnabled, contentValue } from './content.js';
import { recordProviderError } from './errors.js';
import { GEN_AI } from './semconv.js';

export interface LlmCallOptions {
  /** `gen_ai.provider.name`: openai, anthropic, gcp.gemini, aws.bedrock… */
  provider: string;
  /** The requested model. */
  model: string;
  /** `gen_ai.operation.name`; default `chat`. */
  operation?: string;
  conversationId?: string;
  /** Request parameters worth seeing on the span. */
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  /** The prompt; recorded only when content capture is on. */
  input?: unknown;
  /** Overrides the process-wide content capture for this call. */
  captureContent?: boolean;
  attributes?: Attributes;
}

export interface LlmUsage {
  /** All input tokens, cached ones included. */
  inputTokens?: number;
  /** All output tokens, reasoning ones included. */
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  reasoningTokens?: number;
  /** USD, when the provider tells (the server then skips its price table). */
  costUsd?: number;
}

export interface LlmResponseInfo {
  model?: string;
  id?: string;
  finishReasons?: string[];
}

/** What the function inside `llmCall`/`llmStream` can tell about the call. */
export interface LlmCall {
  readonly span: Span;
  usage(usage: LlmUsage): void;
  response(info: LlmResponseInfo): void;
  /** The completion; recorded only when content capture is on. */
  output(content: unknown): void;
  /** Marks the first token of a stream now (the first chunk does it when not called). */
  firstToken(): void;
}

function count(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined;
}

/** One LLM span: collects usage, response and timing, ends once. */
export class LlmRecorder implements LlmCall {
  readonly span: Span;
  readonly ctx: Context;
  private readonly started = performance.now();
  private firstTokenAt?: number;
  private outputTokens?: number;
  private ended = false;
  private readonly capture: boolean;

  constructor(
    options: LlmCallOptions,
    private readonly streaming: boolean,
  ) {
    const operation = options.operation ?? 'chat';
    const attributes: Attributes = {
      [GEN_AI.operation]: operation,
      [GEN_AI.provider]: options.provider,
      [GEN_AI.requestModel]: options.model,
      ...(streaming ? { [GEN_AI.requestStream]: true } : {}),
    };
    if (options.conversationId !== undefined)
      attributes[GEN_AI.conversationId] = options.conversationId;
    if (options.temperature !== undefined) attributes[GEN_AI.temperature] = options.temperature;
    if (options.maxTokens !== undefined) attributes[GEN_AI.maxTokens] = options.maxTokens;
    if (options.topP !== undefined) attributes[GEN_AI.topP] = options.topP;
    this.capture = captureEnabled(options.captureContent);
    if (this.capture && options.input !== undefined) {
      attributes[GEN_AI.inputMessages] = contentValue(options.input);
    }
    this.span = getTracer().startSpan(`${operation} ${options.model}`, {
      kind: SpanKind.CLIENT,
      attributes: { ...options.attributes, ...attributes },
    });
    this.ctx = trace.setSpan(context.active(), this.span);
  }

  usage(u: LlmUsage): void {
    const set = (key: string, v: unknown) => {
      const n = count(v);
      if (n !== undefined) this.span.setAttribute(key, n);
      return n;
    };
    set(GEN_AI.inputTokens, u.inputTokens);
    const out = set(GEN_AI.outputTokens, u.outputTokens);
    if (out !== undefined) this.outputTokens = out;
    set(GEN_AI.cacheReadTokens, u.cacheReadTokens);
    set(GEN_AI.cacheCreationTokens, u.cacheCreationTokens);
    set(GEN_AI.reasoningTokens, u.reasoningTokens);
    if (typeof u.costUsd === 'number' && Number.isFinite(u.costUsd) && u.costUsd >= 0) {
      this.span.setAttribute(GEN_AI.cost, u.costUsd);
    }
  }

  response(info: LlmResponseInfo): void {
    if (typeof info.model === 'string' && info.model)
      this.span.setAttribute(GEN_AI.responseModel, info.model);
    if (typeof info.id === 'string' && info.id) this.span.setAttribute(GEN_AI.responseId, info.id);
    const reasons = info.finishReasons?.filter((r): r is string => typeof r === 'string');
    if (reasons && reasons.length > 0) this.span.setAttribute(GEN_AI.finishReasons, reasons);
  }

  output(content: unknown): void {
    if (this.capture && content !== undefined) {
      this.span.setAttribute(GEN_AI.outputMessages, contentValue(content));
    }
  }

  firstToken(): void {
    if (this.firstTokenAt !== undefined || this.ended) return;
    this.firstTokenAt = performance.now();
    this.span.setAttribute(GEN_AI.timeToFirstChunk, (this.firstTokenAt - this.started) / 1000);
  }

  /** Ends the span once: status, error, output tokens per second of generation. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    try {
      if (error !== undefined) recordProviderError(this.span, error);
      const now = performance.now();
      // generation time: after the first token when streamed, else the whole call
      const from =
        this.streaming && this.firstTokenAt !== undefined ? this.firstTokenAt : this.started;
      const seconds = (now - from) / 1000;
      if (
        error === undefined &&
        this.outputTokens !== undefined &&
        this.outputTokens > 0 &&
        seconds > 0
      ) {
        this.span.setAttribute(
          GEN_AI.outputTokensPerSecond,
          Math.round((this.outputTokens / seconds) * 100) / 100,
        );
      }
    } finally {
      this.span.end();
    }
  }

  /** Runs `fn` with the span active. */
  run<T>(fn: () => T): T {
    return context.with(this.ctx, fn);
  }
}

function checkArgs(api: string, options: LlmCallOptions, fn: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `hopscope: ${api}({ provider, model, operation? }, fn) needs an options object`,
    );
  }
  for (const key of ['provider', 'model'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      throw new TypeError(
        `hopscope: ${api} needs options.${key} as a non-empty string, got ${JSON.stringify(options[key])}`,
      );
    }
  }
  if (typeof fn !== 'function')
    throw new TypeError(`hopscope: ${api}(options, fn) needs a function`);
}

/**
 * Runs one model call in a `{operation} {model}` span with GenAI attributes. `fn` reports usage
 * and response details through its argument; errors are recorded with the provider's error type
 * and rethrown unchanged.
 */
export async function llmCall<T>(
  options: LlmCallOptions,
  fn: (call: LlmCall) => T | Promise<T>,
): Promise<T> {
  checkArgs('llmCall', options, fn);
  const rec = new LlmRecorder(options, false);
  try {
    const result = await rec.run(() => fn(rec));
    rec.span.setStatus({ code: SpanStatusCode.UNSET });
    rec.end();
    return result;
  } catch (error) {
    rec.end(error);
    throw error;
  }
}

export interface LlmStreamOptions<T> {
  /** Sees every chunk: report usage, finish reasons, the first content token. */
  onChunk?: (chunk: T, call: LlmCall) => void;
  /** After the last chunk, before the span ends. */
  onEnd?: (call: LlmCall) => void;
  /**
   * The first chunk marks the first token (default). Off when `onChunk` calls
   * `call.firstToken()` itself, e.g. on the first chunk that carries text.
   */
  firstChunkIsFirstToken?: boolean;
}

/**
 * The streaming form: `fn` returns (or resolves to) an async iterable of chunks; the span stays
 * open while it is consumed, records time to first token (the first chunk, or `call.firstToken()`)
 * and output tokens per second, and ends when the stream ends, is closed early or fails.
 */
export async function llmStream<T>(
  options: LlmCallOptions,
  fn: (call: LlmCall) => AsyncIterable<T> | Promise<AsyncIterable<T>>,
  hooks: LlmStreamOptions<T> = {},
): Promise<AsyncIterableIterator<T>> {
  checkArgs('llmStream', options, fn);
  const rec = new LlmRecorder(options, true);
  let source: AsyncIterable<T>;
  try {
    source = await rec.run(() => fn(rec));
  } catch (error) {
    rec.end(error);
    throw error;
  }
  return tracedChunks(source, rec, hooks);
}

/** Iterates `source` in the span's context, feeding chunks to the recorder; ends it at the end. */
export function tracedChunks<T>(
  source: AsyncIterable<T>,
  rec: LlmRecorder,
  hooks: LlmStreamOptions<T> = {},
): AsyncIterableIterator<T> {
  let iterator: AsyncIterator<T> | undefined;
  const it = () => {
    iterator ??= rec.run(() => source[Symbol.asyncIterator]());
    return iterator;
  };
  const finish = (error?: unknown) => {
    if (error === undefined) {
      try {
        hooks.onEnd?.(rec);
      } catch {
        // a reporting hook never breaks the caller's stream
      }
    }
    rec.end(error);
  };
  return {
    async next() {
      try {
        const r = await rec.run(() => it().next());
        if (r.done) finish();
        else {
          if (hooks.firstChunkIsFirstToken !== false) rec.firstToken();
          try {
            hooks.onChunk?.(r.value, rec);
          } catch {
            // as above
          }
        }
        return r;
      } catch (error) {
        finish(error);
        throw error;
      }
    },
    async return(value?: unknown) {
      finish();
      const r = await it().return?.(value);
      return r ?? { done: true, value: value as T };
    },
    async throw(error?: unknown) {
      finish(error);
      if (it().throw) return it().throw!(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
