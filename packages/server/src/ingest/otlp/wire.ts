/**
 * A minimal protobuf wire-format reader over a Buffer: just what the OTLP decoders need.
 * Every read is bounds-checked against the end of the enclosing message and throws WireError,
 * so truncated or random input fails fast with the byte offset instead of hanging or crashing.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
}

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

/** Slots of the repeated-string cache (a power of two) and the longest string it keeps. */
const CACHE_SLOTS = 2048;
const CACHE_MAX_BYTES = 64;
const cachedBytes: (Uint8Array | undefined)[] = new Array(CACHE_SLOTS);
const cachedText: string[] = new Array(CACHE_SLOTS);

/**
 * Buffer's own UTF-8 decoder, called directly: toString('utf8', start, end) reaches the same
 * call through two JavaScript frames of argument checks, ~8% of a worker's decode time for
 * short attribute values. Bounds are the caller's (len() checked them).
 */
function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);
}

export class Wire {
  pos: number;
  readonly view: DataView;

  constructor(
    readonly buf: Buffer,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Unsigned varint up to 2^53 (tags, lengths, enums, counts). */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** Signed 64-bit varint (int64 two's complement): a JS number when exact, else a decimal string. */
  int64(): number | string {
    const start = this.pos;
    const low = this.varint();
    if (low <= Number.MAX_SAFE_INTEGER && this.pos - start < 8) return low;
    // Slow path: re-read with BigInt for full 64-bit precision and sign.
    this.pos = start;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
    }
    const signed = BigInt.asIntN(64, result);
    const n = Number(signed);
    return Number.isSafeInteger(n) ? n : signed.toString();
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new WireError(`truncated fixed64 at byte ${this.pos}`);
    // DataView's getter makes one BigInt; Buffer's readBigUInt64LE builds it from several.
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireError(`truncated double at byte ${this.pos}`);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Start of a length-delimited field's payload; its end is left in `lenEnd`. */
  lenEnd = 0;
  len(): number {
    const n = this.varint();
    const start = this.pos;
    if (n > this.end - start) {
      throw new WireError(`length ${n} at byte ${start} runs past the end of its message`);
    }
    this.lenEnd = start + n;
    this.pos = this.lenEnd;
    return start;
  }

  string(): string {
    const start = this.len();
    return utf8(this.buf, start, this.lenEnd);
  }

  /**
   * A string field whose values repeat across messages (attribute keys, span names): decoded
   * once per thread and handed out again when the same bytes come back, which saves a native
   * decode and a new string per field, and lets later Map lookups and comparisons hit the same
   * string. Keyed by the bytes themselves (hashed, then compared), so it is exact.
   */
  repeatedString(): string {
    const start = this.len();
    const end = this.lenEnd;
    const n = end - start;
    if (n === 0) return '';
    const buf = this.buf;
    if (n > CACHE_MAX_BYTES) return utf8(buf, start, end);
    let h = n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
    const seen = cachedBytes[slot];
    if (seen !== undefined && seen.length === n) {
      let i = 0;
      while (i < n && seen[i] === buf[start + i]) i++;
      if (i === n) return cachedText[slot]!;
    }
    const text = utf8(buf, start, end);
    cachedBytes[slot] = Uint8Array.prototype.slice.call(buf, start, end);
    cachedText[slot] = text;
    return text;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        if (this.pos + 8 > this.end) throw new WireError(`truncated fixed64 at byte ${this.pos}`);
        this.pos += 8;
        return;
      case LEN:
        this.len();
        return;
      case FIXED32:
        if (this.pos + 4 > this.end) throw new WireError(`truncated fixed32 at byte ${this.pos}`);
        this.pos += 4;
        return;
      default:
        throw new WireError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /** A field's expected wire type; a mismatch means the bytes are not this message. */
  expect(field: number, wireType: number, want: number): void {
    if (wireType !== want) {
      throw new WireError(
        `field ${field} has wire type ${wireType}, expected ${want} (byte ${this.pos})`,
      );
    }
  }
}
