import type { OutStream } from '../io.js';

type Paint = (text: string) => string;

export interface Colors {
  enabled: boolean;
  red: Paint;
  yellow: Paint;
  green: Paint;
  cyan: Paint;
  magenta: Paint;
  dim: Paint;
  bold: Paint;
  /** A stable colour per service name within one output (red is kept for errors). */
  service: (name: string) => Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const identity: Paint = (text) => text;

// Distinct on dark and light terminals; red is reserved for errors.
const SERVICE_CODES = [36, 35, 34, 32, 33, 96, 95, 94, 92, 93];

/**
 * Colour when writing to a terminal, unless NO_COLOR (https://no-color.org) or `--no-color`;
 * FORCE_COLOR turns it on for pipes.
 */
export function shouldColor(stream: OutStream, env: NodeJS.ProcessEnv, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    return true;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function makeColors(enabled: boolean): Colors {
  if (!enabled) {
    return {
      enabled,
      red: identity,
      yellow: identity,
      green: identity,
      cyan: identity,
      magenta: identity,
      dim: identity,
      bold: identity,
      service: () => identity,
    };
  }
  const assigned = new Map<string, Paint>();
  return {
    enabled,
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    service(name) {
      let paint = assigned.get(name);
      if (!paint) {
        paint = sgr(SERVICE_CODES[assigned.size % SERVICE_CODES.length], 39);
        assigned.set(name, paint);
      }
      return paint;
    },
  };
}

/** Visible width: ANSI sequences take no columns. */
export function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}
