import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex, otlpJson, postJson, protoBody, testServer } from './helpers.js';

type Server = Awaited<ReturnType<typeof testServer>>;

const MAX_BODY = 256 * 1024;

function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  return fetch(url, { method: 'POST', headers, body });
}

describe('bad input gets a precise 4xx and never hurts the server', () => {
  let server: Server;
  let traces: string;
  beforeAll(async () => {
    server = await testServer({
      limits: { maxBodyBytes: MAX_BODY, maxAttributes: 4, maxValueLength: 64 },
    });
    traces = `${server.url}/v1/traces`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const valid = () => ({ traceId: hex(16), spanId: hex(8) });

  const jsonCases: [string, string, RegExp][] = [
    ['not JSON', '{"resourceSpans": [', /body is not valid JSON/],
    [
      'resourceSpans not an array',
      '{"resourceSpans": {}}',
      /^resourceSpans: expected an array, got an object/,
    ],
    [
      'span name of the wrong type',
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...valid(), name: 5 }] }] }] }),
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name: expected a string, got number 5/,
    ],
    [
      'short trace ID',
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'abc', spanId: hex(8) }] }] }],
      }),
      /all 1 spans were invalid; first: .*spans\[0\]\.traceId: expected 32 hex characters, got "abc"/,
    ],
    [
      'non-hex span ID',
      JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: hex(16), spanId: 'zzzzzzzzzzzzzzzz' }] }] },
        ],
      }),
      /spanId: expected 16 hex characters/,
    ],
    [
      'all-zero trace ID',
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0'.repeat(32), spanId: hex(8) }] }] }],
      }),
      /traceId: all-zero IDs are invalid/,
    ],
    [
      'unknown span kind',
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...valid(), kind: 9 }] }] }] }),
      /spans\[0\]\.kind: expected one of SPAN_KIND_UNSPECIFIED.* or 0–5, got number 9/,
    ],
    [
      'timestamp that is not a number',
      JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ ...valid(), startTimeUnixNano: 'yesterday' }] }] },
        ],
      }),
      /startTimeUnixNano: expected unsigned 64-bit nanoseconds/,
    ],
    [
      'attribute value nested too deeply',
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    ...valid(),
                    attributes: [
                      {
                        key: 'deep',
                        value: Array.from({ length: 40 }).reduce<object>(
                          (inner) => ({ arrayValue: { values: [inner] } }),
                          { stringValue: 'x' },
                        ),
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
      /attributes\[0\]\.value(\.arrayValue\.values\[0\])+: value nested deeper than 16 levels/,
    ],
  ];

  for (const [name, body, message] of jsonCases) {
    it(`JSON: ${name} → 400 with the path and the problem`, async () => {
      const res = await postJson(traces, body);
      expect(res.status).toBe(400);
      const status = (await res.json()) as { code: number; message: string };
      expect(status.code).toBe(3);
      expect(status.message).toMatch(message);
    });
  }

  it('JSON nested far deeper than any parser stack → a 4xx or an ignored field, no crash', async () => {
    const deep = `{"resourceSpans":[],"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const res = await postJson(traces, deep);
    expect([200, 400, 413]).toContain(res.status);
  });

  it('a request mixing valid and invalid spans stores the valid ones and reports partial success', async () => {
    const good = valid();
    const res = await postJson(
      traces,
      otlpJson('mixed', [
        good,
        { traceId: 'nothex', spanId: hex(8) },
        { traceId: hex(16), spanId: '' },
      ]),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(
      /spans\[1\]\.traceId: expected 32 hex characters/,
    );
    const found = await server.store.reader.lookup({ traceIds: [good.traceId], requestIds: [] });
    expect(found.spans.map((s) => s.spanId)).toEqual([good.spanId]);
  });

  it('caps attribute counts and value lengths, counting what was cut', async () => {
    const span = {
      ...valid(),
      attributes: { a: 'x'.repeat(1000), b: 1, c: 2, d: 3, e: 4, f: 5 },
    };
    const res = await postJson(traces, otlpJson('caps', [span]));
    expect(res.status).toBe(200);
    const [stored] = (
      await server.store.reader.lookup({ traceIds: [span.traceId], requestIds: [] })
    ).spans;
    expect(Object.keys(stored!.attributes)).toHaveLength(4);
    expect(stored!.attributes.a).toBe('x'.repeat(64));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/hopscope_ingest_truncated_total\{what="attributes"\} 2/);
    expect(metrics).toMatch(/hopscope_ingest_truncated_total\{what="values"\} [1-9]/);
  });

  it('protobuf: random bytes and truncated messages → 400 naming the message type', async () => {
    const whole = protoBody(3);
    for (const body of [
      Buffer.from('this is not protobuf at all, just text \xff\xfe'),
      whole.subarray(0, whole.length - 7),
    ]) {
      const res = await post(traces, body, { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/x-protobuf');
      const { RpcStatus } = await import('../../src/ingest/otlp/proto.js');
      const status = RpcStatus.decode(new Uint8Array(await res.arrayBuffer())) as unknown as {
        code: number;
        message: string;
      };
      expect(status.code).toBe(3);
      expect(status.message).toMatch(/body is not a valid protobuf ExportTraceServiceRequest/);
    }
  });

  it('body over the cap → 413, also when only the decompressed size is over', async () => {
    const big = otlpJson('big', [{ ...valid(), attributes: { pad: 'y'.repeat(MAX_BODY) } }]);
    const res = await postJson(traces, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /larger than the 262144-byte limit/,
    );

    const bomb = gzipSync(Buffer.alloc(MAX_BODY * 8));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const res2 = await post(traces, bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res2.status).toBe(413);
    expect(((await res2.json()) as { message: string }).message).toMatch(/decompressed body/);
  });

  it('broken gzip → 400; unknown encodings and content types → 415', async () => {
    const res = await post(traces, Buffer.from('not gzip'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/not valid gzip data/);

    const br = await post(traces, '{}', {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    expect(br.status).toBe(415);
    const text = await post(traces, '{}', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { message: string }).message).toMatch(
      /Content-Type must be application\/x-protobuf or application\/json/,
    );
  });

  it('gzip-compressed JSON is accepted', async () => {
    const span = valid();
    const res = await post(traces, gzipSync(otlpJson('gz', [span])), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    const found = await server.store.reader.lookup({ traceIds: [span.traceId], requestIds: [] });
    expect(found.spans).toHaveLength(1);
  });
});
