import { createWriteStream, existsSync } from 'node:fs';
import { openAuditLog } from '../guardian/paths.js';
import { openStore } from '../store/store.js';
import { parseArgs, processIo, stringOption, storePathOf, UsageError, type Io } from './args.js';

const USAGE = `usage: fox audit <command> [--store PATH]
  verify [--json]              re-hash every entry and link, check the signed checkpoints
  export [--out FILE] [--since SEQ]   write the log as JSONL (stdout by default)`;

/** `fox audit verify|export`. Exit 0 ok, 1 tampering found, 2 usage. */
export async function auditMain(argv: readonly string[], io: Io = processIo): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, ['json', 'help']);
  } catch (err) {
    io.err(`fox audit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = args.positionals;
  if (!command || args.options.has('help')) {
    io.err(USAGE);
    return command ? 0 : 2;
  }
  const storePath = storePathOf(args);
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
  const audit = openAuditLog(store.connection(), storePath);
  try {
    switch (command) {
      case 'verify': {
        const r = audit.verify();
        if (args.options.has('json')) io.out(JSON.stringify(r, null, 2));
        else {
          io.out(
            `${r.ok ? 'OK' : 'TAMPERED'}: ${r.entries} entries, ${r.checkpoints} checkpoints, ` +
              `signed through seq ${r.checkpointedTo}`,
          );
          for (const p of r.problems) io.out(`  seq ${p.seq ?? '-'}: ${p.problem}`);
        }
        return r.ok ? 0 : 1;
      }
      case 'export': {
        const sinceText = stringOption(args, 'since') ?? '0';
        const since = Number(sinceText);
        if (!Number.isInteger(since) || since < 0) throw new UsageError(`bad --since ${sinceText}`);
        const lines = audit.entries(since).map((e) => JSON.stringify(e));
        const out = stringOption(args, 'out');
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
