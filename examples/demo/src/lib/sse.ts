/**
 * Reads an OpenAI-style SSE stream as it passes through, without holding it: the usage chunk
 * and the text are reported when the stream ends, so spans get token counts of streamed calls.
 */
export interface StreamSummary {
  text: string;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  finishReason?: string;
}

interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

export function observeSse(
  source: ReadableStream<Uint8Array>,
  onEnd: (summary: StreamSummary) => void,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const summary: StreamSummary = { text: '' };
  let pending = '';
  const take = (line: string) => {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') return;
    try {
      const chunk = JSON.parse(line.slice(6)) as Chunk;
      if (chunk.model) summary.model = chunk.model;
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) summary.text += choice.delta.content;
      if (choice?.finish_reason) summary.finishReason = choice.finish_reason;
      if (chunk.usage) {
        summary.inputTokens = chunk.usage.prompt_tokens;
        summary.outputTokens = chunk.usage.completion_tokens;
      }
    } catch {
      // a chunk that is not JSON is relayed untouched and not counted
    }
  };
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        pending += decoder.decode(bytes, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) take(line.trim());
        controller.enqueue(bytes);
      },
      flush() {
        take(pending.trim());
        onEnd(summary);
      },
    }),
  );
}

/** Collects a whole SSE stream into its summary (for callers that need the full answer). */
export async function readSse(source: ReadableStream<Uint8Array>): Promise<StreamSummary> {
  let result: StreamSummary = { text: '' };
  const reader = observeSse(source, (s) => {
    result = s;
  }).getReader();
  while (!(await reader.read()).done) {
    // drain
  }
  return result;
}
