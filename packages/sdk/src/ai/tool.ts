import { type Attributes, type Span, SpanKind } from '@opentelemetry/api';
import { withSpan } from '../trace/with-span.js';
import { captureEnabled, contentValue } from './content.js';
import { GEN_AI } from './semconv.js';

export interface ToolCallOptions {
  /** `gen_ai.tool.name`; the span is `execute_tool {name}`. */
  name: string;
  /** The model's tool call ID, linking the call to the completion that asked for it. */
  callId?: string;
  /** `function`, `extension`, `datastore`. */
  type?: string;
  description?: string;
  /** Recorded only when content capture is on. */
  arguments?: unknown;
  captureContent?: boolean;
  attributes?: Attributes;
}

/**
 * Runs a tool in an `execute_tool {name}` span. With content capture on, the arguments and the
 * result (redacted, truncated) are recorded too.
 */
export function toolCall<T>(options: ToolCallOptions, fn: (span: Span) => T): T {
  if (typeof options?.name !== 'string' || options.name === '') {
    throw new TypeError(
      `hopscope: toolCall({ name }, fn) needs a non-empty name, got ${JSON.stringify(options?.name)}`,
    );
  }
  const capture = captureEnabled(options.captureContent);
  const attributes: Attributes = {
    ...options.attributes,
    [GEN_AI.operation]: 'execute_tool',
    [GEN_AI.toolName]: options.name,
  };
  if (options.callId !== undefined) attributes[GEN_AI.toolCallId] = options.callId;
  if (options.type !== undefined) attributes[GEN_AI.toolType] = options.type;
  if (options.description !== undefined) attributes[GEN_AI.toolDescription] = options.description;
  if (capture && options.arguments !== undefined)
    attributes[GEN_AI.toolArguments] = contentValue(options.arguments);
  return withSpan(
    `execute_tool ${options.name}`,
    { kind: SpanKind.INTERNAL, attributes },
    (span) => {
      const result = fn(span);
      if (!capture) return result;
      const record = (value: unknown) => {
        if (value !== undefined) span.setAttribute(GEN_AI.toolResult, contentValue(value));
        return value;
      };
      if (result instanceof Promise) return result.then(record) as T;
      record(result);
      return result;
    },
  );
}
