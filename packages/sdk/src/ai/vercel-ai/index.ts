/**
 * `hopscope/vercel-ai`: GenAI spans for the Vercel AI SDK (`ai`). A language-model middleware
 * records each model call (`doGenerate`/`doStream`: one span per step of a tool loop, with that
 * step's exact usage, time to first token and finish reason); `wrapAiSdk` applies it to
 * `generateText`/`streamText` and runs each tool's `execute` in an `execute_tool` span.
 */
import { type LanguageModel, type LanguageModelMiddleware, wrapLanguageModel } from 'ai';
import { LlmRecorder } from '../llm.js';
import { toolCall } from '../tool.js';
import { finishReasonOf, providerOf, usageOf } from './usage.js';

export interface HopscopeAiOptions {
  /** Prompt and completion capture (default: the process-wide setting). */
  captureContent?: boolean;
}

type Obj = Record<string, unknown>;

function recorderFor(
  model: { provider?: unknown; modelId?: unknown },
  params: Obj,
  streaming: boolean,
  options: HopscopeAiOptions,
) {
  return new LlmRecorder(
    {
      provider: providerOf(model),
      model: typeof model.modelId === 'string' ? model.modelId : 'unknown',
      operation: 'chat',
      temperature: typeof params.temperature === 'number' ? params.temperature : undefined,
      maxTokens: typeof params.maxOutputTokens === 'number' ? params.maxOutputTokens : undefined,
      topP: typeof params.topP === 'number' ? params.topP : undefined,
      input: params.prompt,
      captureContent: options.captureContent,
    },
    streaming,
  );
}

function textOf(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const parts = content
    .filter((c: Obj) => c?.type === 'text')
    .map((c: Obj) => String(c.text ?? ''));
  return parts.length ? parts.join('') : undefined;
}

/** A middleware for `wrapLanguageModel` recording every call of the model. */
export function hopscopeMiddleware(options: HopscopeAiOptions = {}): LanguageModelMiddleware {
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params, model }) {
      const rec = recorderFor(model, params as unknown as Obj, false, options);
      try {
        const result = await rec.run(doGenerate);
        try {
          const r = result as unknown as Obj;
          const response = (r.response ?? {}) as Obj;
          rec.response({
            model: typeof response.modelId === 'string' ? response.modelId : undefined,
            id: typeof response.id === 'string' ? response.id : undefined,
            finishReasons: finishReasonOf(r.finishReason),
          });
          rec.usage(usageOf(r.usage));
          rec.output(textOf(r.content));
        } catch {
          // recording never changes the result
        }
        rec.end();
        return result;
      } catch (error) {
        rec.end(error);
        throw error;
      }
    },
    async wrapStream({ doStream, params, model }) {
      const rec = recorderFor(model, params as unknown as Obj, true, options);
      let result: Awaited<ReturnType<typeof doStream>>;
      try {
        result = await rec.run(doStream);
      } catch (error) {
        rec.end(error);
        throw error;
      }
      let text = '';
      let failed: unknown;
      const observe = (part: Obj) => {
        switch (part.type) {
          case 'text-delta':
          case 'tool-input-start':
          case 'tool-call':
            rec.firstToken();
            if (part.type === 'text-delta' && typeof part.delta === 'string') text += part.delta;
            break;
          case 'response-metadata':
            rec.response({
              model: typeof part.modelId === 'string' ? part.modelId : undefined,
              id: typeof part.id === 'string' ? part.id : undefined,
            });
            break;
          case 'finish':
            rec.response({ finishReasons: finishReasonOf(part.finishReason) });
            rec.usage(usageOf(part.usage));
            break;
          case 'error':
            failed = part.error;
            break;
        }
      };
      const stream = result.stream.pipeThrough(
        new TransformStream({
          transform(part, controller) {
            try {
              observe(part as unknown as Obj);
            } catch {
              // as above
            }
            controller.enqueue(part);
          },
          flush() {
            if (text) rec.output(text);
            rec.end(failed);
          },
        }),
      );
      return { ...result, stream };
    },
  };
}

/** The model with Hopscope's middleware; string model IDs (AI Gateway) are returned as they are. */
export function tracedModel<M extends LanguageModel>(model: M, options: HopscopeAiOptions = {}): M {
  if (typeof model !== 'object' || model === null) return model;
  return wrapLanguageModel({
    model: model as never,
    middleware: hopscopeMiddleware(options),
  }) as unknown as M;
}

/** Tools whose `execute` runs in an `execute_tool {name}` span. */
export function tracedTools<T extends Record<string, unknown> | undefined>(
  tools: T,
  options: HopscopeAiOptions = {},
): T {
  if (!tools || typeof tools !== 'object') return tools;
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const t = tool as Obj;
    if (typeof t?.execute !== 'function') {
      out[name] = tool;
      continue;
    }
    const execute = t.execute as (input: unknown, opts: Obj | undefined) => unknown;
    out[name] = {
      ...t,
      execute: (input: unknown, opts: Obj | undefined) =>
        toolCall(
          {
            name,
            callId: typeof opts?.toolCallId === 'string' ? opts.toolCallId : undefined,
            type: 'function',
            description: typeof t.description === 'string' ? t.description : undefined,
            arguments: input,
            captureContent: options.captureContent,
          },
          () => execute(input, opts),
        ),
    };
  }
  return out as T;
}

type AiFn = (args: never) => unknown;

/**
 * `generateText`/`streamText`/`generateObject`/`streamObject` with traced model calls and tools:
 * `const { generateText, streamText } = wrapAiSdk(ai)`.
 */
type Wrapped = 'generateText' | 'streamText' | 'generateObject' | 'streamObject';

export function wrapAiSdk<T extends Partial<Record<Wrapped, AiFn>>>(
  ai: T,
  options: HopscopeAiOptions = {},
): Pick<T, Wrapped> {
  const wrapFn = <F extends AiFn | undefined>(fn: F): F => {
    if (typeof fn !== 'function') return fn;
    return ((args: Obj) =>
      fn({
        ...args,
        model: tracedModel(args.model as LanguageModel, options),
        ...(args.tools
          ? { tools: tracedTools(args.tools as Record<string, unknown>, options) }
          : {}),
      } as never)) as unknown as F;
  };
  return {
    generateText: wrapFn(ai.generateText),
    streamText: wrapFn(ai.streamText),
    generateObject: wrapFn(ai.generateObject),
    streamObject: wrapFn(ai.streamObject),
  } as Pick<T, Wrapped>;
}
