import { fox, type TaskStats } from '@fox/sdk';
import { startLoad } from './load.js';
import { startService } from './service.js';

/**
 * The Fox demo: a small HTTP service (CPU-heavy, I/O-heavy and flaky endpoints) and a built-in
 * load generator. `npm start` runs it under `fox profile`, so the numbers appear live in the
 * browser. Options:
 *   --duration 10s   stop after this long (default: run until Ctrl-C)
 *   --port 3000      service port (default: a free one)
 *   --concurrency 8  load generator loops (0: no load, serve only)
 *   --think 5        ms between a loop's requests
 */

const args = parseArgs(process.argv.slice(2));
const { url, server } = await startService(args.port);
console.log(`fox demo: service at ${url} (endpoints /cpu /stock /quote /order)`);

const load =
  args.concurrency > 0
    ? startLoad({
        baseUrl: url,
        concurrency: args.concurrency,
        thinkMs: args.thinkMs,
        ...(args.durationMs === undefined ? {} : { durationMs: args.durationMs }),
      })
    : undefined;
console.log(
  load
    ? `fox demo: load generator running with ${args.concurrency} loops` +
        (args.durationMs === undefined ? ' (Ctrl-C to stop)' : ` for ${args.durationMs} ms`)
    : 'fox demo: no load generator (--concurrency 0)',
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  load?.stop();
  const result = await load?.done;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  if (result) {
    console.log(
      `\n${result.requests} requests, ${result.failures} failed ${JSON.stringify(result.byStatus)}\n`,
    );
  }
  printTable(fox.stats().tasks);
  await fox.shutdown();
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (args.durationMs !== undefined) setTimeout(() => void stop(), args.durationMs);
else if (!load) await new Promise<never>(() => {});

function parseArgs(argv: string[]) {
  const out = { port: 0, concurrency: 8, thinkMs: 2, durationMs: undefined as number | undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--duration') out.durationMs = parseDuration(value());
    else if (flag === '--port') out.port = Number(value());
    else if (flag === '--concurrency') out.concurrency = Number(value());
    else if (flag === '--think') out.thinkMs = Number(value());
    else throw new Error(`fox demo: unknown option ${flag}`);
  }
  return out;
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`fox demo: bad duration '${text}' (try 10s, 500ms, 2m)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

function printTable(tasks: TaskStats[]): void {
  const rows = tasks.map((t) => ({
    task: t.id,
    mode: t.current,
    calls: String(t.calls),
    errors: String(t.errors),
    'p50 ms': t.latency.p50.toFixed(3),
    'p99 ms': t.latency.p99.toFixed(3),
    limit: t.limit === null ? '-' : t.limit.toFixed(0),
  }));
  const headers = Object.keys(rows[0] ?? { task: '' }) as (keyof (typeof rows)[number])[];
  const width = (h: (typeof headers)[number]) =>
    Math.max(h.length, ...rows.map((r) => r[h].length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width(headers[i]!))).join('  ');
  console.log(line(headers));
  console.log(line(headers.map((h) => '-'.repeat(width(h)))));
  for (const r of rows) console.log(line(headers.map((h) => r[h])));
}
