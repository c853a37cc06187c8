/** Turns a finished answer into an OpenAI-style SSE stream, so every path streams the same way. */
export function answerAsSse(text: string, model: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const words = text.split(' ');
  return new ReadableStream({
    start(controller) {
      for (const [i, word] of words.entries()) {
        const delta = { content: i === 0 ? word : ` ${word}` };
        controller.enqueue(
          encoder.encode(
            `data: ${JSON.stringify({ object: 'chat.completion.chunk', model, choices: [{ index: 0, delta }] })}\n\n`,
          ),
        );
      }
      controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      controller.close();
    },
  });
}
