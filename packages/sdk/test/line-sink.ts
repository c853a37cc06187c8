import { Writable } from 'node:stream';

/** A destination that keeps every line written to it, parsed. */
export class LineSink extends Writable {
  readonly raw: string[] = [];
  constructor() {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: (error?: Error | null) => void) {
    for (const line of String(chunk).split('\n')) if (line !== '') this.raw.push(line);
    done();
  }
  get lines(): Record<string, unknown>[] {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  find(event: string): Record<string, unknown> {
    const line = this.lines.find((l) => l.event === event);
    if (line === undefined)
      throw new Error(`no line with event ${event} in:\n${this.raw.join('\n')}`);
    return line;
  }
}
