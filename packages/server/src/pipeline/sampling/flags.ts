import {
  loadSamplingConfig,
  parseSamplingConfig,
  type SamplingConfig,
  SamplingConfigError,
} from './config.js';

/** `hopscope serve` sampling flags, already parsed (durations in ms). */
export interface SamplingFlags {
  /** `--sampling FILE`: YAML or JSON. */
  file?: string;
  /** `--sample-percent P`: keep every error trace and P% of the rest. */
  percent?: number;
  /** `--sample-slower-than D`: also keep traces lasting at least D (needs `--sample-percent`). */
  slowerThanMs?: number;
  /** `--sampling-wait D`: the decision window, with the file or the flags. */
  waitMs?: number;
}

/**
 * The sampling configuration the flags describe, or undefined (sampling off). A file and the
 * shortcut flags exclude each other; errors name the flag.
 */
export function samplingFromFlags(flags: SamplingFlags): SamplingConfig | undefined {
  const shortcut = flags.percent !== undefined || flags.slowerThanMs !== undefined;
  if (flags.file !== undefined && shortcut) {
    throw new SamplingConfigError(
      '--sampling FILE cannot be combined with --sample-percent or --sample-slower-than: put the policies in the file',
    );
  }
  if (flags.slowerThanMs !== undefined && flags.percent === undefined) {
    throw new SamplingConfigError(
      '--sample-slower-than needs --sample-percent (the share kept of the other traces)',
    );
  }
  let config: SamplingConfig | undefined;
  if (flags.file !== undefined) config = loadSamplingConfig(flags.file);
  else if (flags.percent !== undefined) {
    config = parseSamplingConfig(
      {
        policies: [
          { type: 'errors', name: 'errors' },
          ...(flags.slowerThanMs !== undefined
            ? [{ type: 'latency' as const, name: 'slow', threshold: flags.slowerThanMs }]
            : []),
          { type: 'probabilistic', name: 'percent', percent: flags.percent },
        ],
      },
      '--sample-percent',
    );
  }
  if (flags.waitMs !== undefined) {
    if (!config) {
      throw new SamplingConfigError('--sampling-wait needs --sampling FILE or --sample-percent');
    }
    config = { ...config, decision_wait: flags.waitMs };
  }
  return config;
}
