import type { OutStream } from '../io.js';
import { formatDuration } from './format.js';

export interface ProgressSnapshot {
  bytes: number;
  totalBytes?: number;
  lines: number;
}

/** One self-rewriting status line on a terminal (stderr), nothing elsewhere. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();
  private lastLength = 0;

  constructor(
    private readonly stream: OutStream,
    private readonly enabled: boolean,
    private readonly snapshot: () => ProgressSnapshot,
  ) {}

  start(): void {
    if (!this.enabled) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), 200);
    this.timer.unref();
  }

  /** A message that stays (rotation, waiting for a file), printed above the status line. */
  note(message: string): void {
    if (!this.enabled) return;
    this.clear();
    this.stream.write(`${message}\n`);
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private draw(): void {
    const { bytes, totalBytes, lines } = this.snapshot();
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(lines / seconds) : 0;
    const parts: string[] = [];
    if (totalBytes) {
      const fraction = Math.min(bytes / totalBytes, 1);
      const width = 24;
      const filled = Math.round(fraction * width);
      parts.push(
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`,
      );
      parts.push(`${mb(bytes)}/${mb(totalBytes)}`);
    } else {
      parts.push(mb(bytes));
    }
    parts.push(
      `${lines.toLocaleString('en')} lines`,
      `${rate.toLocaleString('en')} lines/s`,
      formatDuration(seconds * 1000),
    );
    const text = parts.join('  ');
    this.stream.write(`\r${text.padEnd(this.lastLength)}`);
    this.lastLength = text.length;
  }

  private clear(): void {
    if (this.lastLength === 0) return;
    this.stream.write(`\r${' '.repeat(this.lastLength)}\r`);
    this.lastLength = 0;
  }
}

function mb(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${(bytes / 1024).toFixed(0)} KB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
