import { createWriteStream, existsSync } from 'node:fs';
import { readAuditEntries } from '../guardian/audit-log.js';
import { GUARDIAN_TABLES } from '../guardian/guardian-schema.js';
import { verifyStoreAudit } from '../guardian/paths.js';
import { openStore } from '../store/store.js';
import {
  checkCommand,
  parseCommandLine,
  processIo,
  storePathOf,
  UsageError,
  type CommandSpec,
  type Io,
} from './args.js';

const USAGE = `usage: fox audit <command> [--store PATH]
  verify [--json] [--require-signed-tail]
                               re-hash every entry and link, check the signed checkpoints;
                               with --require-signed-tail, entries after the last checkpoint fail it
  export [--out FILE] [--since SEQ]   write the log as JSONL (stdout by default)`;

const FLAGS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  'require-signed-tail': { type: 'boolean' },
  out: { type: 'string' },
  since: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What each command takes besides `--store`; anything else would be silently ignored. */
const COMMANDS: Record<string, CommandSpec> = {
  verify: { flags: ['json', 'require-signed-tail'], words: 1 },
  export: { flags: ['out', 'since'], words: 1 },
};

/** `fox audit verify|export`. Exit 0 ok, 1 tampering found, 2 usage. */
export async function auditMain(argv: readonly string[], io: Io = processIo): Promise<number> {
  let args;
  try {
    args = parseCommandLine(argv, FLAGS);
    if (!args.values.help) checkCommand(args, COMMANDS, ['store']);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`fox audit: ${err.message}\n${USAGE}`);
    return 2;
  }
  const [command] = args.positionals;
  if (!command || args.values.help) {
    io.err(USAGE);
    return args.values.help ? 0 : 2;
  }
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
      case 'export': {
        const sinceText = args.values.since ?? '0';
        const since = Number(sinceText);
        if (!Number.isInteger(since) || since < 0) throw new UsageError(`bad --since ${sinceText}`);
        const lines = readAuditEntries(db, since).map((e) => JSON.stringify(e));
        const out = args.values.out;
        if (out) {
          await new Promise<void>((resolve, reject) => {
            const s = createWriteStream(out, { mode: 0o600 });
            s.on('error', reject);
            s.end(lines.map((l) => l + '\n').join(''), () => resolve());
          });
          io.err(`wrote ${lines.length} entries to ${out}`);
        } else for (const l of lines) io.out(l);
        return 0;
      }
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
