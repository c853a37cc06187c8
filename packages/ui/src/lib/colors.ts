// Stable, distinguishable colours per service: a hash picks a hue from a fixed palette so the same
// service has the same colour on every page and every visit.
const PALETTE = [
  '#4f6bed',
  '#f0803c',
  '#2bb39b',
  '#c04fd6',
  '#e0b32c',
  '#3aa3e3',
  '#e2557b',
  '#6cbf3f',
  '#8a6cf0',
  '#d8743a',
  '#25a0a8',
  '#b8569a',
];

const cache = new Map<string, string>();

export function serviceColor(service: string): string {
  let c = cache.get(service);
  if (!c) {
    let h = 2166136261;
    for (let i = 0; i < service.length; i++) {
      h ^= service.charCodeAt(i);
      h = Math.imul(h, 16777619);
    }
    c = PALETTE[(h >>> 0) % PALETTE.length];
    cache.set(service, c);
  }
  return c;
}
