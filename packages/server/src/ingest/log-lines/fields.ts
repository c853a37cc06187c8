import type { Attributes } from '../../store/records.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The parsed line's fields as the normaliser takes them apart: a Map-like view over the object
 * JSON.parse returned (which is ours to change), with taken keys remembered rather than copied
 * or deleted. What is left becomes the attributes. Cheaper than a Map copy per line.
 */
export class Fields {
  private taken: string[] = [];

  constructor(private readonly obj: Record<string, unknown>) {}

  has(key: string): boolean {
    return hasOwn.call(this.obj, key) && (this.taken.length === 0 || !this.taken.includes(key));
  }

  get(key: string): unknown {
    return this.has(key) ? this.obj[key] : undefined;
  }

  /** Marks the key as used: it will not be an attribute. */
  delete(key: string): void {
    if (hasOwn.call(this.obj, key) && !this.taken.includes(key)) this.taken.push(key);
  }

  set(key: string, value: unknown): void {
    defineOwn(this.obj, key, value);
    const i = this.taken.indexOf(key);
    if (i !== -1) this.taken.splice(i, 1);
  }

  /** Every field not taken, in the line's order, types kept. */
  rest(): Attributes {
    const out: Attributes = {};
    for (const key of Object.keys(this.obj)) {
      if (this.taken.length > 0 && this.taken.includes(key)) continue;
      defineOwn(out, key, this.obj[key]);
    }
    return out;
  }
}

/**
 * `obj[key] = value`, except that a `__proto__` key (JSON allows it) becomes an ordinary own
 * property instead of replacing the object's prototype.
 */
export function defineOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}
