import type { Span } from '@opentelemetry/api';
import { type Attributes, SpanKind } from '@opentelemetry/api';
import { withSpan } from '../trace/with-span.js';
import { GEN_AI } from './semconv.js';

export interface AgentOptions {
  /** `gen_ai.agent.name`; the span is `invoke_agent {name}`. */
  name: string;
  id?: string;
  description?: string;
  /** `gen_ai.conversation.id`: the session this run belongs to. */
  conversationId?: string;
  /** Set when the agent runs elsewhere (a remote agent service): CLIENT span, else INTERNAL. */
  remote?: boolean;
  attributes?: Attributes;
}

/**
 * Runs `fn` as one agent invocation: an `invoke_agent {name}` span (GenAI conventions) around
 * the model calls, tools and decisions it makes. Sync, async and streamed results as `withSpan`.
 */
export function invokeAgent<T>(options: AgentOptions, fn: (span: Span) => T): T {
  if (typeof options?.name !== 'string' || options.name === '') {
    throw new TypeError(
      `hopscope: invokeAgent({ name }, fn) needs a non-empty name, got ${JSON.stringify(options?.name)}`,
    );
  }
  const attributes: Attributes = {
    ...options.attributes,
    [GEN_AI.operation]: 'invoke_agent',
    [GEN_AI.agentName]: options.name,
  };
  if (options.id !== undefined) attributes[GEN_AI.agentId] = options.id;
  if (options.description !== undefined) attributes[GEN_AI.agentDescription] = options.description;
  if (options.conversationId !== undefined)
    attributes[GEN_AI.conversationId] = options.conversationId;
  return withSpan(
    `invoke_agent ${options.name}`,
    { kind: options.remote ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes },
    fn,
  );
}

/** One step of an agent loop, recorded like an invocation (`invoke_agent {name}`). */
export function agentStep<T>(name: string | AgentOptions, fn: (span: Span) => T): T {
  return invokeAgent(typeof name === 'string' ? { name } : name, fn);
}
