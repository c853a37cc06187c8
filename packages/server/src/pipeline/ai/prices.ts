import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** USD per 1M tokens. */
const rates = {
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative().optional(),
  cache_creation: z.number().nonnegative().optional(),
};

const tierSchema = z.object({ above_input_tokens: z.number().int().positive(), ...rates }).strict();

const entrySchema = z
  .object({
    match: z.array(z.string().min(1)).min(1),
    provider: z.string().optional(),
    ...rates,
    tiers: z.array(tierSchema).optional(),
  })
  .strict();

export const priceFileSchema = z.object({
  as_of: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
  currency: z.literal('USD').optional(),
  unit: z.string().optional(),
  note: z.string().optional(),
  models: z.array(entrySchema),
});

export type PriceFile = z.infer<typeof priceFileSchema>;
export type PriceEntry = z.infer<typeof entrySchema>;
export type Rates = Pick<PriceEntry, 'input' | 'output' | 'cache_read' | 'cache_creation'>;

interface CompiledEntry {
  entry: PriceEntry;
  patterns: RegExp[];
  /** Literal characters of the longest pattern: the more specific entry wins a tie. */
  specificity: number;
  /** User entries are tried before shipped ones. */
  user: boolean;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** A model name as a price pattern sees it: `openai/gpt-4o` and `models/gemini-…` lose their prefix. */
export function bareModel(model: string): string {
  const m = model.trim().toLowerCase();
  const slash = m.lastIndexOf('/');
  return slash >= 0 ? m.slice(slash + 1) : m;
}

export class PriceTable {
  readonly asOf: string;
  readonly userAsOf?: string;
  private readonly entries: CompiledEntry[];
  private readonly cache = new Map<string, PriceEntry | null>();

  /** The files this table was built from, as data (so a worker thread can build the same). */
  readonly files: { shipped: PriceFile; user?: PriceFile };

  constructor(shipped: PriceFile, user?: PriceFile) {
    this.files = { shipped, user };
    this.asOf = shipped.as_of;
    this.userAsOf = user?.as_of;
    const compile = (entry: PriceEntry, isUser: boolean): CompiledEntry => ({
      entry,
      patterns: entry.match.map(globToRegExp),
      specificity: Math.max(...entry.match.map((p) => p.replaceAll('*', '').length)),
      user: isUser,
    });
    this.entries = [
      ...(user?.models ?? []).map((e) => compile(e, true)),
      ...shipped.models.map((e) => compile(e, false)),
    ];
  }

  /** The entry pricing `model`: a user entry if any matches, else the most specific shipped one. */
  find(model: string): PriceEntry | undefined {
    const key = bareModel(model);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let best: CompiledEntry | undefined;
    for (const c of this.entries) {
      if (!c.patterns.some((p) => p.test(key))) continue;
      if (c.user) {
        best = c;
        break;
      }
      if (!best || c.specificity > best.specificity) best = c;
    }
    if (this.cache.size > 10_000) this.cache.clear(); // model names come from clients: bound it
    this.cache.set(key, best?.entry ?? null);
    return best?.entry;
  }
}

/** Parses a price file, naming the file and the first bad field. */
export function parsePriceFile(text: string, source: string): PriceFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`price file ${source}: not JSON (${(err as Error).message})`);
  }
  const parsed = priceFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new Error(`price file ${source}: ${where}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The shipped table sits beside this module in src/; a build in dist/ reads the one in src/
 * (the package ships both).
 */
function shippedPath(): string {
  const here = fileURLToPath(new URL('./prices.json', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../../src/pipeline/ai/prices.json', import.meta.url));
}

let shipped: PriceFile | undefined;

export function shippedPrices(): PriceFile {
  if (!shipped) {
    const path = shippedPath();
    shipped = parsePriceFile(readFileSync(path, 'utf8'), path);
  }
  return shipped;
}

/** The shipped table, overridden by the user's file when given. Throws on a bad file. */
export function loadPriceTable(userFile?: string): PriceTable {
  let user: PriceFile | undefined;
  if (userFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(userFile, 'utf8');
    } catch (err) {
      throw new Error(
        `price file ${userFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
    }
    user = parsePriceFile(text, userFile);
  }
  return new PriceTable(shippedPrices(), user);
}
