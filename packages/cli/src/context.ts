import { HopscopeClient } from './client.js';
import type { CliIO } from './io.js';
import { type Colors, makeColors, shouldColor } from './render/color.js';
import { resolveServer, type ServerFlags, type TokenKind } from './server-options.js';

/** What every command gets: the streams, the exit code it may set, and helpers built on them. */
export class CliContext {
  exitCode = 0;

  constructor(readonly io: CliIO) {}

  client(flags: ServerFlags, kind: TokenKind = 'query'): HopscopeClient {
    return new HopscopeClient(resolveServer(flags, this.io.env, kind));
  }

  /** Colours for stdout; `color` is commander's `--no-color` (false when given). */
  colors(color?: boolean): Colors {
    return makeColors(shouldColor(this.io.stdout, this.io.env, color));
  }

  stderrColors(): Colors {
    return makeColors(shouldColor(this.io.stderr, this.io.env));
  }
}
