import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex, otlpJson, postJson, protoBody, testServer } from './helpers.js';

type Server = Awaited<ReturnType<typeof testServer>>;

/** Deterministic PRNG (mulberry32) so a failing payload can be reproduced from its index. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(base: Uint8Array, rand: () => number): Uint8Array {
  const out = Buffer.from(base);
  const kind = Math.floor(rand() * 5);
  if (kind === 0) return out.subarray(0, Math.floor(rand() * out.length)); // truncate
  if (kind === 1) {
    // flip bytes
    for (let i = 0; i < 1 + rand() * 8; i++) out[Math.floor(rand() * out.length)] = rand() * 256;
    return out;
  }
  if (kind === 2) {
    // splice random bytes in
    const at = Math.floor(rand() * out.length);
    const junk = Buffer.from(Array.from({ length: 1 + rand() * 16 }, () => rand() * 256));
    return Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
  }
  if (kind === 3) return Buffer.from(Array.from({ length: rand() * 512 }, () => rand() * 256)); // noise
  // varint lengths that claim huge sizes
  const at = Math.floor(rand() * out.length);
  out[at] = 0xff;
  if (at + 1 < out.length) out[at + 1] = 0xff;
  return out;
}

describe('fuzz: 10k random and mutated payloads', () => {
  let server: Server;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers every payload with 200/400/413/415 and keeps serving', {
    timeout: 180_000,
  }, async () => {
    const rand = rng(20261123);
    const protoBase = protoBody(5);
    const jsonBase = Buffer.from(
      otlpJson('fuzz-json', [
        { traceId: hex(16), spanId: hex(8), requestId: 'req_aaaaaaaaaaaa', attributes: { a: 1 } },
      ]),
    );
    const statuses = new Map<number, number>();
    const total = 10_000;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const proto = i % 2 === 0;
        const body = mutate(proto ? protoBase : jsonBase, rand);
        const res = await fetch(`${server.url}/v1/${i % 7 === 0 ? 'logs' : 'traces'}`, {
          method: 'POST',
          headers: { 'content-type': proto ? 'application/x-protobuf' : 'application/json' },
          body,
        });
        const answer = Buffer.from(await res.arrayBuffer()).toString('latin1');
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (![200, 400, 413, 415].includes(res.status)) {
          throw new Error(
            `payload ${i} (${proto ? 'proto' : 'json'}) got HTTP ${res.status}: ${answer.slice(0, 300)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(statuses.get(400)).toBeGreaterThan(1000);

    // Still alive and still correct.
    const span = { traceId: hex(16), spanId: hex(8) };
    const res = await postJson(`${server.url}/v1/traces`, otlpJson('after-fuzz', [span]));
    expect(res.status).toBe(200);
    const found = await server.store.reader.lookup({ traceIds: [span.traceId], requestIds: [] });
    expect(found.spans).toHaveLength(1);
  });

  it('gRPC: random bytes → INVALID_ARGUMENT, and the service keeps answering', async () => {
    const client = new grpc.Client(
      `127.0.0.1:${server.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    const call = (body: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b: Buffer) => b,
          (b: Buffer) => b,
          body,
          (err) => resolve(err),
        );
      });
    const rand = rng(7);
    const base = protoBody(3);
    let invalid = 0;
    for (let i = 0; i < 300; i++) {
      const err = await call(Buffer.from(mutate(base, rand)));
      if (err) {
        expect([grpc.status.INVALID_ARGUMENT]).toContain(err.code);
        invalid++;
      }
    }
    expect(invalid).toBeGreaterThan(30);
    expect(await call(Buffer.from(protoBody(2)))).toBeNull();
    client.close();
  });
});
