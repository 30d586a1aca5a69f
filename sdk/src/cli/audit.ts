import { existsSync } from 'node:fs';
import { systemClock, type Clock } from '../clock/clock.js';
import { GUARDIAN_TABLES } from '../guardian/guardian-schema.js';
import { verifyStoreAudit } from '../guardian/paths.js';
import { openStore } from '../store/store.js';
import {
  type CommandSpec,
  type Io,
  processIo,
  readSubcommand,
  storePathOf,
  UsageError,
} from './args.js';
import { runAuditExport } from './audit-export-command.js';

const USAGE = `usage: fox audit <command> [--store PATH]
  verify [--json] [--require-signed-tail]
                               re-hash every entry and link, check the signed checkpoints;
                               with --require-signed-tail, entries after the last checkpoint fail it
  export [--format jsonl|cef] [--since ULID|SEQ] [--follow] [--interval MS] [--out FILE]
                               write each entry with its hash and the signed checkpoints
                               (stdout by default) for a receiver to verify on its own
                               (docs/audit-export.md); --follow keeps tailing new entries`;

const FLAGS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  'require-signed-tail': { type: 'boolean' },
  out: { type: 'string' },
  since: { type: 'string' },
  format: { type: 'string' },
  follow: { type: 'boolean' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What each command takes besides `--store`; anything else would be silently ignored. */
const COMMANDS: Record<string, CommandSpec> = {
  verify: { flags: ['json', 'require-signed-tail'], words: 1 },
  export: { flags: ['out', 'since', 'format', 'follow', 'interval'], words: 1 },
};

const TOOL = { name: 'audit', usage: USAGE, flags: FLAGS, commands: COMMANDS, common: ['store'] };

/** What tests hand `fox audit` instead of the process's own. */
export interface AuditMainOptions {
  /** Stops `export --follow` (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
  clock?: Clock;
}

/** `fox audit verify|export`. Exit 0 ok, 1 tampering found, 2 usage. */
export async function auditMain(
  argv: readonly string[],
  io: Io = processIo,
  options: AuditMainOptions = {},
): Promise<number> {
  const args = readSubcommand(TOOL, argv, io);
  if (typeof args === 'number') return args;
  const { command } = args;
  const storePath = storePathOf(args.values.store);
  if (!existsSync(storePath)) {
    io.err(`fox audit: no store at ${storePath} (use --store PATH)`);
    return 2;
  }
  let store;
  try {
    store = openStore({ path: storePath });
  } catch (err) {
    // A file too damaged to open is a failed verification, not a usage error.
    io.err(`fox audit: cannot open ${storePath}: ${(err as Error).message}`);
    return 1;
  }
  // Reads only: no key is created and nothing is signed from here.
  const db = store.use(GUARDIAN_TABLES);
  try {
    switch (command) {
      case 'verify': {
        const r = verifyStoreAudit(db, storePath);
        const tailFails = args.values['require-signed-tail'] === true && r.unsignedTail > 0;
        if (tailFails) {
          r.problems.push({
            seq: r.checkpointedTo + 1,
            problem: `${r.unsignedTail} entries after the last checkpoint are not signed`,
          });
          r.ok = false;
        }
        if (args.values.json) io.out(JSON.stringify(r, null, 2));
        else {
          io.out(
            `${r.ok ? 'OK' : 'TAMPERED'}: ${r.entries} entries, ${r.checkpoints} checkpoints, ` +
              `signed through seq ${r.checkpointedTo}, ${r.unsignedTail} unsigned after it`,
          );
          io.out(`  key ${r.keyId || '(none)'}`);
          for (const p of r.problems) io.out(`  seq ${p.seq ?? '-'}: ${p.problem}`);
        }
        return r.ok ? 0 : 1;
      }
      case 'export':
        return await runAuditExport(db, storePath, args.values, io, {
          clock: options.clock ?? systemClock,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`fox audit: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  } finally {
    // Verification reads only; do not write a checkpoint from here.
    store.close();
  }
}
