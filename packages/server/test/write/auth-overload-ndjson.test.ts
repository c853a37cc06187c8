import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { WriteBatch } from '../../src/store/records.js';
import { hex, otlpJson, postJson, protoBody, tempDir, testServer } from './helpers.js';

type Server = Awaited<ReturnType<typeof testServer>>;

function grpcExport(port: number, body: Uint8Array, metadata = new grpc.Metadata()) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<grpc.ServiceError | null>((resolve) => {
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      metadata,
      (err) => {
        client.close();
        resolve(err);
      },
    );
  });
}

/** The real DuckDB store with a gate in front of write(), so a test decides when commits happen. */
class GatedStore extends DuckDbStore {
  private release!: () => void;
  private gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  override async write(batch: WriteBatch): Promise<void> {
    await this.gate;
    return super.write(batch);
  }
  openGate(): void {
    this.release();
  }
}

describe('ingest tokens, overload and NDJSON log lines', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('with an ingest token, HTTP without or with a wrong one gets 401 and a clear body', async () => {
    server = await testServer({ ingestToken: 's3cret-ingest' });
    const body = otlpJson('auth', [{ traceId: hex(16), spanId: hex(8) }]);
    const none = await postJson(`${server.url}/v1/traces`, body);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { message: string }).message).toMatch(
      /missing or wrong ingest token: send Authorization: Bearer <ingest-token>/,
    );
    const wrong = await postJson(`${server.url}/v1/traces`, body, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const ndjson = await fetch(`${server.url}/api/ingest/logs`, { method: 'POST', body: '{}' });
    expect(ndjson.status).toBe(401);
    expect(((await ndjson.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const right = await postJson(`${server.url}/v1/traces`, body, {
      authorization: 'Bearer s3cret-ingest',
    });
    expect(right.status).toBe(200);
  });

  it('with an ingest token, gRPC needs it in the authorization metadata', async () => {
    server = await testServer({ ingestToken: 's3cret-ingest' });
    const denied = await grpcExport(server.grpcPort!, protoBody(1));
    expect(denied?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(denied?.details).toMatch(/ingest token/);
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer s3cret-ingest');
    expect(await grpcExport(server.grpcPort!, protoBody(1), md)).toBeNull();
  });

  it('a full queue answers 429 with Retry-After (HTTP) and RESOURCE_EXHAUSTED (gRPC), then recovers', async () => {
    const { dir, cleanup } = tempDir();
    const store = new GatedStore({ dataDir: dir });
    const s = await testServer({ store, queue: { maxPendingRecords: 10, retryAfterSeconds: 3 } });
    server = {
      ...s,
      stop: async () => {
        await s.stop();
        cleanup();
      },
    };
    const first = { traceId: hex(16), spanId: hex(8) };
    const pending = postJson(
      `${s.url}/v1/traces`,
      otlpJson(
        'q',
        Array(8)
          .fill(0)
          .map(() => ({ traceId: first.traceId, spanId: hex(8) })),
      ),
    );
    // Wait until the first batch is admitted and held at the gate.
    while (s.queue.depth === 0) await new Promise((r) => setTimeout(r, 2));
    const full = await postJson(
      `${s.url}/v1/traces`,
      otlpJson('q', [
        { traceId: hex(16), spanId: hex(8) },
        { traceId: hex(16), spanId: hex(8) },
        { traceId: hex(16), spanId: hex(8) },
      ]),
    );
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toBe('3');
    expect(((await full.json()) as { code: number; message: string }).code).toBe(8);
    const grpcFull = await grpcExport(s.grpcPort!, protoBody(5));
    expect(grpcFull?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(grpcFull?.metadata.get('retry-after')).toEqual(['3']);

    store.openGate();
    expect((await pending).status).toBe(200);
    const after = await postJson(
      `${s.url}/v1/traces`,
      otlpJson('q', [{ traceId: hex(16), spanId: hex(8) }]),
    );
    expect(after.status).toBe(200);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(
      /hopscope_ingest_rejected_total\{signal="traces",reason="queue_full"\} 2/,
    );
  });

  it('bodies held in memory across requests are bounded: past the budget new requests get 429', async () => {
    const { dir, cleanup } = tempDir();
    const store = new GatedStore({ dataDir: dir });
    const s = await testServer({ store, limits: { maxInflightBodyBytes: 3000 } });
    server = {
      ...s,
      stop: async () => {
        await s.stop();
        cleanup();
      },
    };
    const body = () =>
      otlpJson(
        'mem',
        Array.from({ length: 10 }, () => ({ traceId: hex(16), spanId: hex(8) })),
      );
    expect(body().length).toBeGreaterThan(1500);
    const held = postJson(`${s.url}/v1/traces`, body());
    while (s.queue.depth === 0) await new Promise((r) => setTimeout(r, 2));
    const refused = await postJson(`${s.url}/v1/traces`, body());
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    store.openGate();
    expect((await held).status).toBe(200);
    expect((await postJson(`${s.url}/v1/traces`, body())).status).toBe(200);
  });

  it('NDJSON log lines of different shapes land as logs, with ?service= and redaction', async () => {
    server = await testServer();
    const lines = [
      JSON.stringify({
        timestamp: '2026-11-23T07:00:00.000Z',
        level: 'error',
        service: 'gateway',
        request_id: 'req_abcdefabcdef',
        event: 'upstream_failed',
        message: 'upstream said no',
        authorization: 'Bearer abc.def.ghi',
      }),
      JSON.stringify({
        time: 1_795_000_000_000,
        level: 30,
        msg: 'pino line',
        reqId: 'req_abcdefabcdef',
      }),
      'plain text line with Bearer sk-live-123456 in it',
      '',
    ].join('\n');
    const res = await fetch(`${server.url}/api/ingest/logs?service=worker`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, plain: 1, truncated: 0 });

    const found = await server.store.reader.lookup({
      traceIds: [],
      requestIds: ['req_abcdefabcdef'],
    });
    expect(found.logs).toHaveLength(2);
    const gateway = found.logs.find((l) => l.service === 'gateway')!;
    expect(gateway.level).toBe('error');
    expect(gateway.event).toBe('upstream_failed');
    expect(gateway.source).toBe('ndjson');
    expect(gateway.attributes.authorization).toBe('[REDACTED]');
    const pino = found.logs.find((l) => l.body === 'pino line')!;
    expect(pino.service).toBe('worker');
    expect(pino.level).toBe('info');

    const conn = await (server.store as DuckDbStore).connect();
    const rows = (
      await conn.runAndReadAll(`SELECT body FROM logs WHERE body LIKE 'plain text%'`)
    ).getRows();
    conn.closeSync();
    expect(rows[0]?.[0]).toBe('plain text line with Bearer [REDACTED] in it');

    const bad = await fetch(
      `${server.url}/api/ingest/logs?service=${encodeURIComponent('bad service!')}`,
      {
        method: 'POST',
        body: '{}',
      },
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /^service:/,
    );
  });
});
