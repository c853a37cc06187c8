import { describe, expect, it } from 'vitest';
import { resolveOptions, serviceNameFromEnv } from './options.js';

describe('resolveOptions', () => {
  it('uses defaults with an empty environment', () => {
    const o = resolveOptions({}, {});
    expect(o.service).toBe('unknown_service:node');
    expect(o.tracesEndpoint).toBe('http://127.0.0.1:4318/v1/traces');
    expect(o.logsEndpoint).toBe('http://127.0.0.1:4318/v1/logs');
    expect(o.compression).toBe('none'); // the default endpoint is on this machine
    expect(o.exportDelayMs).toBeLessThanOrEqual(1000);
    expect(o.sampler).toBe('parentbased_always_on');
    expect(o.logLevel).toBe('info');
    expect(o.logCallsite).toBe(false);
    expect(o.requestIdAliases).toEqual(['x-correlation-id', 'x-trace-id']);
  });

  it('gzips exports to another machine, not to this one, unless told', () => {
    const at = (endpoint: string, env: Record<string, string> = {}) =>
      resolveOptions({ endpoint }, env).compression;
    expect(at('http://127.0.0.1:4318')).toBe('none');
    expect(at('http://localhost:4318')).toBe('none');
    expect(at('http://[::1]:4318')).toBe('none');
    expect(at('http://127.1.2.3:4318')).toBe('none');
    expect(at('http://collector.internal:4318')).toBe('gzip');
    expect(at('https://10.0.0.5:4318')).toBe('gzip');
    expect(at('http://127.0.0.1.example.com:4318')).toBe('gzip');
    expect(at('http://127.0.0.1:4318', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' })).toBe('gzip');
    expect(at('http://collector:4318', { OTEL_EXPORTER_OTLP_COMPRESSION: 'none' })).toBe('none');
    // one signal sent elsewhere: gzip for both
    expect(
      resolveOptions({}, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs.example.com/v1/logs' })
        .compression,
    ).toBe('gzip');
    expect(
      resolveOptions({ endpoint: 'http://collector:4318', compression: 'none' }, {}).compression,
    ).toBe('none');
  });

  it('honours the standard OTEL_* variables, options winning over them', () => {
    const env = {
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3,deployment.environment.name=staging,x=a%20b',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9999/custom',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      LOG_LEVEL: 'WARNING',
    };
    const o = resolveOptions({}, env);
    expect(o.service).toBe('from-env');
    expect(o.version).toBe('1.2.3');
    expect(o.environment).toBe('staging');
    expect(o.tracesEndpoint).toBe('http://collector:4318/v1/traces');
    expect(o.logsEndpoint).toBe('http://logs:9999/custom');
    expect(o.headers).toEqual({ authorization: 'Bearer t' });
    expect(o.sampler).toEqual({ type: 'parent_based', ratio: 0.25 });
    expect(o.exportDelayMs).toBe(50);
    expect(o.logLevel).toBe('warn');
    const explicit = resolveOptions(
      { service: 'mine', endpoint: 'https://x:1', sampler: 'always_off', logLevel: 'debug' },
      env,
    );
    expect(explicit.service).toBe('mine');
    expect(explicit.tracesEndpoint).toBe('https://x:1/v1/traces');
    expect(explicit.logsEndpoint).toBe('https://x:1/v1/logs');
    expect(explicit.sampler).toBe('always_off');
    expect(explicit.logLevel).toBe('debug');
    expect(serviceNameFromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-svc' })).toBe(
      'attr-svc',
    );
  });

  it('rejects bad options with a message naming option, value and expectation', () => {
    expect(() => resolveOptions({ endpoint: 'ftp://x' }, {})).toThrow(
      'option endpoint must be an http:// or https:// URL, got "ftp://x"',
    );
    expect(() => resolveOptions({ service: '' }, {})).toThrow(/option service must be a non-empty/);
    expect(() => resolveOptions({ exportDelayMs: 0 }, {})).toThrow(
      /option exportDelayMs must be a number from 1 to 60000, got 0/,
    );
    expect(() => resolveOptions({ maxQueueSize: 1.5 }, {})).toThrow(/must be an integer/);
    expect(() => resolveOptions({ sampler: { type: 'ratio', ratio: 2 } }, {})).toThrow(
      /sampler.ratio must be a number from 0 to 1, got 2/,
    );
    expect(() => resolveOptions({ sampler: 'sometimes' as never }, {})).toThrow(/option sampler/);
    expect(() => resolveOptions({ logLevel: 'loud' as never }, {})).toThrow(/option logLevel/);
    expect(() => resolveOptions({ servce: 'typo' } as never, {})).toThrow(
      /unknown option "servce"/,
    );
  });
});
