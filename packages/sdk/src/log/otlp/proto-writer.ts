/**
 * The protobuf wire primitives OTLP logs and traces requests need, written into one growable Buffer.
 * Length-delimited fields reserve a single length byte and move their body only when it turns
 * out longer than 127 bytes, so nested messages are written in one pass without sizing them
 * first. Strings are UTF-8 encoded by Buffer (native), not character by character.
 */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize: number) {
    this.buf = Buffer.allocUnsafe(Math.max(256, initialSize));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A field's tag (`field << 3 | wireType`): one byte for fields < 16, two up to 2047. */
  tag(field: number, wireType: number): void {
    this.reserve(2);
    const t = (field << 3) | wireType;
    if (t < 128) this.buf[this.pos++] = t;
    else {
      this.buf[this.pos++] = (t & 127) | 128;
      this.buf[this.pos++] = t >>> 7;
    }
  }

  /** A non-negative integer up to 2^64 − 1 (exactly representable ones). */
  varint(n: number): void {
    this.reserve(10);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 128) {
      buf[pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /** A signed int64 as protobuf writes it (negatives as 10-byte two's complement). */
  int64(n: number): void {
    if (n >= 0) {
      this.varint(n);
      return;
    }
    this.reserve(10);
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 128n) {
      this.buf[this.pos++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  double(n: number): void {
    this.reserve(8);
    this.buf.writeDoubleLE(n, this.pos);
    this.pos += 8;
  }

  fixed32(n: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** Unix epoch milliseconds as fixed64 nanoseconds, exactly (ms × 10^6 exceeds 2^53). */
  fixed64Nanos(ms: number): void {
    const high16 = Math.floor(ms / 65_536); // ms = high16 × 2^16 + low16
    const low16 = ms - high16 * 65_536;
    const fromLow = low16 * 1e6; // < 2^36, exact
    const fromHigh = high16 * 1e6; // < 2^45, exact; stands for fromHigh × 2^16
    const lowWord = (fromHigh % 65_536) * 65_536 + fromLow; // < 2^37, exact
    this.reserve(8);
    this.buf.writeUInt32LE(lowWord % 4_294_967_296, this.pos);
    this.buf.writeUInt32LE(
      (Math.floor(fromHigh / 65_536) + Math.floor(lowWord / 4_294_967_296)) >>> 0,
      this.pos + 4,
    );
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string (length prefix included). */
  string(s: string): void {
    const length = s.length;
    if (length < 43) {
      // at most 3 bytes per UTF-16 unit: ≤ 126 bytes, a one-byte length
      this.reserve(1 + length * 3);
      const buf = this.buf;
      const start = this.pos + 1;
      // short ASCII (keys, levels, IDs, most values) is copied here: cheaper than a call into
      // the native encoder for a few bytes
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 128) break;
        buf[start + i] = c;
      }
      const n = i === length ? length : buf.write(s, start);
      buf[this.pos] = n;
      this.pos = start + n;
      return;
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.reserve(n);
    this.buf.write(s, this.pos, n);
    this.pos += n;
  }

  /** Bytes already encoded elsewhere, copied as they are. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Starts a length-delimited body with `lengthBytes` reserved for its length (a guess of its
   * size: 1 below 128 bytes, 2 below 16 KiB, 3 below 2 MiB); pass the result to `end()` once
   * the body is written.
   */
  begin(lengthBytes: 1 | 2 | 3 = 1): number {
    this.reserve(lengthBytes);
    const at = this.pos;
    this.pos += lengthBytes;
    return at * 4 + lengthBytes;
  }

  /**
   * Writes the length of the body `begin()` started, moving the body when its length needs
   * another number of bytes than were reserved (the bytes are the same either way).
   */
  end(started: number): void {
    const reserved = started % 4;
    const at = (started - reserved) / 4;
    const len = this.pos - at - reserved;
    let size = 1;
    for (let v = len; v >= 128; v = Math.floor(v / 128)) size++;
    if (size !== reserved) {
      if (size > reserved) this.reserve(size - reserved);
      this.buf.copyWithin(at + size, at + reserved, this.pos);
      this.pos += size - reserved;
    }
    const buf = this.buf;
    let v = len;
    let i = at;
    while (v >= 128) {
      buf[i++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    buf[i] = v;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
