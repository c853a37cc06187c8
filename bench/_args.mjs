// Command-line numbers for the bench suites: `--name=N` (through bench/run.mjs) or `--name N`
// (running a suite file directly); underscores allowed (`--spans=10_000_000`).

/** The positive integer given for `--name`, or `fallback`; exits 2 with a message when malformed. */
export function intArg(argv, name, fallback) {
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  const i = argv.indexOf(`--${name}`);
  const value = eq ? eq.slice(name.length + 3) : i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined) return fallback;
  const n = Number(String(value).replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name}: expected a positive integer, got ${value}`);
    process.exit(2);
  }
  return n;
}

/** A comma-separated list of positive integers for `--name` (`--sizes=1000,50_000`), or `fallback`. */
export function intListArg(argv, name, fallback) {
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  const i = argv.indexOf(`--${name}`);
  const value = eq ? eq.slice(name.length + 3) : i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined) return fallback;
  return String(value)
    .split(',')
    .map((part) => intArg([`--${name}=${part}`], name, undefined));
}
