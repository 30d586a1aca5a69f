/**
 * Offline screening (the sandbox): replays a recorded interval through a discrete-event
 * simulation of the task's policy chain — the production policy classes, built by the same
 * `buildPolicies`, running on a {@link SimulationClock} — with a candidate's parameters, so a
 * candidate that would be worse is rejected before any live call sees it.
 *
 * The dependency is the recording: call k arrives at its recorded time, and its j-th attempt
 * behaves as the recorded j-th attempt did (latency, outcome, error code). Attempts the
 * recording does not have (a candidate that retries more) are drawn from all recorded attempts
 * with a seeded generator. An attempt recorded as cut before it answered never answers. So with
 * the parameters the interval was recorded under, the replay reproduces its outcome counts.
 */
import { SeededRandom } from '../chaos/rng.js';
import { buildPolicies } from '../policies/index.js';
import { Call, type Attempt } from '../task/call.js';
import { quantile } from './evidence.js';
import {
  CENSORED,
  countOutcomes,
  type OutcomeCounts,
  type RecordedAttempt,
  type RecordedCall,
  type RecordedInterval,
} from './recorded-interval.js';
import { SimulationClock } from './simulation-clock.js';

export interface SandboxOptions {
  /** Seeds draws of attempts the recording lacks, and the retry jitter. Default 1. */
  seed?: number;
  /** Latency objective for goodput, ms. Default: no objective (every success counts). */
  objectiveMs?: number;
}

export interface SandboxResult extends OutcomeCounts {
  /** Successful calls within the objective per second of the interval. */
  goodput: number;
  /** p99 of successful call latency, ms (0 with no success). */
  p99: number;
  attemptsPerCall: number;
  /** The replayed calls, in arrival order (the same shape as recorded). */
  replayed: RecordedCall[];
}

function failure(code: string | undefined): Error {
  return Object.assign(new Error(`recorded failure${code ? ` ${code}` : ''}`), {
    code: code ?? 'ERECORDED',
  });
}

/**
 * Replays `interval` under `policies` (policy options as a decorator takes them, e.g.
 * `{ timeout: 200, retry: { attempts: 3 } }`) on simulated time.
 */
export async function replay(
  interval: RecordedInterval,
  policies: Readonly<Record<string, unknown>>,
  options: SandboxOptions = {},
): Promise<SandboxResult> {
  const clock = new SimulationClock(0, interval.startedAt);
  const seed = options.seed ?? 1;
  const rng = new SeededRandom(seed);
  const jitter = new SeededRandom(seed).fork(7);
  const pool: RecordedAttempt[] = interval.calls.flatMap((c) => c.attempts);
  const okLatencies: number[] = [];
  const chain = buildPolicies(policies, {
    taskId: interval.taskId,
    clock,
    random: () => jitter.next(),
    latencyPercentile: (p) => {
      if (okLatencies.length === 0) return undefined;
      return quantile(
        [...okLatencies].sort((a, b) => a - b),
        p / 100,
      );
    },
  });
  const calls = interval.calls;
  const used = new Array<number>(calls.length).fill(0);
  const replayed: RecordedCall[] = calls.map((c) => ({ at: c.at, attempts: [], ok: false, ms: 0 }));

  const dependency: Attempt = (call) => {
    const k = call.args[0] as number;
    const j = used[k]!++;
    const rec =
      calls[k]!.attempts[j] ??
      (pool.length > 0 ? pool[Math.floor(rng.next() * pool.length)]! : { ms: 0, ok: true });
    const t0 = clock.now();
    const entry: RecordedAttempt = { ms: CENSORED, ok: false };
    replayed[k]!.attempts.push(entry);
    return new Promise((resolve, reject) => {
      if (rec.ms === CENSORED) return; // it never answered
      clock.setTimeout(() => {
        if (!call.aborted) {
          entry.ms = clock.now() - t0;
          entry.ok = rec.ok;
          if (!rec.ok && rec.code !== undefined) entry.code = rec.code;
        }
        if (rec.ok) resolve('ok');
        else reject(failure(rec.code));
      }, rec.ms);
    });
  };
  const invoke = chain ? chain.wrap(dependency) : dependency;

  calls.forEach((c, k) => {
    clock.setTimeout(() => {
      const call = new Call(interval.taskId, undefined, [k], undefined, undefined);
      const t0 = clock.now();
      const out = replayed[k]!;
      invoke(call).then(
        () => {
          out.ok = true;
          out.ms = clock.now() - t0;
          okLatencies.push(out.ms);
        },
        (err: unknown) => {
          out.ms = clock.now() - t0;
          const code = (err as { code?: unknown } | null)?.code;
          out.code = typeof code === 'string' ? code : 'ERROR';
        },
      );
    }, c.at);
  });
  await clock.run();
  chain?.dispose();

  for (const r of replayed) if (!r.ok && r.code === undefined) r.code = 'UNFINISHED';
  const counts = countOutcomes(replayed);
  const objective = options.objectiveMs ?? Infinity;
  const good = replayed.filter((r) => r.ok && r.ms <= objective).length;
  const seconds = Math.max(interval.durationMs, 1) / 1000;
  const sorted = replayed
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  return {
    ...counts,
    goodput: good / seconds,
    p99: quantile(sorted, 0.99) ?? 0,
    attemptsPerCall: counts.calls === 0 ? 0 : counts.attempts / counts.calls,
    replayed,
  };
}

/** Screening thresholds: how much worse than the current parameters a candidate may look. */
export interface ScreenSettings {
  /** Goodput may drop by at most this share. */
  goodputTolerance: number;
  /** Attempts per call may grow by at most this factor (plus 0.05 absolute). */
  attemptsFactor: number;
  /** p99 may grow by at most this factor. */
  p99Factor: number;
}

export const DEFAULT_SCREEN: ScreenSettings = {
  goodputTolerance: 0.01,
  attemptsFactor: 1.2,
  p99Factor: 1.2,
};

export interface ScreenVerdict {
  pass: boolean;
  reason: string;
  current: Pick<SandboxResult, 'goodput' | 'p99' | 'attemptsPerCall' | 'ok' | 'failed'>;
  candidate: Pick<SandboxResult, 'goodput' | 'p99' | 'attemptsPerCall' | 'ok' | 'failed'>;
}

function brief(r: SandboxResult): ScreenVerdict['current'] {
  return {
    goodput: r.goodput,
    p99: r.p99,
    attemptsPerCall: r.attemptsPerCall,
    ok: r.ok,
    failed: r.failed,
  };
}

/** Replays the interval under the current and the candidate parameters and compares them. */
export async function screen(
  interval: RecordedInterval,
  current: Readonly<Record<string, unknown>>,
  candidate: Readonly<Record<string, unknown>>,
  options: SandboxOptions = {},
  s: ScreenSettings = DEFAULT_SCREEN,
): Promise<ScreenVerdict> {
  const a = await replay(interval, current, options);
  const b = await replay(interval, candidate, options);
  const out = (pass: boolean, reason: string): ScreenVerdict => ({
    pass,
    reason,
    current: brief(a),
    candidate: brief(b),
  });
  if (b.goodput < a.goodput * (1 - s.goodputTolerance)) return out(false, 'goodput');
  if (b.attemptsPerCall > a.attemptsPerCall * s.attemptsFactor + 0.05) return out(false, 'load');
  if (a.p99 > 0 && b.p99 > a.p99 * s.p99Factor) return out(false, 'p99');
  return out(true, 'ok');
}
