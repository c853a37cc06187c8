/** An OTLP/JSON span as the official exporters send it, for seeding a real server. */
export interface SeedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  durationMs: number;
  requestId?: string;
  error?: string;
}

export function otlpTraces(spans: SeedSpan[]): string {
  const byService = new Map<string, SeedSpan[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);
  return JSON.stringify({
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'cli-test' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: 2,
            startTimeUnixNano: ns(s.startMs),
            endTimeUnixNano: ns(s.startMs + s.durationMs),
            attributes: s.requestId
              ? [{ key: 'request.id', value: { stringValue: s.requestId } }]
              : [],
            status: s.error ? { code: 2, message: s.error } : { code: 1 },
          })),
        },
      ],
    })),
  });
}

export async function sendTraces(
  baseUrl: string,
  spans: SeedSpan[],
  token?: string,
): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/traces`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: otlpTraces(spans),
  });
  if (!response.ok) throw new Error(`seeding spans: ${response.status} ${await response.text()}`);
}
