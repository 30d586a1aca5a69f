import { resolve } from 'node:path';
import { fox, type TaskStats } from '@fox/sdk';
import { writeCatalog } from './catalog-files.js';
import { catalogDir, configureFox, EXPERIMENT_FILE } from './configure-fox.js';
import { startLoad } from './load.js';
import { buildOrderFlow } from './order-flow.js';
import { inventory, partner, startService } from './service.js';
import { parseDuration, settings } from './settings.js';
import { summaryText, SwitchWatch } from './summary.js';

/**
 * The Fox demo: a small HTTP service with an endpoint for every strategy (tfox CPU work, an mfox
 * fan-out of file reads, a wfox database that saturates, an `auto` task the guardian holds for
 * approval), a partner API that degrades on a schedule, a bundled chaos experiment, one
 * order-processing flow run every few seconds, and a built-in load generator. `npm start` runs
 * it under `fox profile`, so all of it shows live in the browser. Options:
 *   --duration 10s   stop after this long (default: FOX_DEMO_DURATION, else until Ctrl-C)
 *   --port 3000      service port (default: a free one)
 *   --concurrency 8  load generator loops (0: no load, serve only)
 *   --think 5        ms between a loop's requests
 * Environment: FOX_DEMO_SPEED, FOX_DEMO_DURATION, FOX_DEMO_STORE, FOX_DEMO_CHAOS=off,
 * FOX_APPROVER (see settings.ts).
 */

const args = parseArgs(process.argv.slice(2));
configureFox(settings);
writeCatalog(catalogDir(settings));
const { url, server } = await startService(args.port);
console.log(`fox demo: service at ${url} (endpoints /cpu /forecast /catalog /stock /quote /order)`);
console.log(
  `fox demo: auto's proposals wait for ${settings.approver}: approve in the profiler page, or ` +
    `npx fox approvals approve <id> --as ${settings.approver} --store ${settings.storePath}`,
);
if (settings.chaos && process.env.FOX_CHAOS) {
  console.log(
    `fox demo: chaos experiment ${EXPERIMENT_FILE} is proposed: approve it in the page to ` +
      `start it; stop it with the page's "Stop chaos" or npx fox chaos kill --store ${settings.storePath}`,
  );
}

const watch = new SwitchWatch();
const orderFlow = buildOrderFlow(inventory, partner);
let flowRuns = 0;
const flowTimer = setInterval(() => {
  flowRuns++;
  orderFlow
    .run({ line: `SKU-${String(flowRuns % 500).padStart(4, '0')};${1 + (flowRuns % 5)}` })
    .catch((err: unknown) => console.error(`fox demo: flow run failed: ${(err as Error).message}`));
}, settings.flowEveryMs);

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
  clearInterval(flowTimer);
  load?.stop();
  const result = await load?.done;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  if (result) {
    console.log(
      `\n${result.requests} requests, ${result.failures} failed ${JSON.stringify(result.byStatus)}\n`,
    );
  }
  watch.stop();
  const tasks = fox.stats().tasks;
  printTable(tasks);
  await fox.shutdown();
  try {
    console.log(
      `\n${summaryText({ storePath: settings.storePath, switches: watch.switches, tasks })}`,
    );
  } catch (err) {
    // The summary reads the store back; the run itself is saved either way.
    console.error(`fox demo: no summary (${(err as Error).message}); store: ${settings.storePath}`);
    process.exitCode = 1;
  }
  if (process.env.FOX_PROFILER) {
    console.log(
      `profiler report: ${resolve('.fox/reports')} (fox profile prints its file as it exits)`,
    );
  }
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (args.durationMs !== undefined) setTimeout(() => void stop(), args.durationMs);
else if (!load) await new Promise<never>(() => {});

function parseArgs(argv: string[]) {
  const out = {
    port: 0,
    concurrency: 8,
    thinkMs: 2,
    durationMs: settings.durationMs,
  };
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

function printTable(tasks: TaskStats[]): void {
  const rows = tasks.map((t) => ({
    task: t.id,
    mode: t.mode === t.current ? t.current : `${t.mode}→${t.current}`,
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
