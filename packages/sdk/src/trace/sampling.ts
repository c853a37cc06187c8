import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerOption } from '../config/index.js';

/**
 * Admits at most `perSecond` traces per second with a token bucket (burst = one second's worth,
 * at least 1), so traffic spikes cannot flood the collector. Decides root spans only: wrap it in
 * a ParentBasedSampler (as `buildSampler` does) so children follow their root.
 */
export class RateLimitingSampler implements Sampler {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(perSecond) || perSecond < 0) {
      throw new TypeError(
        `hopscope: RateLimitingSampler needs a rate of at least 0 traces per second, got ${perSecond}`,
      );
    }
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
    this.last = now();
  }

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    _attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    const now = this.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.last) / 1000) * this.perSecond,
    );
    this.last = now;
    if (this.perSecond > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    return { decision: SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `RateLimitingSampler{${this.perSecond}/s}`;
  }
}

/** The OpenTelemetry sampler for a `sampler` option. */
export function buildSampler(option: SamplerOption): Sampler {
  if (typeof option === 'object' && 'shouldSample' in option) return option;
  if (typeof option === 'string') {
    switch (option) {
      case 'always_on':
        return new AlwaysOnSampler();
      case 'always_off':
        return new AlwaysOffSampler();
      case 'parentbased_always_on':
        return new ParentBasedSampler({ root: new AlwaysOnSampler() });
      case 'parentbased_always_off':
        return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    }
  } else {
    switch (option.type) {
      case 'ratio':
        return new TraceIdRatioBasedSampler(option.ratio);
      case 'parent_based':
        return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(option.ratio) });
      case 'rate_limited':
        return new ParentBasedSampler({ root: new RateLimitingSampler(option.perSecond) });
    }
  }
  throw new TypeError(`hopscope: unknown sampler ${JSON.stringify(option)}`);
}
