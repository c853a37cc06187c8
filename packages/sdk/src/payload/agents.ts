import { randomUUID } from 'node:crypto';
import { type Context, context, type Span, trace } from '@opentelemetry/api';
import { acceptRequestId, getRequestId, isValidRequestId, setRequestId } from '../context/index.js';
import { logger } from '../log/index.js';
import { activeContext, type HopOptions } from '../propagation/hop.js';
import { isValidServiceName } from '../propagation/services.js';
import { recordError } from '../trace/with-span.js';
import { traceMetadataFrom, withTraceMetadata } from './metadata.js';

/** Seed 004's AgentMessage shape: an ID, a correlation ID shared by related messages, fields. */
export interface AgentMessage {
  id?: string;
  correlation_id?: string | null;
  [field: string]: unknown;
}

function checkMessage(msg: unknown, fn: string): asserts msg is Record<string, unknown> {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new TypeError(
      `hopscope: ${fn} expects a message object, got ${Array.isArray(msg) ? 'array' : typeof msg}`,
    );
  }
}

/**
 * A copy of `msg` with `correlation_id` set: to `id` (1–128 of `[A-Za-z0-9._:-]`, else a
 * TypeError), or by default to the current request ID, or a fresh `req_` ID.
 */
export function withCorrelation<M extends object>(
  msg: M,
  id?: string,
): M & { correlation_id: string } {
  checkMessage(msg, 'withCorrelation(msg, id)');
  if (id !== undefined && !isValidRequestId(id)) {
    throw new TypeError(
      'hopscope: withCorrelation(msg, id) needs an ID of 1-128 characters from [A-Za-z0-9._:-]',
    );
  }
  return { ...msg, correlation_id: id ?? getRequestId() ?? acceptRequestId(undefined).id };
}

/**
 * Seed 004's `child_of`: a new message (fresh `id`) keeping the parent's `correlation_id`, with
 * `parent_id` and trace metadata for the current span, so the receiving agent's work is a child
 * of this one in the trace. `fields` must not set `correlation_id` (that would break the chain).
 */
export function childOf<F extends object>(
  parent: AgentMessage,
  fields: F,
  options: HopOptions = {},
): F & {
  id: string;
  correlation_id: string | null;
  parent_id: string | null;
  metadata: Record<string, unknown>;
} {
  checkMessage(parent, 'childOf(parent, fields)');
  checkMessage(fields, 'childOf(parent, fields)');
  if (Object.hasOwn(fields, 'correlation_id')) {
    throw new TypeError(
      'hopscope: childOf(parent, fields): the child keeps the parent correlation_id; do not pass one',
    );
  }
  const correlation = isValidRequestId(parent.correlation_id) ? parent.correlation_id : null;
  const ctx = correlation === null ? activeContext() : setRequestId(activeContext(), correlation);
  const child = {
    ...fields,
    id: randomUUID(),
    correlation_id: correlation,
    parent_id: typeof parent.id === 'string' ? parent.id : null,
  };
  return withTraceMetadata(child, { ...options, context: ctx });
}

/**
 * The context an agent handles `msg` in: its trace metadata continued when present, the request
 * ID from `correlation_id` (else the metadata's, else a fresh one), the chain with this agent.
 */
export function agentMessageContext(msg: AgentMessage, options: HopOptions = {}): Context {
  checkMessage(msg, 'agentMessageContext(msg)');
  const ctx = traceMetadataFrom(msg).toContext(options);
  return isValidRequestId(msg.correlation_id) ? setRequestId(ctx, msg.correlation_id) : ctx;
}

export const ATTR_AGENT_PATH = 'agent.path';
export const ATTR_AGENT_HOP_COUNT = 'agent.hop_count';
/** Bounded like the services chain: a looping orchestrator must not grow a span forever. */
const MAX_HOPS = 64;

/**
 * Seed 004's RequestTrace: the path of agents one correlation ID visited, recorded on a span
 * (`agent.path`, `agent.hop_count`, an `agent.hop` event per hop) instead of an in-memory dict, so
 * it is queryable with the rest of the trace and bounded in memory.
 */
export class RequestTrace {
  readonly correlationId: string;
  readonly startedAt = new Date();
  completedAt: Date | undefined;
  status: 'in_progress' | 'success' | 'error' = 'in_progress';
  error: string | undefined;
  private readonly hops: string[] = [];
  private readonly span: Span | undefined;

  constructor(correlationId?: string, span: Span | undefined = trace.getActiveSpan()) {
    this.correlationId = acceptRequestId(correlationId ?? getRequestId()).id;
    this.span = span;
  }

  get path(): readonly string[] {
    return this.hops;
  }

  /** Adds an agent to the path; invalid names are ignored rather than recorded raw. */
  addHop(agent: string): void {
    if (!isValidServiceName(agent) || this.hops.length >= MAX_HOPS) return;
    this.hops.push(agent);
    try {
      const attrs = { 'agent.name': agent, 'agent.hop_index': this.hops.length - 1 };
      this.span?.addEvent('agent.hop', attrs);
      this.span?.setAttribute(ATTR_AGENT_PATH, [...this.hops]);
      this.span?.setAttribute(ATTR_AGENT_HOP_COUNT, this.hops.length);
    } catch {
      // the path is kept even if the span is gone
    }
  }

  get durationMs(): number | undefined {
    return this.completedAt === undefined
      ? undefined
      : this.completedAt.getTime() - this.startedAt.getTime();
  }

  /** Marks the trace finished; records the outcome on the span and logs `request_trace_completed`. */
  complete(success: boolean, error?: string | Error): void {
    if (this.status !== 'in_progress') return;
    this.completedAt = new Date();
    this.status = success ? 'success' : 'error';
    this.error = error instanceof Error ? error.message : error;
    try {
      this.span?.setAttribute('request_trace.status', this.status);
      if (!success && this.span !== undefined) recordError(this.span, error ?? 'request failed');
      const fields = {
        correlation_id: this.correlationId,
        agent_path: [...this.hops],
        status: this.status,
        duration_ms: this.durationMs,
        ...(this.error === undefined ? {} : { error: this.error }),
      };
      const ctx =
        this.span === undefined ? context.active() : trace.setSpan(context.active(), this.span);
      context.with(ctx, () =>
        success
          ? logger.info('request_trace_completed', fields)
          : logger.warn('request_trace_completed', fields),
      );
    } catch {
      // never fail the orchestrator over its own bookkeeping
    }
  }
}

/** Seed 004's `start_trace`: a RequestTrace on the active span. */
export function startRequestTrace(correlationId?: string): RequestTrace {
  return new RequestTrace(correlationId);
}
