/** Usage, response and content from `openai` results and stream chunks (plain objects). */
import type { LlmRecorder } from '../llm.js';
import type { StreamState } from './index.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null ? (v as Obj) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function chatUsage(rec: LlmRecorder, u: Obj | undefined): void {
  if (!u) return;
  rec.usage({
    inputTokens: u.prompt_tokens as number,
    outputTokens: u.completion_tokens as number,
    cacheReadTokens: obj(u.prompt_tokens_details)?.cached_tokens as number,
    reasoningTokens: obj(u.completion_tokens_details)?.reasoning_tokens as number,
  });
}

export function chatResult(rec: LlmRecorder, value: unknown): void {
  const r = obj(value);
  if (!r) return;
  const choices = Array.isArray(r.choices) ? r.choices.map(obj) : [];
  rec.response({
    model: str(r.model),
    id: str(r.id),
    finishReasons: choices.map((c) => str(c?.finish_reason)).filter((x): x is string => !!x),
  });
  chatUsage(rec, obj(r.usage));
  rec.output(choices.map((c) => obj(c?.message)));
}

export function chatChunk(rec: LlmRecorder, chunk: unknown, state: StreamState): void {
  const c = obj(chunk);
  if (!c) return;
  if (state.text === '' && state.finishReasons.length === 0)
    rec.response({ model: str(c.model), id: str(c.id) });
  for (const choice of Array.isArray(c.choices) ? c.choices : []) {
    const ch = obj(choice);
    const delta = obj(ch?.delta);
    const content = str(delta?.content);
    if ((content && content.length > 0) || Array.isArray(delta?.tool_calls)) rec.firstToken();
    if (content) state.text += content;
    const reason = str(ch?.finish_reason);
    if (reason) state.finishReasons.push(reason);
  }
  chatUsage(rec, obj(c.usage));
}

function responsesUsage(rec: LlmRecorder, u: Obj | undefined): void {
  if (!u) return;
  rec.usage({
    inputTokens: u.input_tokens as number,
    outputTokens: u.output_tokens as number,
    cacheReadTokens: obj(u.input_tokens_details)?.cached_tokens as number,
    reasoningTokens: obj(u.output_tokens_details)?.reasoning_tokens as number,
  });
}

function finishOf(r: Obj): string[] {
  const status = str(r.status);
  if (status === 'completed') return ['stop'];
  if (status === 'incomplete') return [str(obj(r.incomplete_details)?.reason) ?? 'incomplete'];
  return status ? [status] : [];
}

export function responsesResult(rec: LlmRecorder, value: unknown): void {
  const r = obj(value);
  if (!r) return;
  rec.response({ model: str(r.model), id: str(r.id), finishReasons: finishOf(r) });
  responsesUsage(rec, obj(r.usage));
  rec.output(str(r.output_text) ?? r.output);
}

export function responsesEvent(rec: LlmRecorder, event: unknown, state: StreamState): void {
  const e = obj(event);
  switch (str(e?.type)) {
    case 'response.created': {
      const r = obj(e?.response);
      rec.response({ model: str(r?.model), id: str(r?.id) });
      break;
    }
    case 'response.output_text.delta': {
      const delta = str(e?.delta);
      if (delta) {
        rec.firstToken();
        state.text += delta;
      }
      break;
    }
    case 'response.function_call_arguments.delta':
      rec.firstToken();
      break;
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed': {
      const r = obj(e?.response);
      if (!r) break;
      rec.response({ model: str(r.model), id: str(r.id) });
      state.finishReasons.push(...finishOf(r));
      responsesUsage(rec, obj(r.usage));
      break;
    }
  }
}

export function embeddingsResult(rec: LlmRecorder, value: unknown): void {
  const r = obj(value);
  if (!r) return;
  rec.response({ model: str(r.model) });
  const u = obj(r.usage);
  if (u) rec.usage({ inputTokens: u.prompt_tokens as number });
}
