/**
 * `hopscope/openai`: records every call of an official `openai` client as a GenAI span — chat
 * completions, responses and embeddings, streamed or not — with usage, response model, finish
 * reasons, time to first token and provider errors. The client's own return values (APIPromise,
 * Stream) are kept, so `.withResponse()`, `controller.abort()` and the rest work as before.
 */
import { LlmRecorder, type LlmStreamOptions, tracedChunks } from '../llm.js';
import {
  chatChunk,
  chatResult,
  embeddingsResult,
  responsesEvent,
  responsesResult,
} from './extract.js';

export interface InstrumentOpenAIOptions {
  /** `gen_ai.provider.name`; default `openai` (`azure.ai.openai` for Azure, etc.). */
  provider?: string;
  /** Prompt and completion capture for this client (default: the process-wide setting). */
  captureContent?: boolean;
}

const INSTRUMENTED = Symbol.for('hopscope.openai.instrumented');

type Create = (this: unknown, body: Record<string, unknown>, ...rest: unknown[]) => unknown;

interface Resource {
  create: Create;
}

interface Kind {
  operation: string;
  input: (body: Record<string, unknown>) => unknown;
  result: (rec: LlmRecorder, value: unknown) => void;
  chunk?: (rec: LlmRecorder, chunk: unknown, state: StreamState) => void;
}

export interface StreamState {
  text: string;
  finishReasons: string[];
}

const CHAT: Kind = {
  operation: 'chat',
  input: (b) => b.messages,
  result: chatResult,
  chunk: chatChunk,
};
const RESPONSES: Kind = {
  operation: 'chat',
  input: (b) =>
    b.instructions === undefined ? b.input : { instructions: b.instructions, input: b.input },
  result: responsesResult,
  chunk: responsesEvent,
};
const EMBEDDINGS: Kind = {
  operation: 'embeddings',
  input: (b) => b.input,
  result: embeddingsResult,
};

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}

function wrap(resource: Resource | undefined, kind: Kind, options: InstrumentOpenAIOptions): void {
  if (!resource || typeof resource.create !== 'function') return;
  const original = resource.create;
  resource.create = function tracedCreate(
    this: unknown,
    body: Record<string, unknown>,
    ...rest: unknown[]
  ) {
    let rec: LlmRecorder;
    const stream = body?.stream === true;
    try {
      rec = new LlmRecorder(
        {
          provider: options.provider ?? 'openai',
          model: typeof body?.model === 'string' ? body.model : 'unknown',
          operation: kind.operation,
          temperature: typeof body?.temperature === 'number' ? body.temperature : undefined,
          maxTokens:
            typeof body?.max_tokens === 'number'
              ? body.max_tokens
              : typeof body?.max_completion_tokens === 'number'
                ? body.max_completion_tokens
                : typeof body?.max_output_tokens === 'number'
                  ? body.max_output_tokens
                  : undefined,
          topP: typeof body?.top_p === 'number' ? body.top_p : undefined,
          input: body ? kind.input(body) : undefined,
          captureContent: options.captureContent,
        },
        stream,
      );
    } catch {
      return original.call(this, body, ...rest); // tracing never stands in the call's way
    }
    let returned: unknown;
    try {
      returned = rec.run(() => original.call(this, body, ...rest));
    } catch (error) {
      rec.end(error);
      throw error;
    }
    if (!isThenable(returned)) {
      rec.end();
      return returned;
    }
    // Handlers attached first run first: a streamed result is patched before the caller sees it.
    returned.then(
      (value) => {
        try {
          if (stream && kind.chunk && isAsyncIterable(value)) traceStream(value, rec, kind);
          else {
            kind.result(rec, value);
            rec.end();
          }
        } catch {
          rec.end();
        }
      },
      (error: unknown) => rec.end(error),
    );
    return returned;
  };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof (v as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** Makes the SDK's Stream object iterate through the recorder, in place. */
function traceStream(stream: AsyncIterable<unknown>, rec: LlmRecorder, kind: Kind): void {
  const state: StreamState = { text: '', finishReasons: [] };
  const iterate = stream[Symbol.asyncIterator].bind(stream);
  const hooks: LlmStreamOptions<unknown> = {
    firstChunkIsFirstToken: false,
    onChunk: (chunk) => kind.chunk?.(rec, chunk, state),
    onEnd: () => {
      if (state.finishReasons.length > 0) rec.response({ finishReasons: state.finishReasons });
      if (state.text) rec.output(state.text);
    },
  };
  let used = false;
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    value: () => {
      // a Stream can be iterated once; a second iteration goes to the SDK as is
      if (used) return iterate();
      used = true;
      return tracedChunks({ [Symbol.asyncIterator]: iterate }, rec, hooks);
    },
  });
}

/**
 * Instruments an `openai` client in place and returns it. Safe to call twice. Streamed chat
 * completions report tokens only when the request asks for them
 * (`stream_options: { include_usage: true }`); the wrapper does not change requests.
 */
export function instrumentOpenAI<T extends object>(
  client: T,
  options: InstrumentOpenAIOptions = {},
): T {
  const c = client as T & {
    [INSTRUMENTED]?: boolean;
    chat?: { completions?: Resource };
    responses?: Resource;
    embeddings?: Resource;
  };
  if (!c || typeof c !== 'object' || c[INSTRUMENTED]) return client;
  try {
    wrap(c.chat?.completions, CHAT, options);
    wrap(c.responses, RESPONSES, options);
    wrap(c.embeddings, EMBEDDINGS, options);
    Object.defineProperty(c, INSTRUMENTED, { value: true });
  } catch {
    // an unexpected client shape: leave it untraced rather than broken
  }
  return client;
}
