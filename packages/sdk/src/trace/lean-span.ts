import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context as contextApi,
  createNoopMeter,
  diag,
  type Exception,
  type HrTime,
  type Link,
  SamplingDecision,
  type SpanAttributes,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTime,
  hrTimeDuration,
  type InstrumentationScope,
  isAttributeValue,
  isTimeInput,
  isTimeInputHrTime,
  isTracingSuppressed,
  millisToHrTime,
  otperformance,
  sanitizeAttributes,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  type IdGenerator,
  RandomIdGenerator,
  type Sampler,
  type Span,
  type SpanLimits,
  type SpanProcessor,
  type TimedEvent,
} from '@opentelemetry/sdk-trace-base';
import { RandomIdGenerator as NodeRandomIdGenerator } from '@opentelemetry/sdk-trace-node';
import { CheckedSpanContext } from './checked-span-context.js';

/** What a LeanSpan needs from the tracer of the provider it stands in for. */
interface TracerParts {
  sampler: Sampler;
  spanLimits: SpanLimits;
  idGenerator: IdGenerator;
  resource: Resource;
  scope: InstrumentationScope;
  processor: SpanProcessor & { onEnding?: (span: Span) => void };
  /** The provider draws IDs with the SDK's RandomIdGenerator: they come from a crypto pool instead. */
  randomIds: boolean;
}

/**
 * A span with the OpenTelemetry SDK's behaviour (SpanImpl: limits, truncation, timing, status
 * and event rules, processors' onStart/onEnding/onEnd) for the spans the HTTP middleware starts
 * on every request. The SDK's Tracer.startSpan sanitises the attributes twice, sets them one
 * call each and counts spans in a metrics meter that, without a meter provider, is a no-op: about
 * a third of a request's span CPU. It satisfies the API Span and the SDK's ReadableSpan, so
 * processors, exporters, context propagation and user code see an ordinary span.
 */
export class LeanSpan implements Span {
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes;
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  name: string;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];
  private _ended = false;
  private _duration: HrTime = [-1, -1];
  private _droppedAttributesCount = 0;
  private _droppedEventsCount = 0;
  private _droppedLinksCount = 0;
  private _attributesCount: number;
  private readonly performanceStartTime: number;
  private readonly performanceOffset: number;
  private readonly startTimeProvided: boolean;
  private readonly limits: SpanLimits;
  private readonly valueLengthLimit: number;
  private readonly processor: TracerParts['processor'];

  constructor(
    parts: TracerParts,
    private readonly _spanContext: SpanContext,
    name: string,
    kind: SpanKind,
    parentSpanContext: SpanContext | undefined,
    startTime: TimeInput | undefined,
    adopted?: { attributes: Attributes; count: number },
  ) {
    this.attributes = adopted?.attributes ?? {};
    this._attributesCount = adopted?.count ?? 0;
    const now = Date.now();
    this.performanceStartTime = otperformance.now();
    this.performanceOffset = now - (this.performanceStartTime + otperformance.timeOrigin);
    this.startTimeProvided = startTime != null;
    this.limits = parts.spanLimits;
    this.valueLengthLimit = parts.spanLimits.attributeValueLengthLimit ?? 0;
    this.processor = parts.processor;
    this.name = name;
    this.kind = kind;
    this.parentSpanContext = parentSpanContext;
    this.startTime = this.time(startTime ?? now);
    this.resource = parts.resource;
    this.instrumentationScope = parts.scope;
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this.isEnded()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    this.putAttribute(key, value);
    return this;
  }

  /** setAttribute after its checks: the count limit, then the value length limit. */
  private putAttribute(key: string, value: AttributeValue): void {
    const isNewKey = !Object.hasOwn(this.attributes, key);
    const countLimit = this.limits.attributeCountLimit;
    if (countLimit !== undefined && this._attributesCount >= countLimit && isNewKey) {
      this._droppedAttributesCount++;
      return;
    }
    this.attributes[key] = this.truncate(value);
    if (isNewKey) this._attributesCount++;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) {
      if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(
    name: string,
    attributesOrStartTime?: SpanAttributes | TimeInput,
    timeStamp?: TimeInput,
  ): this {
    if (this.isEnded()) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this._droppedEventsCount++;
      return this;
    }
    if (eventCountLimit !== undefined && this.events.length >= eventCountLimit) {
      if (this._droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this._droppedEventsCount++;
    }
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime;
      attributesOrStartTime = undefined;
    }
    const { attributes, dropped } = this.limited(
      attributesOrStartTime as SpanAttributes | undefined,
      attributePerEventCountLimit,
    );
    this.events.push({
      name,
      attributes,
      time: this.time(timeStamp),
      droppedAttributesCount: dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.isEnded()) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.limits;
    if (linkCountLimit === 0) {
      this._droppedLinksCount++;
      return this;
    }
    if (linkCountLimit !== undefined && this.links.length >= linkCountLimit) {
      if (this._droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this._droppedLinksCount++;
    }
    const { attributes, count, dropped } = this.limited(
      link.attributes,
      attributePerLinkCountLimit,
    );
    const processed: Link = { context: link.context };
    if (count > 0) processed.attributes = attributes;
    if (dropped > 0) processed.droppedAttributesCount = dropped;
    this.links.push(processed);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** Sanitised, truncated attributes of an event or link, at most `limit` of them. */
  private limited(
    raw: Attributes | undefined,
    limit: number | undefined,
  ): { attributes: Attributes; count: number; dropped: number } {
    const sanitized = sanitizeAttributes(raw);
    const attributes: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in sanitized) {
      if (!Object.hasOwn(sanitized, key)) continue;
      if (limit !== undefined && count >= limit) {
        dropped++;
        continue;
      }
      attributes[key] = this.truncate(sanitized[key] as AttributeValue);
      count++;
    }
    return { attributes, count, dropped };
  }

  setStatus(status: SpanStatus): this {
    if (this.isEnded()) return this;
    if (status.code === SpanStatusCode.UNSET) return this;
    if (this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) {
        diag.warn(
          `Dropping invalid status.message of type '${typeof status.message}', expected 'string'`,
        );
      }
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (this.isEnded()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.isEnded()) {
      diag.error(
        `${this.name} ${this._spanContext.traceId}-${this._spanContext.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    this.endTime = this.time(endTime);
    this._duration = hrTimeDuration(this.startTime, this.endTime);
    if (this._duration[0] < 0) {
      diag.warn(
        'Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.',
        this.startTime,
        this.endTime,
      );
      this.endTime = this.startTime.slice() as HrTime;
      this._duration = [0, 0];
    }
    if (this._droppedEventsCount > 0) {
      diag.warn(`Dropped ${this._droppedEventsCount} events because eventCountLimit reached`);
    }
    if (this._droppedLinksCount > 0) {
      diag.warn(`Dropped ${this._droppedLinksCount} links because linkCountLimit reached`);
    }
    this.processor.onEnding?.(this);
    this._ended = true;
    this.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this._ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) {
      this.addEvent('exception', attributes, time);
    } else {
      diag.warn(`Failed to record an exception ${exception}`);
    }
  }

  get duration(): HrTime {
    return this._duration;
  }

  get ended(): boolean {
    return this._ended;
  }

  get droppedAttributesCount(): number {
    return this._droppedAttributesCount;
  }

  get droppedEventsCount(): number {
    return this._droppedEventsCount;
  }

  get droppedLinksCount(): number {
    return this._droppedLinksCount;
  }

  private isEnded(): boolean {
    if (this._ended) {
      const { traceId, spanId } = this._spanContext;
      diag.warn(
        `Cannot execute the operation on ended Span {traceId: ${traceId}, spanId: ${spanId}}`,
        new Error(`Operation attempted on ended Span {traceId: ${traceId}, spanId: ${spanId}}`),
      );
    }
    return this._ended;
  }

  /** SpanImpl's time rules: epoch or performance milliseconds, Date, HrTime, or now. */
  private time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number' && input <= otperformance.now()) {
      return hrTime(input + this.performanceOffset);
    }
    if (typeof input === 'number') return millisToHrTime(input);
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    if (this.startTimeProvided) return millisToHrTime(Date.now());
    const elapsed = otperformance.now() - this.performanceStartTime;
    return addHrTimes(this.startTime, millisToHrTime(elapsed));
  }

  private truncate(value: AttributeValue): AttributeValue {
    const limit = this.valueLengthLimit;
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`);
      return value;
    }
    if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
    // arrays are copied even when nothing is cut, as SpanImpl does
    if (Array.isArray(value)) {
      return value.map((v) =>
        typeof v === 'string' && v.length > limit ? v.substring(0, limit) : v,
      ) as AttributeValue;
    }
    return value;
  }

  /** @internal The tracer's start: attributes already valid, set in one pass (see leanTracer). */
  static start(
    parts: TracerParts,
    spanContext: SpanContext,
    name: string,
    kind: SpanKind,
    parentSpanContext: SpanContext | undefined,
    attributes: Attributes,
    startTime: TimeInput | undefined,
    parentContext: Context,
    adopt = false,
  ): LeanSpan {
    if (adopt) {
      const count = adoptableCount(attributes, parts.spanLimits);
      if (count >= 0) {
        const span = new LeanSpan(parts, spanContext, name, kind, parentSpanContext, startTime, {
          attributes,
          count,
        });
        parts.processor.onStart(span, parentContext);
        return span;
      }
    }
    const span = new LeanSpan(parts, spanContext, name, kind, parentSpanContext, startTime);
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key];
      if (value != null) span.putAttribute(key, value);
    }
    parts.processor.onStart(span, parentContext);
    return span;
  }
}

/**
 * Span option key: the caller built `attributes` for this span alone and gives the object away,
 * so the span keeps it instead of copying it key by key (the HTTP middleware's ten or so
 * attributes per request; the copy was a tenth of the span's start). Only used when the
 * attributes are already what the copy would give: all valid, within the count limit, no value
 * to truncate.
 */
export const ADOPT_ATTRIBUTES: unique symbol = Symbol('hopscope.adoptAttributes');

/**
 * How many attributes `attributes` holds when the span may keep the object as it is (every value
 * set and valid, the count and length limits not reached), else -1.
 */
function adoptableCount(attributes: Attributes, limits: SpanLimits): number {
  const countLimit = limits.attributeCountLimit ?? Number.POSITIVE_INFINITY;
  const lengthLimit = limits.attributeValueLengthLimit ?? 0;
  // a non-positive length limit warns on every value in truncate(): leave that to the copy
  if (!(lengthLimit > 0)) return -1;
  let count = 0;
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    const type = typeof value;
    if (type === 'string') {
      if ((value as string).length > lengthLimit) return -1;
    } else if (type !== 'number' && type !== 'boolean') {
      // arrays are copied by truncate(); null and undefined are skipped by the copy
      return -1;
    }
    count++;
  }
  return count <= countLimit ? count : -1;
}

/** The SDK Tracer's fields a LeanTracer reads (TypeScript-private there, stable since 1.x). */
interface SdkTracerInternals {
  _sampler?: Sampler;
  _spanLimits?: SpanLimits;
  _idGenerator?: IdGenerator;
  _resource?: Resource;
  _spanProcessor?: TracerParts['processor'];
  instrumentationScope?: InstrumentationScope;
  _tracerMetrics?: { startedSpans?: unknown; liveSpans?: unknown };
}

const NOOP_COUNTER = createNoopMeter().createCounter('noop');
const NOOP_UP_DOWN_COUNTER = createNoopMeter().createUpDownCounter('noop');

/**
 * A Tracer making LeanSpans for an OpenTelemetry SDK tracer (same sampler, limits, ID generator,
 * resource, scope and processors), or undefined when `tracer` is not one this SDK can stand in
 * for exactly: another implementation, a changed SDK, or span metrics recorded by a real meter.
 */
export function leanTracer(tracer: Tracer): Tracer | undefined {
  const t = tracer as Tracer & SdkTracerInternals;
  const metrics = t._tracerMetrics;
  if (
    typeof t._sampler?.shouldSample !== 'function' ||
    typeof t._spanLimits !== 'object' ||
    t._spanLimits === null ||
    typeof t._idGenerator?.generateSpanId !== 'function' ||
    typeof t._idGenerator?.generateTraceId !== 'function' ||
    typeof t._resource !== 'object' ||
    typeof t._spanProcessor?.onStart !== 'function' ||
    typeof t._spanProcessor?.onEnd !== 'function' ||
    typeof t.instrumentationScope?.name !== 'string' ||
    (metrics !== undefined &&
      (metrics.startedSpans !== NOOP_COUNTER || metrics.liveSpans !== NOOP_UP_DOWN_COUNTER))
  ) {
    return undefined;
  }
  const parts: TracerParts = {
    sampler: t._sampler,
    spanLimits: t._spanLimits,
    idGenerator: t._idGenerator,
    resource: t._resource as Resource,
    scope: t.instrumentationScope,
    processor: t._spanProcessor,
    randomIds: isRandomIdGenerator(t._idGenerator),
  };
  return {
    startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()) {
      // the rare shapes (root requested, links, suppressed tracing) go the SDK's full way
      if (options.root || options.links?.length || isTracingSuppressed(ctx)) {
        return tracer.startSpan(name, options, ctx);
      }
      return startLean(parts, name, options, ctx);
    },
    startActiveSpan: tracer.startActiveSpan.bind(tracer),
  } as Tracer;
}

/**
 * Whether IDs come from the SDK's RandomIdGenerator. sdk-trace-node may hold its own copy of the
 * SDK (npm nests one when the versions differ, as in this repository's install), whose class is
 * not sdk-trace-base's: both are checked, or init()'s provider would never get pooled IDs.
 */
function isRandomIdGenerator(generator: IdGenerator): boolean {
  return generator instanceof RandomIdGenerator || generator instanceof NodeRandomIdGenerator;
}

/** Tracer.startSpan without links, root or suppression (handled by the caller). */
function startLean(
  parts: TracerParts,
  name: string,
  options: SpanOptions,
  ctx: Context,
): ReturnType<Tracer['startSpan']> {
  const parentSpanContext = trace.getSpan(ctx)?.spanContext();
  let spanId: string;
  let traceId: string;
  let traceState: SpanContext['traceState'];
  let validParent: SpanContext | undefined;
  if (parentSpanContext === undefined || !trace.isSpanContextValid(parentSpanContext)) {
    if (parts.randomIds) {
      ({ traceId, spanId } = randomTraceAndSpanId());
    } else {
      spanId = parts.idGenerator.generateSpanId();
      traceId = parts.idGenerator.generateTraceId();
    }
  } else {
    spanId = parts.randomIds ? randomSpanId() : parts.idGenerator.generateSpanId();
    traceId = parentSpanContext.traceId;
    traceState = parentSpanContext.traceState;
    validParent = parentSpanContext;
  }
  const kind = options.kind ?? 0; // SpanKind.INTERNAL
  const given = options.attributes;
  const attributes = validAttributes(given);
  const result = parts.sampler.shouldSample(ctx, traceId, name, kind, attributes, []);
  traceState = result.traceState ?? traceState;
  const traceFlags =
    result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
  // pooled IDs are valid by construction; a custom ID generator's are not known to be
  const spanContext: SpanContext = parts.randomIds
    ? new CheckedSpanContext(traceId, spanId, traceFlags, traceState)
    : { traceId, spanId, traceFlags, traceState };
  if (result.decision === SamplingDecision.NOT_RECORD) {
    return trace.wrapSpanContext(spanContext);
  }
  const initial =
    result.attributes === undefined
      ? attributes
      : sanitizeAttributes({ ...attributes, ...result.attributes });
  return LeanSpan.start(
    parts,
    spanContext,
    name,
    kind,
    validParent,
    initial,
    options.startTime,
    ctx,
    initial === given && (options as { [ADOPT_ATTRIBUTES]?: boolean })[ADOPT_ATTRIBUTES] === true,
  );
}

// Random bytes fetched 6 KiB at a time: one crypto call per ID (or the SDK generator's four
// Math.random draws and a hex conversion per ID) costs more than the rest of the span's start.
const POOL_SIZE = 24 * 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** Where the next `bytes` random bytes start in `pool`. */
function draw(bytes: number): number {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  poolOffset += bytes;
  return poolOffset - bytes;
}

/** Whether pool[start, end) is not all zeros (all zeros is an invalid W3C ID). */
function nonZero(start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (pool[i] !== 0) return true;
  return false;
}

/** A random trace ID and span ID, from one draw (32 + 16 lowercase hex digits). */
function randomTraceAndSpanId(): { traceId: string; spanId: string } {
  for (;;) {
    const at = draw(24);
    if (nonZero(at, at + 16) && nonZero(at + 16, at + 24)) {
      const hex = pool.toString('hex', at, at + 24);
      return { traceId: hex.slice(0, 32), spanId: hex.slice(32) };
    }
  }
}

function randomSpanId(): string {
  for (;;) {
    const at = draw(8);
    if (nonZero(at, at + 8)) return pool.toString('hex', at, at + 8);
  }
}

/**
 * The attributes as sanitizeAttributes leaves them, without copying when every key and value is
 * already valid (the middleware's always are): the sampler then sees the same values.
 */
function validAttributes(attributes: Attributes | undefined): Attributes {
  if (attributes === undefined || attributes === null || typeof attributes !== 'object') return {};
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    const t = typeof value;
    if (key.length === 0 || !(t === 'string' || t === 'number' || t === 'boolean')) {
      return sanitizeAttributes(attributes);
    }
  }
  return attributes;
}
