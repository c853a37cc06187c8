/**
 * Index keys (trace IDs, request/trace pairs) this process has sent to DuckDB lately. A key not
 * in here is most likely new, so its row is plainly INSERTed: any ON CONFLICT clause costs DuckDB
 * ~4 ms per statement plus ~6 µs per row (bench/RESULTS.md). A key written before a restart or
 * forgotten since makes the plain INSERT fail; the store then redoes that group with upserts.
 * Two generations bound the memory: when one fills, the older is dropped.
 */
export class RecentKeys {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(private readonly perGeneration = 250_000) {}

  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  add(key: string): void {
    this.current.add(key);
    if (this.current.size >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Set();
    }
  }
}
