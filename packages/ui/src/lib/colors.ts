// Stable, distinguishable colours per service. A hash picks the preferred palette slot; when
// two services hash to the same slot, the later one takes the next free slot so they never look
// alike (until there are more services than colours).
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

// Assignments are kept in localStorage so a service has the same colour on every page load.
const STORE_KEY = 'hopscope.serviceColors';
const assigned = new Map<string, string>();
const taken = new Set<number>();
try {
  const saved = JSON.parse(localStorage.getItem(STORE_KEY) ?? '{}') as Record<string, unknown>;
  for (const [service, slot] of Object.entries(saved)) {
    if (typeof slot === 'number' && PALETTE[slot]) {
      assigned.set(service, PALETTE[slot]);
      taken.add(slot);
    }
  }
} catch {
  // no storage (private mode) or a damaged entry: start afresh
}

function save(): void {
  try {
    const out: Record<string, number> = {};
    for (const [service, color] of assigned) out[service] = PALETTE.indexOf(color);
    localStorage.setItem(STORE_KEY, JSON.stringify(out));
  } catch {
    // colours then last for this page only
  }
}

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
  if (assigned.size <= 200) save(); // past that, hashing alone decides: no unbounded growth
  return color;
}
