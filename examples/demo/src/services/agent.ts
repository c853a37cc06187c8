/**
 * agent: runs inside a sandbox, reached over NATS request/reply (`agent.run`). It plans, calls
 * tools — `web_search` on the Python worker over HTTP, `run_python` in-process — and asks the
 * LLM (through the llm-gateway, streamed) for the final answer, in the SDK's `invokeAgent` and
 * `toolCall` spans (GenAI semantic conventions).
 */
import type { Msg } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import { logger, TracedError } from 'hopscope';
import { invokeAgent, toolCall } from 'hopscope/ai';
import { tracedFetch } from 'hopscope/fetch';
import { subscribe } from 'hopscope/nats';
import { faultsIn, lastUserText } from '../lib/scenarios.js';
import { serviceReady, setting, sleep, startTelemetry } from '../lib/service.js';
import { readSse } from '../lib/sse.js';

const telemetry = startTelemetry('agent');
const llmGateway = setting('DEMO_LLM_GATEWAY_URL');
const pythonWorker = setting('DEMO_PYTHON_URL');
const nc = await connect({ servers: setting('DEMO_NATS_URL'), name: 'agent' });

function tool<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return toolCall({ name, type: 'function' }, async () => {
    logger.info('tool_called', { tool: name });
    return fn();
  });
}

async function webSearch(query: string): Promise<string> {
  const response = await tracedFetch(`${pythonWorker}/tools/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  if (!response.ok) {
    throw new TracedError(`Tool web_search failed: python-worker answered ${response.status}`);
  }
  const { summary } = (await response.json()) as { summary: string };
  return summary;
}

async function runPython(prompt: string): Promise<string> {
  // a long computation: with [fault:sandbox_timeout] it outlives sandy's deadline
  await sleep(faultsIn(prompt).has('sandbox_timeout') ? 3700 : 40);
  return 'exit 0: 3 rows';
}

async function llm(model: string, content: string): Promise<string> {
  const response = await tracedFetch(`${llmGateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content }] }),
  });
  if (!response.ok || response.body === null) {
    throw new TracedError(`LLM call failed: llm-gateway answered ${response.status}`);
  }
  return (await readSse(response.body)).text;
}

async function runAgent(msg: Msg): Promise<void> {
  const { model = 'gpt-4o-mini', messages } = msg.json<{ model?: string; messages?: unknown }>();
  const prompt = lastUserText(messages);
  const { sandbox_id: sandboxId } = msg.json<{ sandbox_id?: string }>();
  const agent = {
    name: 'research-agent',
    attributes: {
      'gen_ai.request.model': model,
      ...(sandboxId ? { 'sandbox.id': sandboxId } : {}),
    },
  };
  try {
    const answer = await invokeAgent(agent, async () => {
      logger.info('agent_plan_made', { steps: 3 });
      const found = await tool('web_search', () => webSearch(prompt));
      const ran = await tool('run_python', () => runPython(prompt));
      return llm(
        model,
        `Answer using the tool results. Search: ${found} Code: ${ran} Question: ${prompt}`,
      );
    });
    logger.info('agent_run_completed', { answer_chars: answer.length });
    msg.respond(JSON.stringify({ answer }));
  } catch (error) {
    logger.error('agent_run_failed', { error });
    const e = error as Error;
    msg.respond(JSON.stringify({ error: { message: e.message, error_type: e.name } }));
  }
}

const subscription = subscribe(nc, 'agent.run', (msg) => runAgent(msg), { queue: 'agents' });
await nc.flush();
serviceReady(telemetry, async () => {
  subscription.unsubscribe();
  await nc.drain();
});
