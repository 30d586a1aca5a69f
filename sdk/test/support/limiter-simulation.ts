/**
 * A deterministic discrete-event simulation, in virtual time, of an open-loop client calling a
 * backend through an AdaptiveLimiter. The wfox tests check the limiter's behaviour with it and
 * the WaterFox benchmark (scripts/bench/wfox.ts) measures it; it lives with the tests so that
 * tests never import a benchmark script.
 *
 * Backend model (processor sharing): C calls run at full speed; with n > C in flight each runs
 * at C/n speed, so latency grows ~ S·n/C and throughput is capped at C/S. Without a limiter,
 * an offered load above C/S piles up without bound and every call ends up missing its deadline.
 */
import type { Clock, TimerHandle } from '../../src/clock/clock.js';
import { AdaptiveLimiter, type LimiterToken } from '../../src/modes/wfox/adaptive-limiter.js';
import type { LimiterOptions } from '../../src/modes/wfox/limiter-options.js';

/** Seeded uniform PRNG in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Keyed {
  key: number;
  seq: number;
}

/** Binary min-heap by (key, seq). */
class MinHeap<T extends Keyed> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(x: Keyed, y: Keyed): boolean {
  return x.key < y.key || (x.key === y.key && x.seq < y.seq);
}

interface SimEvent extends Keyed, TimerHandle {
  fn: () => void;
  cancelled: boolean;
}

/** A Clock whose time moves only when the simulation pops the next event. */
export class SimClock implements Clock {
  time = 0;
  private seq = 0;
  readonly events = new MinHeap<SimEvent>();

  now(): number {
    return this.time;
  }

  /** Simulated time starts at the epoch; nothing in the simulation reads the date. */
  wallNow(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const ev: SimEvent = { key: this.time + ms, seq: this.seq++, fn, cancelled: false };
    this.events.push(ev);
    return ev;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as SimEvent).cancelled = true;
  }
}

interface Job extends Keyed {
  done: () => void;
}

/** Processor-sharing backend: capacity C at full speed, slower beyond (see file comment). */
class SharedBackend {
  /** Work done per call so far, in ms of no-load service (the same for every running call). */
  private work = 0;
  private at = 0;
  private seq = 0;
  private readonly jobs = new MinHeap<Job>();

  constructor(private readonly capacity: number) {}

  get running(): number {
    return this.jobs.size;
  }

  private rate(): number {
    const n = this.jobs.size;
    return n <= this.capacity ? 1 : this.capacity / n;
  }

  advance(t: number): void {
    if (this.jobs.size > 0) this.work += this.rate() * (t - this.at);
    this.at = t;
  }

  start(serviceMs: number, done: () => void): void {
    this.jobs.push({ key: this.work + serviceMs, seq: this.seq++, done });
  }

  nextCompletion(): number {
    const next = this.jobs.peek();
    return next ? this.at + Math.max(0, next.key - this.work) / this.rate() : Infinity;
  }

  completeNext(): void {
    this.jobs.pop()!.done();
  }
}

/** One simulated run. */
export interface SimConfig {
  /** `null` runs without a limiter (unbounded). */
  limiter: LimiterOptions | null;
  /** Backend calls served at full speed at once. */
  capacity: number;
  /** Median no-load service time, ms. */
  serviceMs: number;
  /** Log-normal spread of service times (0 = constant). */
  serviceSigma?: number;
  /** Offered load, calls per second (Poisson arrivals). */
  arrivalsPerSecond: number;
  /** Virtual duration, ms. */
  durationMs: number;
  /** Calls finishing within this many ms of arrival count as goodput. */
  deadlineMs: number;
  /** Statistics ignore calls arriving before this time, ms. */
  warmupMs?: number;
  /** Record the limit every this many ms (virtual). */
  sampleLimitEveryMs?: number;
  seed?: number;
}

export interface SimResult {
  /** Calls arriving after warm-up. */
  offered: number;
  completed: number;
  /** Completed within the deadline. */
  good: number;
  rejected: number;
  /** Good calls per second (after warm-up). */
  goodput: number;
  p50: number;
  p99: number;
  meanLimit: number;
  /** The limit sampled every `sampleLimitEveryMs` over the whole run. */
  limits: number[];
}

/** Runs one deterministic simulation of `config`. */
export async function simulate(config: SimConfig): Promise<SimResult> {
  // Under overload most arrivals are rejected, and capturing each FoxRejectedError's stack
  // would dominate the run time; stacks carry nothing the simulation reads.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await simulateRun(config);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function simulateRun(config: SimConfig): Promise<SimResult> {
  const random = seededRandom(config.seed ?? 1);
  const clock = new SimClock();
  const backend = new SharedBackend(config.capacity);
  const limiter = config.limiter
    ? new AdaptiveLimiter(config.limiter, { clock, random: seededRandom((config.seed ?? 1) + 7) })
    : undefined;
  const sigma = config.serviceSigma ?? 0.3;
  const warmup = config.warmupMs ?? 0;
  const meanGap = 1000 / config.arrivalsPerSecond;
  const latencies: number[] = [];
  const limits: number[] = [];
  let offered = 0;
  let good = 0;
  let rejected = 0;
  let pending = 0;

  const serviceTime = (): number => {
    // Box–Muller: one normal draw per call.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return config.serviceMs * Math.exp(sigma * z);
  };
  const run = (arrivedAt: number, token: LimiterToken | undefined): void => {
    backend.start(serviceTime(), () => {
      token?.release('success');
      if (arrivedAt < warmup) return;
      const latency = clock.time - arrivedAt;
      latencies.push(latency);
      if (latency <= config.deadlineMs) good++;
    });
  };
  const arrive = (): void => {
    const arrivedAt = clock.time;
    if (arrivedAt >= warmup) offered++;
    clock.setTimeout(arrive, -meanGap * Math.log(1 - random()));
    if (!limiter) return run(arrivedAt, undefined);
    const admitted = limiter.acquire();
    if (!(admitted instanceof Promise)) return run(arrivedAt, admitted);
    pending++;
    admitted.then(
      (token) => {
        pending--;
        run(arrivedAt, token);
      },
      () => {
        pending--;
        if (arrivedAt >= warmup) rejected++;
      },
    );
  };
  if (config.sampleLimitEveryMs && limiter) {
    const every = config.sampleLimitEveryMs;
    const sample = (): void => {
      limits.push(limiter.limit);
      clock.setTimeout(sample, every);
    };
    clock.setTimeout(sample, every);
  }
  clock.setTimeout(arrive, 0);

  for (;;) {
    const ev = clock.events.peek();
    const tEvent = ev ? ev.key : Infinity;
    const tDone = backend.nextCompletion();
    const t = Math.min(tEvent, tDone);
    if (t > config.durationMs) break;
    backend.advance(t);
    clock.time = t;
    if (tDone <= tEvent) backend.completeNext();
    else {
      clock.events.pop();
      if (!ev!.cancelled) ev!.fn();
    }
    // Admissions and rejections of queued calls settle in microtasks: let them run before
    // virtual time moves on, so a queued call starts at the instant it was admitted.
    for (let i = 0; i < 8 && pending > (limiter?.queued ?? 0); i++) await null;
  }
  limiter?.close();

  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies.length
      ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
      : NaN;
  const seconds = (config.durationMs - warmup) / 1000;
  return {
    offered,
    completed: latencies.length,
    good,
    rejected,
    goodput: good / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    meanLimit: limits.length ? limits.reduce((s, l) => s + l, 0) / limits.length : NaN,
    limits,
  };
}
