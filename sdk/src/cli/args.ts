/** Parsed command line: positionals, `--flag value` / `--flag=value` options, and `--` rest. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
  rest: string[];
}

/** `booleans` lists flags that take no value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options.set(a.slice(2, eq), a.slice(eq + 1));
      else if (booleans.includes(a.slice(2))) options.set(a.slice(2), true);
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
        options.set(a.slice(2), v);
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, options, rest };
}

export class UsageError extends Error {}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Output streams, injectable for tests. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** `--store`, else `FOX_STORE`, else `.fox/fox.db`. */
export function storePathOf(args: ParsedArgs): string {
  return stringOption(args, 'store') ?? process.env['FOX_STORE'] ?? '.fox/fox.db';
}
