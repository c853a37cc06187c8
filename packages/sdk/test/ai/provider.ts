/**
 * A local OpenAI-compatible provider for the AI wrapper tests: real HTTP on 127.0.0.1, real SSE
 * streaming, the response shapes of the chat completions and responses APIs. Fixed usage numbers
 * so tests can check what the wrappers record. Model `rate-limited` answers 429 as OpenAI does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CHAT_USAGE = {
  prompt_tokens: 12,
  completion_tokens: 5,
  total_tokens: 17,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 2 },
};
export const RESPONSES_USAGE = {
  input_tokens: 20,
  input_tokens_details: { cached_tokens: 8 },
  output_tokens: 6,
  output_tokens_details: { reasoning_tokens: 3 },
  total_tokens: 26,
};
export const WORDS = ['Hello', ' from', ' the', ' test', ' provider'];

export interface TestProvider {
  url: string;
  requests: { path: string; body: Record<string, unknown>; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function sse(
  res: ServerResponse,
  events: { event?: string; data: unknown }[],
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) {
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`);
    await pause(5); // separate network writes: chunks arrive over time as from a real provider
  }
}

function servedModel(model: string): string {
  return `${model}-2024-08-06`;
}

function hasToolResult(messages: unknown): boolean {
  return Array.isArray(messages) && messages.some((m) => (m as { role?: string }).role === 'tool');
}

async function chat(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const model = servedModel(String(body.model));
  const created = Math.floor(Date.now() / 1000);
  const base = {
    id: 'chatcmpl-test1',
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_test',
  };
  if (Array.isArray(body.tools) && !hasToolResult(body.messages)) {
    json(res, 200, {
      id: 'chatcmpl-tool1',
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              {
                id: 'call_weather_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: CHAT_USAGE,
    });
    return;
  }
  // structured output (response_format json_schema): a JSON answer
  const content = body.response_format ? JSON.stringify({ verdict: 'ok' }) : WORDS.join('');
  if (body.stream !== true) {
    json(res, 200, {
      id: 'chatcmpl-test1',
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_test',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: CHAT_USAGE,
    });
    return;
  }
  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const events = [
    {
      data: {
        ...base,
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: '' },
            finish_reason: null,
            logprobs: null,
          },
        ],
      },
    },
    ...WORDS.map((w) => ({
      data: {
        ...base,
        choices: [{ index: 0, delta: { content: w }, finish_reason: null, logprobs: null }],
      },
    })),
    {
      data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }] },
    },
    ...(includeUsage ? [{ data: { ...base, choices: [], usage: CHAT_USAGE } }] : []),
  ];
  await sse(res, events);
  res.end('data: [DONE]\n\n');
}

function responseObject(model: string, status: 'in_progress' | 'completed') {
  const done = status === 'completed';
  return {
    id: 'resp_test1',
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output: done
      ? [
          {
            type: 'message',
            id: 'msg_test1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: WORDS.join(''), annotations: [] }],
          },
        ]
      : [],
    usage: done ? RESPONSES_USAGE : null,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
  };
}

async function responses(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const model = servedModel(String(body.model));
  if (body.stream !== true) {
    json(res, 200, responseObject(model, 'completed'));
    return;
  }
  let seq = 0;
  const ev = (type: string, rest: Record<string, unknown>) => ({
    event: type,
    data: { type, sequence_number: seq++, ...rest },
  });
  await sse(res, [
    ev('response.created', { response: responseObject(model, 'in_progress') }),
    ...WORDS.map((w) =>
      ev('response.output_text.delta', {
        item_id: 'msg_test1',
        output_index: 0,
        content_index: 0,
        delta: w,
        logprobs: [],
      }),
    ),
    ev('response.completed', { response: responseObject(model, 'completed') }),
  ]);
  res.end();
}

function embeddings(body: Record<string, unknown>, res: ServerResponse): void {
  const vector = [0.25, -0.5, 0.75];
  // the openai SDK asks for base64 unless told otherwise, and decodes it
  const embedding =
    body.encoding_format === 'base64'
      ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
      : vector;
  json(res, 200, {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding }],
    model: String(body.model),
    usage: { prompt_tokens: 8, total_tokens: 8 },
  });
}

export async function startProvider(): Promise<TestProvider> {
  const requests: TestProvider['requests'] = [];
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        requests.push({ path: req.url ?? '', body, headers: req.headers });
        if (body.model === 'rate-limited') {
          json(res, 429, {
            error: {
              message: 'Rate limit reached for requests',
              type: 'requests',
              param: null,
              code: 'rate_limit_exceeded',
            },
          });
        } else if (req.url === '/v1/chat/completions') await chat(body, res);
        else if (req.url === '/v1/responses') await responses(body, res);
        else if (req.url === '/v1/embeddings') embeddings(body, res);
        else
          json(res, 404, {
            error: { message: `no route ${req.url}`, type: 'invalid_request_error' },
          });
      })
      .catch((err: unknown) => {
        if (!res.headersSent)
          json(res, 500, { error: { message: String(err), type: 'server_error' } });
        else res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
