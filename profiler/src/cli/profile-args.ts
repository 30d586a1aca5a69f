import { parseArgs } from 'node:util';
import { DEFAULT_STORE_PATH } from '@fox/sdk/store';
import { DEFAULT_REPORTS_DIR } from '../report/report.js';

/** A `fox profile` command line, parsed. */
export interface ProfileArgs {
  /** The program to run (after `--`); empty with `--report` or `--help`. */
  command: string[];
  /** `--port`, as given (validated by the caller). */
  port: string | undefined;
  token: string | undefined;
  /** The store path, or false with `--no-store`. */
  store: string | false;
  /** The reports folder, or false with `--no-report`. */
  reports: string | false;
  quiet: boolean;
  approver: string | undefined;
  /** `--report <db>`: write the report of a stored run, run nothing. */
  report: string | undefined;
  session: string | undefined;
  help: boolean;
}

const AFTER_SEPARATOR = '(the command goes after --)';

/** A command line `fox profile` cannot run; the message names what is wrong. */
export class ProfileUsageError extends Error {}

const FLAGS = {
  port: { type: 'string' },
  token: { type: 'string' },
  store: { type: 'string' },
  'no-store': { type: 'boolean' },
  reports: { type: 'string' },
  'no-report': { type: 'boolean' },
  quiet: { type: 'boolean' },
  approver: { type: 'string' },
  report: { type: 'string' },
  session: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parses `fox profile [options] -- <command> [args…]` strictly (`node:util` `parseArgs`): an
 * unknown flag, a flag without its value, or a flag that would be ignored is a
 * {@link ProfileUsageError} naming it. Everything after the first `--` is the command,
 * untouched. Without `--`, a line that starts with a flag is all options (`--report <db>`,
 * `--help`) and any other line is all command (`fox profile node app.js`).
 */
export function parseProfileArgs(argv: readonly string[]): ProfileArgs {
  const sep = argv.indexOf('--');
  const optionsOnly = sep < 0 && (argv[0]?.startsWith('-') ?? false);
  const options = sep >= 0 ? argv.slice(0, sep) : optionsOnly ? [...argv] : [];
  const command = sep >= 0 ? argv.slice(sep + 1) : optionsOnly ? [] : [...argv];
  let parsed;
  try {
    parsed = parseArgs({ args: options, options: FLAGS, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageErrorOf(err, options);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 0) {
    throw new ProfileUsageError(`unexpected argument '${positionals[0]}' ${AFTER_SEPARATOR}`);
  }
  if (v.store !== undefined && v['no-store'])
    throw new ProfileUsageError('--store or --no-store, not both');
  if (v.reports !== undefined && v['no-report']) {
    throw new ProfileUsageError('--reports or --no-report, not both');
  }
  if (v.session !== undefined && v.report === undefined) {
    throw new ProfileUsageError('--session goes with --report <store.db>');
  }
  return {
    command,
    port: v.port,
    token: v.token,
    store: v['no-store'] ? false : (v.store ?? DEFAULT_STORE_PATH),
    reports: v['no-report'] ? false : (v.reports ?? DEFAULT_REPORTS_DIR),
    quiet: v.quiet === true,
    approver: v.approver,
    report: v.report,
    session: v.session,
    help: v.help === true,
  };
}

function usageErrorOf(err: unknown, args: readonly string[]): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return err;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // Node's message suggests putting the flag after `--`, which would hand it to the program.
    // Loose and strict parses tokenise alike: the first unknown option is the one refused.
    const { tokens } = parseArgs({ args: [...args], options: FLAGS, strict: false, tokens: true });
    const unknown = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(FLAGS, t.name));
    if (unknown?.kind === 'option') {
      // A word before it: likely a program given without `--`, whose flags are not ours.
      const word = tokens.some((t) => t.kind === 'positional' && t.index < unknown.index);
      return new ProfileUsageError(
        `unknown flag ${unknown.rawName}${word ? ` ${AFTER_SEPARATOR}` : ''}`,
      );
    }
  }
  return new ProfileUsageError((err as Error).message);
}
