import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Frames inside the SDK (the logger, timed(), middleware) are skipped: the callsite is user code.
const sdkRoot = fileURLToPath(new URL('../', import.meta.url));
const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):\d+\)?$/;

export interface Callsite {
  filename: string;
  lineno: number;
}

/** Where the logging call was made; costs a stack capture, so it is opt-in (`logCallsite`). */
export function captureCallsite(): Callsite | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 20;
  Error.captureStackTrace(holder, captureCallsite);
  Error.stackTraceLimit = limit;
  const lines = holder.stack?.split('\n') ?? [];
  for (let i = 1; i < lines.length; i++) {
    const match = FRAME.exec(lines[i].trim());
    if (match === null) continue;
    let file = match[1];
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (file.startsWith(sdkRoot) || file.startsWith('node:') || file.includes('/node_modules/')) {
      continue;
    }
    return { filename: relative(process.cwd(), file) || file, lineno: Number(match[2]) };
  }
  return undefined;
}
