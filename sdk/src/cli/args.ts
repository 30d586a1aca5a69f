import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_STORE_PATH } from '../store/store.js';

/** The flags a command takes, as `node:util` `parseArgs` options (declare them `as const`). */
export type Flags = NonNullable<ParseArgsConfig['options']>;

type StrictConfig<F extends Flags> = {
  args: string[];
  options: F;
  strict: true;
  allowPositionals: true;
  tokens: true;
};

/** The values of `flags` as parsed: a string or a boolean by type, absent when not given. */
export type FlagValues<F extends Flags> = ReturnType<typeof parseArgs<StrictConfig<F>>>['values'];

/** A parsed command line (see {@link parseCommandLine}). */
export interface CommandLine<F extends Flags> {
  values: FlagValues<F>;
  /** The arguments before `--` that are not flags or their values. */
  positionals: string[];
  /** Everything after the first `--`, untouched. */
  rest: string[];
}

/**
 * Parses a command line strictly with `node:util` `parseArgs`: a flag the command does not
 * take, a string flag without its value, or a boolean flag given one is a {@link UsageError}
 * naming it — a misspelled flag is never ignored (`--hsah H` must not approve whatever the
 * current payload is). `--flag value` and `--flag=value` both work. `rest` is everything
 * after the first `--`, untouched (a child command and its own flags); `positionals` are the
 * other arguments before it.
 */
export function parseCommandLine<const F extends Flags>(
  argv: readonly string[],
  flags: F,
): CommandLine<F> {
  const config: StrictConfig<F> = {
    args: [...argv],
    options: flags,
    strict: true,
    allowPositionals: true,
    tokens: true,
  };
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw usageErrorOf(err, argv, flags);
  }
  const end = parsed.tokens.find((t) => t.kind === 'option-terminator')?.index ?? argv.length;
  const positionals = parsed.tokens.flatMap((t) =>
    t.kind === 'positional' && t.index < end ? [t.value] : [],
  );
  return { values: parsed.values, positionals, rest: argv.slice(end + 1) };
}

/** What one subcommand takes: its own flags, its words (its name included), a `--` command. */
export interface CommandSpec {
  flags: readonly string[];
  words: number;
  /** Whether a command to run follows `--`. */
  rest?: boolean;
}

/**
 * Checks a parsed `fox <tool> <command> …` line against its command's spec. A flag the command
 * does not take (beyond `common`), an extra word, or a `--` command it does not run would each
 * be silently ignored, so each is a {@link UsageError}. No or an unknown command is left to the
 * caller, which names the problem.
 */
export function checkCommand(
  args: { values: object; positionals: readonly string[]; rest: readonly string[] },
  commands: Readonly<Record<string, CommandSpec>>,
  common: readonly string[],
): void {
  const [command] = args.positionals;
  if (command === undefined || !Object.hasOwn(commands, command)) return;
  const spec = commands[command]!;
  const flag = Object.keys(args.values).find((f) => !common.includes(f) && !spec.flags.includes(f));
  if (flag !== undefined) throw new UsageError(`${command} takes no --${flag}`);
  const extra = args.positionals[spec.words] ?? (spec.rest ? undefined : args.rest[0]);
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
}

/** A `fox <tool> <command> …` tool: its name, usage text, flags and commands. */
export interface SubcommandTool<F extends Flags> {
  /** The word after `fox` (`approvals`, `flows`, …), for messages. */
  name: string;
  usage: string;
  /** Its flags; `help` is the usage request. */
  flags: F;
  commands: Readonly<Record<string, CommandSpec>>;
  /** Flags every command takes (`store`). */
  common?: readonly string[];
}

/** A subcommand line that names a command to run. */
export interface Subcommand<F extends Flags> extends CommandLine<F> {
  command: string;
}

/**
 * Reads a `fox <tool> <command> …` line ({@link parseCommandLine} + {@link checkCommand}), or
 * says what to exit with when there is nothing to run: 2 with the message and the usage for a
 * bad line or no command, 0 with the usage for `--help`. An unknown command is left to the
 * tool, which names it.
 */
export function readSubcommand<const F extends Flags>(
  tool: SubcommandTool<F>,
  argv: readonly string[],
  io: Io,
): Subcommand<F> | number {
  let args: CommandLine<F>;
  let help = false;
  try {
    args = parseCommandLine(argv, tool.flags);
    // The values of a generic flag set are not indexable by name: read `help` plainly.
    help = (args.values as { help?: unknown }).help === true;
    if (!help) checkCommand(args, tool.commands, tool.common ?? []);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`fox ${tool.name}: ${err.message}\n${tool.usage}`);
    return 2;
  }
  const [command] = args.positionals;
  if (!command || help) {
    io.err(tool.usage);
    return help ? 0 : 2;
  }
  return { ...args, command };
}

/** A command line the command cannot run: exit 2 with the message and the usage. */
export class UsageError extends Error {}

function usageErrorOf(err: unknown, argv: readonly string[], flags: Flags): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // Node's message suggests moving the flag after `--`, which here would hand it to the
    // child command; name the flag ourselves. Strict and loose parses tokenise alike, so the
    // first unknown option of a loose parse is the one the strict parse refused.
    const { tokens } = parseArgs({
      args: [...argv],
      options: flags,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    const unknown = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(flags, t.name));
    if (unknown?.kind === 'option') return new UsageError(`unknown flag ${unknown.rawName}`);
  }
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
    return new UsageError((err as Error).message);
  }
  return err;
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

/** `--store`, else `FOX_STORE`, else {@link DEFAULT_STORE_PATH}. */
export function storePathOf(store: string | undefined): string {
  return store ?? process.env['FOX_STORE'] ?? DEFAULT_STORE_PATH;
}
