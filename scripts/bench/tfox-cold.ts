import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, table, type BenchSection } from './report.js';

/**
 * Cold start of tfox: how long the first calls of a program take, with the pool's prewarm (on
 * by default) and without it (`pool: { prewarm: false }`). Every measurement is a fresh process
 * (a warm pool or module cache would hide what is measured): it registers a tfox task whose
 * call holds a thread for 45 ms, waits (start-up going on, or a server waiting for its first
 * request), then times the first call alone, or the first 8 calls at once. Variants alternate
 * within each round, so machine noise hits them alike; medians over the rounds are reported.
 */

const run = promisify(execFile);
const self = fileURLToPath(import.meta.url);
const CALL_MS = 45;
const BURST = 8;
/** Time between registration and the first call: an idle start-up. */
const IDLE_MS = 1000;

type Scenario = 'first' | 'burst';
interface Variant {
  name: string;
  scenario: Scenario;
  prewarm: boolean;
  waitMs: number;
}
interface ChildResult {
  /** Time of the measured calls, ms. */
  ms: number;
  /** From registration until the first prewarmed worker had imported the task (-1: never). */
  firstReadyMs: number;
  /** … until every prewarmed worker had (-1: not before the calls ended). */
  allReadyMs: number;
  /** The same call on the main thread, ms. */
  mainMs: number;
}

const VARIANTS: Variant[] = (
  [
    { name: `first call, ${IDLE_MS} ms after registration`, scenario: 'first', waitMs: IDLE_MS },
    {
      name: `first ${BURST} calls at once, ${IDLE_MS} ms after`,
      scenario: 'burst',
      waitMs: IDLE_MS,
    },
    { name: 'first call, right after registration', scenario: 'first', waitMs: 0 },
  ] as Omit<Variant, 'prewarm'>[]
).flatMap((v) => [false, true].map((prewarm) => ({ ...v, prewarm })));

/** One measurement, in this process (which must be fresh): see the module comment. */
async function child(scenario: Scenario, prewarm: boolean, waitMs: number): Promise<ChildResult> {
  const { fox } = await import('@fox/sdk');
  const { runtime } = await import('../../sdk/src/runtime/runtime.js');
  const { PREWARM_DELAY_MS } = await import('../../sdk/src/modes/tfox/prewarm.js');
  if (!prewarm) fox.configure({ pool: { prewarm: false } });
  const registered = performance.now();
  const { heavy, busy } = await import('./tfox-cold-task.js');
  let firstReadyMs = -1;
  let allReadyMs = -1;
  if (prewarm) {
    // Observed, not awaited: the pool exists once the prewarm has run.
    setTimeout(() => {
      const pool = runtime().tfoxPool();
      const want = pool.options.prewarmThreads;
      const sub = pool.onModuleLoad(() => {
        const at = performance.now() - registered;
        if (firstReadyMs < 0) firstReadyMs = at;
        if (pool.stats().modulesLoaded < want) return;
        allReadyMs = at;
        sub.dispose();
      });
    }, PREWARM_DELAY_MS + 1);
  }
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  const t0 = performance.now();
  if (scenario === 'first') await heavy(CALL_MS);
  else await Promise.all(Array.from({ length: BURST }, () => heavy(CALL_MS)));
  const ms = performance.now() - t0;
  const m0 = performance.now();
  busy(CALL_MS);
  const mainMs = performance.now() - m0;
  await fox.shutdown();
  return { ms, firstReadyMs, allReadyMs, mainMs };
}

async function measure(v: Variant): Promise<ChildResult> {
  const args = ['--import', 'tsx', '--conditions=source', self, '--child'];
  const { stdout } = await run(
    process.execPath,
    [...args, v.scenario, v.prewarm ? 'on' : 'off', String(v.waitMs)],
    { env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

export async function runTfoxColdBench(options: { rounds?: number } = {}): Promise<BenchSection> {
  const rounds = options.rounds ?? 5;
  const samples = new Map<Variant, ChildResult[]>(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of VARIANTS) samples.get(v)!.push(await measure(v));
  }
  const med = (v: Variant, pick: (c: ChildResult) => number) => median(samples.get(v)!.map(pick));
  const rows = VARIANTS.map((v) => ({
    case: v.name,
    prewarm: v.prewarm ? 'on' : 'off',
    'ms (median)': med(v, (c) => c.ms).toFixed(0),
    runs: samples
      .get(v)!
      .map((c) => c.ms.toFixed(0))
      .join(' '),
  }));
  const ratio = (i: number) => med(VARIANTS[i]!, (c) => c.ms) / med(VARIANTS[i + 1]!, (c) => c.ms);
  const all = [...samples.values()].flat();
  const ready = (pick: (c: ChildResult) => number) =>
    median(all.map(pick).filter((ms) => ms >= 0)).toFixed(0);
  const main = median(all.map((c) => c.mainMs));
  const first = ratio(0);
  return {
    title: 'tfox cold start: the first calls, with and without prewarm',
    command: 'npm run bench -- tfox-cold',
    description:
      `Each measurement is a fresh process (through tsx, as the other benchmarks): it registers a tfox task whose call holds a thread for ${CALL_MS} ms (${main.toFixed(0)} ms measured on the main thread), waits, then times the first call alone or the first ${BURST} calls at once (default pool: ${'`'}maxThreads${'`'} = cores, prewarm 4 within that). ` +
      `Prewarm off is ${'`'}fox.configure({ pool: { prewarm: false } })${'`'}: workers start, and import the task's module, at the first call. ` +
      `With prewarm, the first worker had imported the task ${ready((c) => c.firstReadyMs)} ms after registration and all of them ${ready((c) => c.allReadyMs)} ms after (medians; one import at a time, so that warm-up takes one core). ${rounds} rounds, variants interleaved, medians reported.`,
    table: table(rows),
    verdicts: [
      `first call ${IDLE_MS} ms after registration: without / with prewarm = ${first.toFixed(1)}× (target ≥ 3): ${first >= 3 ? 'PASS' : 'FAIL'}`,
      `first ${BURST} calls ${IDLE_MS} ms after registration: without / with prewarm = ${ratio(2).toFixed(1)}×`,
      `first call right after registration: without / with prewarm = ${ratio(4).toFixed(2)}× (prewarm cannot help a call that comes first; it must not hurt it)`,
    ],
  };
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const r = await child(argv[1] as Scenario, argv[2] === 'on', Number(argv[3]));
  console.log(JSON.stringify(r));
} else if (process.argv[1] === self) {
  const r = await runTfoxColdBench();
  console.log([r.title, r.description, r.table, ...r.verdicts].join('\n\n'));
}
