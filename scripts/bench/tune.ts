/**
 * The tuner (issue 19): (1) its cost on the sfox hot path — tuning on with no experiment running,
 * and control calls while a canary runs — against the same task without the tuner, in the same
 * run (CPU time per call, interleaved rounds, median); (2) the sequential test's error rates over
 * simulated experiments with the canary's own scoring: A/A false adoption, adoption of harmful
 * candidates (≥10% worse), canary harm (calls failing because of the candidate, as a share of all
 * calls), and power for a clearly better candidate.
 *
 * With `--live` (opt-in, ~5 min): defaults, a bad start, the tuner from each, and an oracle
 * grid against a real local HTTP dependency (tune-dependency.ts, tune-client.ts), each arm in
 * its own processes. Regime changes (latency ×3, failure bursts) are not scripted yet.
 *
 *   node --import tsx --conditions=source scripts/bench/tune.ts [--quick] [--live]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SeededRandom } from '../../sdk/src/chaos/rng.js';
import { buildPolicies } from '../../sdk/src/policies/index.js';
import { fox } from '../../sdk/src/runtime/fox.js';
import { runtime } from '../../sdk/src/runtime/runtime.js';
import { CanaryHook } from '../../sdk/src/tuner/call-hooks.js';
import {
  INITIAL_TEST_STATE,
  callScore,
  look,
  type SequentialTestSettings,
  type TestState,
} from '../../sdk/src/tuner/sequential-test.js';
import { median, runIfMain, table, type BenchSection } from './report.js';

const execFileP = promisify(execFile);

const OPTIONS = { timeout: 1000, retry: { attempts: 3, delay: 1 } } as const;

/** CPU ns per call of `n` sequential awaited calls. */
async function cpuPerCall(f: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < 2000; i++) await f();
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const d = process.cpuUsage(t);
  return ((d.user + d.system) * 1000) / n;
}

async function hotPath(quick: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'fox-tune-bench-'));
  const n = quick ? 50_000 : 200_000;
  const rounds = quick ? 3 : 5;
  try {
    fox.configure({
      store: join(dir, 'fox.db'),
      tune: { allTasks: false, cooldownMs: 3_600_000, seed: 1 },
    });
    const plain = fox({ id: 'tune-bench#plain', ...OPTIONS }, async () => 1);
    const idle = fox({ id: 'tune-bench#idle', ...OPTIONS, tune: true }, async () => 1);
    const canary = fox({ id: 'tune-bench#canary', ...OPTIONS, tune: true }, async () => 1);
    // No experiment on `idle` (paused: no hook on its path); `canary` runs one at 10%, with the
    // production CanaryHook and a shadow chain of candidate parameters.
    fox.tuner.pause('tune-bench#idle');
    fox.tuner.pause('tune-bench#canary');
    const rt = runtime();
    const task = rt.registry.get('tune-bench#canary')!;
    const shadow = buildPolicies(
      { ...OPTIONS, timeout: 500 },
      { taskId: task.id, clock: rt.clock },
    )!;
    task.setTuning(new CanaryHook(shadow, 0.1, new SeededRandom(1), rt.clock, 1000));
    const runs: Record<string, number[]> = { plain: [], idle: [], canary: [] };
    for (let r = 0; r < rounds; r++) {
      runs.plain!.push(await cpuPerCall(plain, n));
      runs.idle!.push(await cpuPerCall(idle, n));
      runs.canary!.push(await cpuPerCall(canary, n));
    }
    task.setTuning(undefined);
    return { n, rounds, runs };
  } finally {
    await rt().reset();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rt() {
  return runtime();
}

/** One canary's per-call scores: lognormal latency around 20 ms × `slow`, failures at `fail`. */
function arm(rng: SeededRandom, n: number, slow: number, fail: number, cap: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = 1 - rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    out.push(callScore(rng.next() >= fail, 20 * Math.exp(0.5 * z) * slow, cap));
  }
  return out;
}

/** Runs one experiment with looks every maxPerArm/10 per arm. */
function experiment(
  control: number[],
  candidate: number[],
  s: SequentialTestSettings,
): { st: TestState; perArm: number } {
  let st = INITIAL_TEST_STATE;
  let perArm = 0;
  for (let k = 1; k <= 10 && st.decision === 'continue'; k++) {
    perArm = Math.round((s.maxPerArm * k) / 10);
    st = look(st, control.slice(0, perArm), candidate.slice(0, perArm), s);
  }
  return { st, perArm };
}

function errorRates(quick: boolean) {
  const s: SequentialTestSettings = { alpha: 0.05, harmAlpha: 0.1, maxPerArm: 400, minPerArm: 40 };
  const n = quick ? 300 : 1000;
  const cap = 200;
  const count = (slow: number, fail: number, seed0: number) => {
    let adopted = 0;
    let harmStops = 0;
    let extraFailures = 0;
    let allCalls = 0;
    for (let i = 0; i < n; i++) {
      const rng = new SeededRandom(seed0 + i);
      const control = arm(rng, s.maxPerArm, 1, 0.02, cap);
      const candidate = arm(rng, s.maxPerArm, slow, fail, cap);
      const { st, perArm } = experiment(control, candidate, s);
      if (st.decision === 'adopt') adopted++;
      if (st.decision === 'harm') harmStops++;
      // The canary runs at 2% until its first look, then at 10% (the tuner's ramp): the calls
      // of the whole task during the experiment follow from the candidate's count.
      const candFails = candidate.slice(0, perArm).filter((x) => x === -2 * cap).length;
      extraFailures += Math.max(0, candFails - perArm * 0.02);
      const first = Math.min(perArm, s.maxPerArm / 10);
      allCalls += first / 0.02 + (perArm - first) / 0.1;
    }
    return { adopted: adopted / n, harmStops: harmStops / n, harmShare: extraFailures / allCalls };
  };
  return {
    n,
    aa: count(1, 0.02, 10_000),
    harmful: count(1.1, 0.02, 20_000),
    failing: count(1, 0.2, 30_000),
    better: count(0.6, 0.02, 40_000),
  };
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

interface ArmResult {
  goodputAll: number;
  goodputTail: number;
  p99Tail: number;
  attemptsPerCall: number;
  adoptions: string[];
}

/** Runs one arm: a fresh dependency process and a fresh client process. */
async function runArm(
  name: string,
  policies: Record<string, unknown>,
  seconds: number,
  tune: boolean,
): Promise<ArmResult & { name: string }> {
  const dep = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'tune-dependency.ts'), JSON.stringify(DEPENDENCY)],
    { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      dep.stdout.once('data', (b: Buffer) =>
        resolve((JSON.parse(b.toString()) as { port: number }).port),
      );
      dep.once('exit', () => reject(new Error('dependency exited')));
    });
    const storeDir = mkdtempSync(join(tmpdir(), 'fox-tune-live-'));
    try {
      const arm = {
        url: `http://127.0.0.1:${port}/`,
        seconds,
        rate: 200,
        objectiveMs: 250,
        tailS: 10,
        policies,
        ...(tune ? { tune: { storeDir } } : {}),
      };
      const { stdout } = await execFileP(
        process.execPath,
        [
          '--import',
          'tsx',
          '--conditions=source',
          join(here, 'tune-client.ts'),
          JSON.stringify(arm),
        ],
        { cwd: repo, timeout: (seconds + 60) * 1000 },
      );
      return { name, ...(JSON.parse(stdout.trim().split('\n').pop()!) as ArmResult) };
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  } finally {
    dep.kill();
  }
}

/** The dependency of the live comparison: median 20 ms, 2% slow tail at 10×, 2% failing. */
const DEPENDENCY = { median: 20, tail: 0.02, fail: 0.02 };
const DEFAULTS = { timeout: 2000, retry: { attempts: 3 } };
const BAD_START = { timeout: 10, retry: { attempts: 5, delay: 1, budget: false } };
const GRID = [60, 120, 250].flatMap((timeout) =>
  [2, 3].map((attempts) => ({ timeout, retry: { attempts, delay: 1 } })),
);

/**
 * The live comparison (opt-in: `--live`, about 5 minutes): defaults, the bad start, the tuner
 * from the bad start, and an oracle (the best of a fixed grid, each its own processes), at 200
 * calls/s against a real local HTTP dependency; goodput over each run's last 10 s.
 */
async function live() {
  const seconds = 40;
  const rows: (ArmResult & { name: string })[] = [];
  rows.push(await runArm('defaults', DEFAULTS, seconds, false));
  rows.push(await runArm('bad start', BAD_START, seconds, false));
  rows.push(await runArm('tuner from bad start', BAD_START, seconds, true));
  rows.push(await runArm('tuner from defaults', DEFAULTS, seconds, true));
  const grid: (ArmResult & { name: string })[] = [];
  for (const g of GRID) {
    grid.push(await runArm(`grid timeout ${g.timeout} retry ${g.retry.attempts}`, g, 20, false));
  }
  const oracle = grid.reduce((a, b) => (b.goodputTail > a.goodputTail ? b : a));
  return { rows: [...rows, ...grid], oracle, seconds };
}

export async function runTuneBench(
  options: { quick?: boolean; live?: boolean } = {},
): Promise<BenchSection> {
  const quick = options.quick ?? false;
  const hp = await hotPath(quick);
  const med = (k: string) => median(hp.runs[k]!);
  const idleNs = med('idle') - med('plain');
  const canaryNs = med('canary') - med('plain');
  const er = errorRates(quick);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const rows: Record<string, string>[] = [
    ...['plain', 'idle', 'canary'].map((k) => ({
      case: {
        plain: 'sfox timeout+retry, no tuner',
        idle: 'same, tuning on, no experiment',
        canary: 'same, canary at 10% running',
      }[k]!,
      result: `${med(k).toFixed(0)} CPU ns/call (runs ${hp.runs[k]!.map((x) => x.toFixed(0)).join(' ')})`,
      'vs no tuner': k === 'plain' ? '-' : `${(med(k) - med('plain')).toFixed(0)} ns`,
    })),
    {
      case: `A/A, ${er.n} experiments`,
      result: `adopted ${pct(er.aa.adopted)}`,
      'vs no tuner': '',
    },
    {
      case: 'harmful (10% slower)',
      result: `adopted ${pct(er.harmful.adopted)}, stopped as harm ${pct(er.harmful.harmStops)}`,
      'vs no tuner': '',
    },
    {
      case: 'harmful (fails 20% vs 2%)',
      result: `adopted ${pct(er.failing.adopted)}, calls failing because of it ${pct(er.failing.harmShare)} of all`,
      'vs no tuner': '',
    },
    { case: 'better (40% faster)', result: `adopted ${pct(er.better.adopted)}`, 'vs no tuner': '' },
  ];
  const v = (label: string, ok: boolean) => `${label}: ${ok ? 'PASS' : 'FAIL'}`;
  const lv = options.live ? await live() : undefined;
  const liveVerdicts: string[] = [];
  if (lv) {
    const by = (n: string) => lv.rows.find((r) => r.name === n)!;
    for (const r of lv.rows) {
      rows.push({
        case: `live: ${r.name}`,
        result: `goodput ${r.goodputTail.toFixed(1)}/s (last 10 s; run ${r.goodputAll.toFixed(1)}/s), p99 ${r.p99Tail.toFixed(0)} ms, ${r.attemptsPerCall.toFixed(2)} attempts/call${r.adoptions.length ? `; ${r.adoptions.join(', ')}` : ''}`,
        'vs no tuner': r === lv.oracle ? 'oracle' : '',
      });
    }
    const tunedBad = by('tuner from bad start');
    const tunedDef = by('tuner from defaults');
    const o = lv.oracle;
    liveVerdicts.push(
      v(
        `live: tuned from bad start ${tunedBad.goodputTail.toFixed(1)}/s vs defaults ${by('defaults').goodputTail.toFixed(1)}/s within ${lv.seconds} s (target: no worse)`,
        tunedBad.goodputTail >= by('defaults').goodputTail * 0.98,
      ),
      v(
        `live: tuned from defaults goodput / oracle = ${(tunedDef.goodputTail / o.goodputTail).toFixed(3)} (target ≥ 0.95)`,
        tunedDef.goodputTail >= 0.95 * o.goodputTail,
      ),
      v(
        `live: tuned from defaults p99 / oracle = ${(tunedDef.p99Tail / o.p99Tail).toFixed(2)} (target ≤ 1.2)`,
        tunedDef.p99Tail <= 1.2 * o.p99Tail,
      ),
    );
  }
  return {
    title: 'Tuner: hot-path cost and the sequential test’s error rates',
    command: 'npm run bench -- tune',
    description: `Hot path: ${hp.n.toLocaleString('en')} sequential awaited calls per run, ${hp.rounds} interleaved rounds, median CPU time (the machine is shared: CPU time, not wall). Error rates: simulated canaries scored as the tuner scores calls (latency capped at 200 ms, failures at 2× the cap), Welch statistic with O'Brien–Fleming alpha spending (α = 0.05), 10 looks up to 400 calls per arm. ${options.live ? 'Live: each arm a fresh dependency process (HTTP on 127.0.0.1: median 20 ms, 2% tail at 10×, 2% 503s) and a fresh client process at 200 calls/s; goodput = successes within 250 ms per second over the last 10 s; the oracle is the best of a fixed timeout × retry grid.' : 'The live comparison against a real HTTP dependency and an oracle grid runs with `--live` (about 5 minutes; not part of the default run).'}`,
    table: table(rows),
    verdicts: [
      v(
        `tuning on, no experiment: ${idleNs.toFixed(0)} ns/call over no tuner (target ≤ 10)`,
        idleNs <= 10,
      ),
      v(
        `canary running, per call: ${canaryNs.toFixed(0)} ns/call over no tuner (target ≤ 150)`,
        canaryNs <= 150,
      ),
      v(`A/A false adoption ${pct(er.aa.adopted)} (target ≤ 5%)`, er.aa.adopted <= 0.05),
      v(
        `harmful (≥10% worse) adopted ${pct(er.harmful.adopted)} (target ≤ 1%)`,
        er.harmful.adopted <= 0.01,
      ),
      v(
        `canary harm ${pct(er.failing.harmShare)} of all calls (target ≤ 1%)`,
        er.failing.harmShare <= 0.01,
      ),
      ...liveVerdicts,
    ],
  };
}

runIfMain(import.meta.url, () =>
  runTuneBench({
    quick: process.argv.includes('--quick'),
    live: process.argv.includes('--live'),
  }),
);
