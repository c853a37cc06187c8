/**
 * sandy, the sandbox service. Its callers send no trace headers: the request ID and traceparent
 * arrive only in the JSON body's `metadata` (seed 000 FR-4), so the hop is continued from the
 * payload with `traceMetadataFrom(body).toContext()` — no HTTP middleware here, which would
 * otherwise start a fresh request. It creates a sandbox (`sandbox_created`) and runs the agent
 * in it over NATS request/reply, with a deadline: past it the request fails here with a timeout.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { context, SpanKind } from '@opentelemetry/api';
import { logger, TracedError, withSpan } from 'hopscope';
import { request as natsRequest } from 'hopscope/nats';
import { traceMetadataFrom } from 'hopscope/payload';
import { closeServer, HttpError, listen, readJson, sendJson } from '../lib/http.js';
import { portSetting, serviceReady, setting, startTelemetry } from '../lib/service.js';

const telemetry = startTelemetry('sandy');
const nc = await connect({ servers: setting('DEMO_NATS_URL'), name: 'sandy' });
const SANDBOX_TIMEOUT_MS = 3000;

interface AgentReply {
  answer?: string;
  error?: { message: string; error_type: string };
}

async function runInSandbox(
  body: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const sandboxId = `sbx_${randomBytes(4).toString('hex')}`;
  logger.info('sandbox_created', { sandbox_id: sandboxId, timeout_ms: SANDBOX_TIMEOUT_MS });
  let reply: AgentReply;
  try {
    const msg = await natsRequest(
      nc,
      'agent.run',
      { sandbox_id: sandboxId, model: body.model, messages: body.messages },
      { timeout: SANDBOX_TIMEOUT_MS },
    );
    reply = msg.json<AgentReply>();
  } catch (cause) {
    const error = new TracedError(`Sandbox execution timed out after ${SANDBOX_TIMEOUT_MS} ms`, {
      cause,
    });
    error.name = 'SandboxTimeoutError';
    logger.error('sandbox_execution_failed', { sandbox_id: sandboxId, error });
    throw error;
  } finally {
    logger.info('sandbox_destroyed', { sandbox_id: sandboxId });
  }
  if (reply.error !== undefined) {
    logger.error('agent_run_failed', {
      sandbox_id: sandboxId,
      error: reply.error.message,
      error_type: reply.error.error_type,
    });
    return { status: 502, body: { error: reply.error } };
  }
  return { status: 200, body: { sandbox_id: sandboxId, answer: reply.answer } };
}

const server = createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/healthz') return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST' || req.url !== '/v1/sandboxes/run')
      throw new HttpError(404, 'POST /v1/sandboxes/run only');
    const body = await readJson(req);
    const received = traceMetadataFrom(body);
    const hop = received.toContext({ service: 'sandy' });
    const attributes = {
      'http.request.method': 'POST',
      'http.route': '/v1/sandboxes/run',
      'trace.context.source': 'payload_metadata',
      ...(received.sourceService ? { 'upstream.service': received.sourceService } : {}),
    };
    await context
      .with(hop, () =>
        withSpan('POST /v1/sandboxes/run', { kind: SpanKind.SERVER, attributes }, async (span) => {
          try {
            const result = await runInSandbox(body);
            span.setAttribute('http.response.status_code', result.status);
            sendJson(res, result.status, result.body);
          } catch (error) {
            span.setAttribute('http.response.status_code', 504);
            sendJson(res, 504, {
              error: { message: (error as Error).message, error_type: (error as Error).name },
            });
            throw error; // recorded on the span by withSpan
          }
        }),
      )
      .catch(() => undefined);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    sendJson(res, error.status, { error: { message: error.message } });
  }
});
await listen(server, portSetting('DEMO_PORT'));
serviceReady(telemetry, async () => {
  await closeServer(server);
  await nc.drain();
});
