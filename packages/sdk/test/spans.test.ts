import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import ts from 'typescript';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  getTracer,
  type HopscopeHandle,
  init,
  runWithRequestId,
  TracedError,
  timed,
  withSpan,
} from '../src/index.js';
import { LineSink } from './line-sink.js';

// Vitest's transformer does not lower TS 5 (standard) decorators, so the decorated class is
// compiled by the TypeScript compiler, exactly as a user's build would, and imported.
const PLANNER_SOURCE = `
export function make(timed: any, log: any) {
  class Planner {
    constructor(private readonly goal: string) {}
    @timed()
    plan(): string {
      return 'plan for ' + this.goal;
    }
    @timed({ name: 'agent_step', logger: log.bind({ agent: 'planner' }) })
    async step(n: number): Promise<number> {
      await new Promise((r) => setTimeout(r, 1));
      return n * 2;
    }
    @timed()
    async *think(): AsyncGenerator<string> {
      yield this.goal;
    }
  }
  return { Planner };
}
`;

async function importDecorated(source: string) {
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const dir = await mkdtemp(join(tmpdir(), 'hopscope-decorators-'));
  const file = join(dir, 'planner.mjs');
  await writeFile(file, js);
  return import(/* @vite-ignore */ pathToFileURL(file).href);
}

const exporter = new InMemorySpanExporter();
const lines = new LineSink();
let handle: HopscopeHandle;

beforeAll(() => {
  handle = init({
    service: 'spans-test',
    exportTraces: false,
    exportLogs: false,
    logLevel: 'debug',
    logDestination: lines,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});
afterAll(() => handle.shutdown());
beforeEach(() => {
  exporter.reset();
  lines.raw.length = 0;
});

const finished = (name: string): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (span === undefined) throw new Error(`span ${name} not finished`);
  return span;
};
const isOpen = (name: string) => !exporter.getFinishedSpans().some((s) => s.name === name);

describe('withSpan', () => {
  it('wraps sync functions, makes the span active and sets attributes', () => {
    const result = withSpan('sync_op', { 'app.key': 'v' }, (span) => {
      expect(trace.getActiveSpan()).toBe(span);
      return 42;
    });
    expect(result).toBe(42);
    expect(finished('sync_op').attributes['app.key']).toBe('v');
    expect(finished('sync_op').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records sync and async errors with status ERROR and rethrows them unchanged', async () => {
    const boom = new TypeError('kaboom');
    let caught: unknown;
    try {
      withSpan('sync_fail', () => {
        throw boom;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    const span = finished('sync_fail');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'kaboom' });
    expect(span.events[0].name).toBe('exception');
    expect(span.events[0].attributes?.['exception.type']).toBe('TypeError');

    const asyncBoom = new RangeError('async kaboom');
    await expect(
      withSpan('async_fail', async () => {
        await new Promise((r) => setTimeout(r, 1));
        throw asyncBoom;
      }),
    ).rejects.toBe(asyncBoom);
    expect(finished('async_fail').status.code).toBe(SpanStatusCode.ERROR);
    expect(finished('async_fail').attributes['error.type']).toBe('RangeError');
  });

  it('ends async spans on settlement, with children parented', async () => {
    const value = await withSpan('parent_op', async () => {
      await new Promise((r) => setTimeout(r, 2));
      expect(isOpen('parent_op')).toBe(true);
      return withSpan('child_op', async () => 'done');
    });
    expect(value).toBe('done');
    expect(finished('child_op').parentSpanContext?.spanId).toBe(
      finished('parent_op').spanContext().spanId,
    );
  });

  it('keeps the span open until an async generator is exhausted, and steps run inside it', async () => {
    async function* tokens() {
      for (const t of ['a', 'b', 'c']) {
        await new Promise((r) => setTimeout(r, 1));
        yield `${t}:${trace.getActiveSpan()?.spanContext().spanId}`;
      }
    }
    const stream = withSpan('llm_stream', () => tokens());
    expect(isOpen('llm_stream')).toBe(true);
    const got: string[] = [];
    for await (const t of stream) {
      got.push(t);
      expect(isOpen('llm_stream')).toBe(true);
    }
    const spanId = finished('llm_stream').spanContext().spanId;
    expect(got).toEqual([`a:${spanId}`, `b:${spanId}`, `c:${spanId}`]);
  });

  it('ends the span when the consumer breaks early, and records iterator errors', async () => {
    async function* forever() {
      let i = 0;
      while (true) yield i++;
    }
    for await (const n of withSpan('broken_off', () => forever())) if (n === 2) break;
    expect(finished('broken_off').status.code).toBe(SpanStatusCode.UNSET);

    async function* failing() {
      yield 1;
      throw new Error('stream broke');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of await withSpan('failing_stream', async () => failing())) seen.push(n);
      })(),
    ).rejects.toThrow('stream broke');
    expect(seen).toEqual([1]);
    expect(finished('failing_stream').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('keeps members of iterable objects (SDK stream objects) while tracing the iteration', async () => {
    const sdkStream = {
      controller: { aborted: false },
      abort() {
        this.controller.aborted = true;
      },
      async *[Symbol.asyncIterator]() {
        yield 'x';
        yield 'y';
      },
    };
    const traced = withSpan('sdk_stream', () => sdkStream);
    traced.abort();
    expect(sdkStream.controller.aborted).toBe(true);
    expect(isOpen('sdk_stream')).toBe(true);
    const got: string[] = [];
    for await (const c of traced) got.push(c);
    expect(got).toEqual(['x', 'y']);
    expect(finished('sdk_stream')).toBeDefined();
  });

  it('ends with Node readable streams (same object returned) and web streams', async () => {
    const node = Readable.from(['1', '2', '3']);
    expect(withSpan('node_stream', () => node)).toBe(node);
    expect(isOpen('node_stream')).toBe(true);
    const chunks: string[] = [];
    for await (const c of node) chunks.push(String(c));
    await new Promise((r) => setImmediate(r));
    expect(chunks).toEqual(['1', '2', '3']);
    expect(finished('node_stream')).toBeDefined();

    const failing = new Readable({ read() {} });
    withSpan('node_stream_error', () => failing);
    failing.destroy(new Error('socket reset'));
    await new Promise((r) => setImmediate(r));
    expect(finished('node_stream_error').status.code).toBe(SpanStatusCode.ERROR);

    const web = withSpan('web_stream', async () => new Response('hello web').body);
    const body = await web;
    expect(isOpen('web_stream')).toBe(true);
    const text = await new Response(body).text();
    expect(text).toBe('hello web');
    expect(finished('web_stream')).toBeDefined();
  });

  it('takes SpanOptions as well as attributes, telling them apart by type', () => {
    withSpan(
      'with_options',
      { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'llm' } },
      () => {},
    );
    withSpan('kind_attribute', { kind: 'batch' }, () => {});
    expect(finished('with_options').kind).toBe(SpanKind.CLIENT);
    expect(finished('with_options').attributes['peer.service']).toBe('llm');
    expect(finished('kind_attribute').kind).toBe(SpanKind.INTERNAL);
    expect(finished('kind_attribute').attributes.kind).toBe('batch');
  });

  it('validates its arguments', () => {
    expect(() => withSpan('', () => 1)).toThrow(/non-empty span name/);
    expect(() => withSpan('x', {}, undefined as never)).toThrow(/needs a function/);
  });
});

describe('request.id on spans', () => {
  it('is set on every span started in a request, also by other tracers (third-party instrumentations)', async () => {
    await runWithRequestId('req_cccccccccccc', async () => {
      withSpan('ours', () => {});
      const foreign = trace.getTracer('@vendor/instrumentation-db', '9.9.9').startSpan('db.query');
      foreign.end();
      await new Promise((r) => setTimeout(r, 1));
      getTracer('another-lib').startActiveSpan('lib.op', (s) => s.end());
    });
    trace.getTracer('outside').startSpan('no_request').end();
    expect(finished('ours').attributes['request.id']).toBe('req_cccccccccccc');
    expect(finished('db.query').attributes['request.id']).toBe('req_cccccccccccc');
    expect(finished('db.query').instrumentationScope.name).toBe('@vendor/instrumentation-db');
    expect(finished('lib.op').attributes['request.id']).toBe('req_cccccccccccc');
    expect(finished('no_request').attributes['request.id']).toBeUndefined();
  });
});

describe('timed', () => {
  const events = () => lines.lines.map((l) => `${l.level}:${l.event}`);

  it('logs started/completed with duration_ms around sync and async functions, in a span', async () => {
    const add = timed('add_numbers')((a: number, b: number) => a + b);
    expect(add(2, 3)).toBe(5);
    const fetchIt = timed()(async function fetch_user(id: string) {
      await new Promise((r) => setTimeout(r, 2));
      return { id };
    });
    expect(fetchIt.name).toBe('fetch_user');
    await runWithRequestId('req_dddddddddddd', () => fetchIt('u1'));
    expect(events()).toEqual([
      'debug:add_numbers_started',
      'info:add_numbers_completed',
      'debug:fetch_user_started',
      'info:fetch_user_completed',
    ]);
    const done = lines.find('fetch_user_completed');
    expect(done.duration_ms).toBeTypeOf('number');
    expect(done.duration_ms as number).toBeGreaterThan(0);
    expect(done.request_id).toBe('req_dddddddddddd');
    expect(done.span_id).toBe(finished('fetch_user').spanContext().spanId);
    expect(finished('fetch_user').attributes['request.id']).toBe('req_dddddddddddd');
  });

  it('logs _failed with error and error_type and rethrows unchanged (sync and async)', async () => {
    const err = new SyntaxError('bad json');
    const parse = timed('parse_input')(() => {
      throw err;
    });
    expect(() => parse()).toThrow(err);
    const load = timed({ name: 'load_file', span: false })(async () => {
      throw new TracedError('disk gone', { cause: new Error('EIO') });
    });
    await expect(load()).rejects.toBeInstanceOf(TracedError);
    expect(lines.find('parse_input_failed')).toMatchObject({
      level: 'error',
      error: 'bad json',
      error_type: 'SyntaxError',
    });
    expect(lines.find('load_file_failed')).toMatchObject({
      error: 'disk gone',
      error_type: 'TracedError',
      cause: 'EIO',
      cause_type: 'Error',
    });
    expect(finished('parse_input').status.code).toBe(SpanStatusCode.ERROR);
    expect(exporter.getFinishedSpans().some((s) => s.name === 'load_file')).toBe(false);
  });

  it('times async generators to exhaustion, early exit and failure', async () => {
    const stream = timed('stream_tokens')(async function* (n: number) {
      for (let i = 0; i < n; i++) yield i;
    });
    const all: number[] = [];
    for await (const x of stream(3)) all.push(x);
    expect(all).toEqual([0, 1, 2]);

    for await (const x of stream(100)) if (x === 1) break;

    const broken = timed('broken_stream')(async function* () {
      yield 1;
      throw new Error('upstream closed');
    });
    await expect(
      (async () => {
        for await (const _ of broken()) {
        }
      })(),
    ).rejects.toThrow('upstream closed');

    expect(events()).toEqual([
      'debug:stream_tokens_started',
      'info:stream_tokens_completed',
      'debug:stream_tokens_started',
      'info:stream_tokens_completed',
      'debug:broken_stream_started',
      'error:broken_stream_failed',
    ]);
    expect(lines.lines[3].early_exit).toBe(true);
    expect(lines.lines[1].early_exit).toBeUndefined();
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'stream_tokens')).toHaveLength(2);
    expect(finished('broken_stream').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('decorates class methods (TS 5 decorators, compiled by tsc), keeping `this`', async () => {
    const sink = new LineSink();
    const log = createLogger({ destination: sink, level: 'debug' });
    const { Planner } = (await importDecorated(PLANNER_SOURCE)).make(timed, log);
    const p = new Planner('ship');
    expect(p.plan()).toBe('plan for ship');
    expect(await p.step(21)).toBe(42);
    const thoughts: string[] = [];
    for await (const t of p.think()) thoughts.push(t);
    expect(thoughts).toEqual(['ship']);
    expect(lines.find('plan_completed')).toBeDefined();
    expect(lines.find('think_completed')).toBeDefined();
    expect(sink.find('agent_step_completed')).toMatchObject({ agent: 'planner', level: 'info' });
    expect(finished('agent_step')).toBeDefined();
  });

  it('rejects bad names and non-functions', () => {
    expect(() => timed('has space')).toThrow(/timed\(\) name must be/);
    expect(() => timed()(42 as never)).toThrow(/needs a function/);
  });
});

describe('TracedError', () => {
  it('captures request, trace, time and cause where it was created', () => {
    const cause = new Error('connect ETIMEDOUT');
    cause.name = 'TimeoutError';
    const err = runWithRequestId('req_eeeeeeeeeeee', () =>
      withSpan('sandbox_call', (span) => {
        const e = new TracedError('Sandbox execution timed out', { cause });
        expect(e.traceId).toBe(span.spanContext().traceId);
        return e;
      }),
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('TracedError');
    expect(err.cause).toBe(cause);
    expect(err.requestId).toBe('req_eeeeeeeeeeee');
    expect(err.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const json = err.toJSON();
    expect(json).toEqual({
      error: 'Sandbox execution timed out',
      error_type: 'TracedError',
      request_id: 'req_eeeeeeeeeeee',
      trace_id: finished('sandbox_call').spanContext().traceId,
      span_id: finished('sandbox_call').spanContext().spanId,
      timestamp: err.timestamp,
      cause: 'connect ETIMEDOUT',
      cause_type: 'TimeoutError',
    });
    expect(JSON.parse(JSON.stringify(err))).toEqual(json);
  });

  it('works without a cause or a request, and keeps subclass names', () => {
    class SandboxError extends TracedError {}
    const err = new SandboxError('plain');
    expect(err.toJSON()).toMatchObject({
      error_type: 'SandboxError',
      request_id: null,
      cause: null,
      cause_type: null,
    });
  });
});
