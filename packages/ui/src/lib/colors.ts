// Stable, distinguishable colours per service. A hash picks the preferred palette slot so a
// service keeps its colour across pages and visits; when two services seen in this page's life
// hash to the same slot, the later one takes the next free slot so they never look alike.
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
  '#b8733a',
  '#25a0a8',
  '#b8569a',
  '#7f8c3d',
  '#5c7c9e',
];

const assigned = new Map<string, string>();
const taken = new Set<number>();

export function serviceColor(service: string): string {
  const known = assigned.get(service);
  if (known) return known;
  let h = 2166136261;
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  let slot = (h >>> 0) % PALETTE.length;
  if (taken.size < PALETTE.length) {
    while (taken.has(slot)) slot = (slot + 1) % PALETTE.length;
  }
  taken.add(slot);
  const color = PALETTE[slot];
  assigned.set(service, color);
  return color;
}
