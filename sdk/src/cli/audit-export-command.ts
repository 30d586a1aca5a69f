import { createWriteStream, type WriteStream } from 'node:fs';
import type { Clock } from '../clock/clock.js';
import type { SqliteDatabase as Database } from '../store/driver.js';
import { UsageError, type Io } from './args.js';
import { AuditExporter, resolveSince, type ExportRecord } from './audit-export.js';
import { toCef } from './cef.js';

export interface ExportFlags {
  out?: string;
  since?: string;
  format?: string;
  follow?: boolean;
  interval?: string;
}

/**
 * `fox audit export`: the records of {@link AuditExporter} as JSONL or CEF, once, or with
 * `--follow` every `--interval` ms (default 1000) until `signal` (SIGINT/SIGTERM) stops it.
 */
export async function runAuditExport(
  db: Database,
  storePath: string,
  flags: ExportFlags,
  io: Io,
  options: { clock: Clock; signal?: AbortSignal },
): Promise<number> {
  const format = flags.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'cef') {
    throw new UsageError(`bad --format ${format} (jsonl or cef)`);
  }
  const after = resolveSince(db, flags.since);
  if (after === undefined || after < 0) {
    throw new UsageError(`bad --since ${flags.since} (an entry's ULID or a sequence number)`);
  }
  const interval = Number(flags.interval ?? '1000');
  if (!Number.isInteger(interval) || interval < 10 || interval > 3_600_000) {
    throw new UsageError(`bad --interval ${flags.interval} (ms, 10..3600000)`);
  }
  if (flags.interval !== undefined && !flags.follow) {
    throw new UsageError('--interval needs --follow');
  }
  const render = format === 'cef' ? toCef : (r: ExportRecord) => JSON.stringify(r);
  const exporter = new AuditExporter(db, storePath, after, () => options.clock.wallNow());
  const file: WriteStream | undefined = flags.out
    ? createWriteStream(flags.out, { mode: 0o600, flags: 'w' })
    : undefined;
  let count = 0;
  const emit = (): void => {
    let chunk = '';
    for (const r of exporter.next()) {
      if (r.kind === 'entry') count++;
      if (file) chunk += render(r) + '\n';
      else io.out(render(r));
    }
    if (file && chunk) file.write(chunk);
  };
  try {
    emit();
    if (flags.follow) await follow(emit, interval, options.clock, options.signal);
  } finally {
    if (file) {
      await new Promise<void>((resolve, reject) => {
        file.on('error', reject);
        file.end(() => resolve());
      });
      io.err(`wrote ${count} entries to ${flags.out}`);
    }
  }
  return 0;
}

/** Calls `emit` every `ms` until the signal (or, by default, SIGINT/SIGTERM) stops it. */
async function follow(
  emit: () => void,
  ms: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stop = signal ?? processStopSignal();
  await new Promise<void>((resolve, reject) => {
    let timer = clock.setTimeout(tick, ms);
    function tick(): void {
      try {
        emit();
      } catch (err) {
        stop.removeEventListener('abort', done);
        reject(err as Error);
        return;
      }
      timer = clock.setTimeout(tick, ms);
    }
    function done(): void {
      clock.clearTimeout(timer);
      // What was appended since the last tick still goes out before the export ends.
      try {
        emit();
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    }
    if (stop.aborted) done();
    else stop.addEventListener('abort', done, { once: true });
  });
}

function processStopSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
