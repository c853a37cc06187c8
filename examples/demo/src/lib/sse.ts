/**
 * Reads OpenAI-style SSE chunks as they pass through, without holding the stream: text, model,
 * finish reason and the usage chunk, so spans get token counts of streamed calls.
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

/** Feeds raw bytes in; `summary` holds what the `data:` lines said so far. */
export class SseSummary {
  readonly summary: StreamSummary = { text: '' };
  private readonly decoder = new TextDecoder();
  private pending = '';

  push(bytes: Uint8Array): void {
    this.pending += this.decoder.decode(bytes, { stream: true });
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.take(line.trim());
  }

  end(): StreamSummary {
    this.take(this.pending.trim());
    this.pending = '';
    return this.summary;
  }

  private take(line: string): void {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') return;
    try {
      const chunk = JSON.parse(line.slice(6)) as Chunk;
      if (chunk.model) this.summary.model = chunk.model;
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) this.summary.text += choice.delta.content;
      if (choice?.finish_reason) this.summary.finishReason = choice.finish_reason;
      if (chunk.usage) {
        this.summary.inputTokens = chunk.usage.prompt_tokens;
        this.summary.outputTokens = chunk.usage.completion_tokens;
      }
    } catch {
      // a chunk that is not JSON is relayed untouched and not counted
    }
  }
}

/** Collects a whole SSE stream into its summary (for callers that need the full answer). */
export async function readSse(source: ReadableStream<Uint8Array>): Promise<StreamSummary> {
  const reader = new SseSummary();
  for await (const bytes of source as unknown as AsyncIterable<Uint8Array>) reader.push(bytes);
  return reader.end();
}

/** An async iterator of byte chunks as a web stream (a Response body). */
export function toWebStream(source: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await source.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await source.return?.();
    },
  });
}

/** Relays `source` unchanged and calls `onEnd` with its summary once it has been read through. */
export function observeSse(
  source: ReadableStream<Uint8Array>,
  onEnd: (summary: StreamSummary) => void,
): ReadableStream<Uint8Array> {
  const reader = new SseSummary();
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        reader.push(bytes);
        controller.enqueue(bytes);
      },
      flush() {
        onEnd(reader.end());
      },
    }),
  );
}
