/**
 * Policy overhead against bare `await` and against the peers, in one process and one run:
 * sequential awaited calls of a trivial async attempt, after warm-up, median of 3 interleaved
 * rounds.
 *
 *   node --import tsx --conditions=source scripts/bench/policies.ts [--quick]
 *
 * The machine is shared and noisy: compare rows of the same run, not numbers across runs.
 */
import { pathToFileURL } from 'node:url';
import {
  ConsecutiveBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import { systemClock } from '../../sdk/src/clock/clock.js';
import type { Attempt } from '../../sdk/src/modes/strategy.js';
import { buildPolicies, type CacheL2, type CacheL2Entry } from '../../sdk/src/policies/index.js';
import { Call } from '../../sdk/src/task/call.js';

export interface PoliciesBenchRow {
  name: string;
  calls: number;
  /** Median ns per call (including the attempt itself). */
  nsPerCall: number;
  /** ns per call over bare await. */
  overheadNs: number;
}

export interface PoliciesBenchResult {
  rows: PoliciesBenchRow[];
  /** cockatiel overhead / fox retry+breaker+timeout overhead. */
  vsCockatiel: number;
  /** opossum overhead / fox retry+breaker+timeout overhead. */
  vsOpossum: number;
}

type Runner = () => Promise<unknown>;

async function time(run: Runner, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await run();
  return Number(process.hrtime.bigint() - start) / calls;
}

const ROUNDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A Map-backed L2, standing in for the store to price the L2 path itself. */
class MemoryL2 implements CacheL2 {
  readonly map = new Map<string, CacheL2Entry>();
  get(key: string): CacheL2Entry | undefined {
    return this.map.get(key);
  }
  set(key: string, entry: CacheL2Entry): void {
    this.map.set(key, entry);
  }
}

export async function runPoliciesBench(
  options: { quick?: boolean } = {},
): Promise<PoliciesBenchResult> {
  const N = options.quick ? 200_000 : 1_000_000;
  const NPeer = options.quick ? 50_000 : 200_000;
  const fn = async (): Promise<number> => 1;
  const attempt: Attempt = () => fn();
  const ctx = { taskId: 'bench#fn', clock: systemClock };
  const call = new Call('bench#fn', undefined, [], undefined, undefined);

  const rb = buildPolicies({ retry: 3, breaker: { consecutive: 5 } }, ctx)!.wrap(attempt);
  const rbt = buildPolicies({ retry: 3, breaker: { consecutive: 5 }, timeout: 1000 }, ctx)!.wrap(
    attempt,
  );
  const rbtAbandon = buildPolicies(
    { retry: 3, breaker: { consecutive: 5 }, timeout: { ms: 1000, cancel: 'abandon' } },
    ctx,
  )!.wrap(attempt);
  const cached = buildPolicies({ cache: { ttl: 60_000, key: () => 'k' } }, ctx)!.wrap(attempt);

  const l2 = new MemoryL2();
  // max 1 and two alternating keys: every call misses L1 and hits L2.
  const l2Hit = buildPolicies({ cache: { ttl: 60_000, max: 1, l2 } }, ctx)!.wrap(attempt);
  const callA = new Call('bench#fn', undefined, ['a'], undefined, undefined);
  const callB = new Call('bench#fn', undefined, ['b'], undefined, undefined);
  let flip = false;
  let n = 0;
  const l2Miss = buildPolicies(
    { cache: { ttl: 60_000, max: 1000, l2: new MemoryL2() } },
    ctx,
  )!.wrap(attempt);

  const cockatiel = wrap(
    retry(handleAll, { maxAttempts: 2 }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    timeout(1000, TimeoutStrategy.Cooperative),
  );
  const opossum = new CircuitBreaker(fn, { timeout: 1000, resetTimeout: 10_000 });

  const cases: { name: string; calls: number; run: Runner }[] = [
    { name: 'bare await', calls: N, run: () => attempt(call) },
    { name: 'fox retry+breaker', calls: N, run: () => rb(call) },
    { name: 'fox retry+breaker+timeout', calls: N, run: () => rbt(call) },
    { name: 'fox retry+breaker+timeout(abandon)', calls: N, run: () => rbtAbandon(call) },
    { name: 'fox cache L1 hit', calls: N, run: () => cached(call) },
    {
      name: 'fox cache L2 hit (L1 miss, Map L2)',
      calls: N,
      run: () => {
        flip = !flip;
        return l2Hit(flip ? callA : callB);
      },
    },
    {
      name: 'fox cache miss (L1+L2 miss, fill)',
      calls: NPeer,
      run: () => l2Miss(new Call('bench#fn', undefined, [n++], undefined, undefined)),
    },
    {
      name: 'cockatiel wrap(retry,breaker,timeout)',
      calls: NPeer,
      run: () => cockatiel.execute(fn),
    },
    { name: 'opossum fire()', calls: NPeer, run: () => opossum.fire() },
  ];

  // Rounds interleave the cases, and each case's overhead is taken against the bare await of
  // the same round: on a shared machine, load comes and goes, and this keeps it from landing
  // on one case only.
  for (const c of cases) await time(c.run, Math.min(c.calls, 100_000)); // warm-up
  const samples = cases.map(() => [] as number[]);
  const overheads = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    let bare = 0;
    for (let i = 0; i < cases.length; i++) {
      const ns = await time(cases[i]!.run, cases[i]!.calls);
      if (i === 0) bare = ns;
      samples[i]!.push(ns);
      overheads[i]!.push(ns - bare);
    }
  }
  const rows: PoliciesBenchRow[] = cases.map((c, i) => ({
    name: c.name,
    calls: c.calls,
    nsPerCall: median(samples[i]!),
    overheadNs: median(overheads[i]!),
  }));
  opossum.shutdown();
  const foxRbt = rows.find((r) => r.name === 'fox retry+breaker+timeout')!.overheadNs;
  const cock = rows.find((r) => r.name.startsWith('cockatiel'))!.overheadNs;
  const opo = rows.find((r) => r.name.startsWith('opossum'))!.overheadNs;
  return {
    rows,
    vsCockatiel: cock / Math.max(foxRbt, 1),
    vsOpossum: opo / Math.max(foxRbt, 1),
  };
}

function print(result: PoliciesBenchResult): void {
  console.log(
    `node ${process.version}, median of ${ROUNDS} interleaved rounds after warm-up, sequential awaited calls`,
  );
  console.log(
    'case'.padEnd(40) + 'calls'.padStart(10) + 'ns/call'.padStart(10) + 'overhead ns'.padStart(13),
  );
  for (const r of result.rows) {
    console.log(
      r.name.padEnd(40) +
        String(r.calls).padStart(10) +
        r.nsPerCall.toFixed(0).padStart(10) +
        r.overheadNs.toFixed(0).padStart(13),
    );
  }
  console.log(
    `cockatiel overhead / fox retry+breaker+timeout overhead: ${result.vsCockatiel.toFixed(1)}×`,
  );
  console.log(
    `opossum overhead / fox retry+breaker+timeout overhead: ${result.vsOpossum.toFixed(1)}×`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runPoliciesBench({ quick: process.argv.includes('--quick') }).then(print, (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
