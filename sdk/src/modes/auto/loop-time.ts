import { AsyncLocalStorage, createHook, type AsyncHook } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/**
 * How long one call held the event loop over its whole life: the synchronous part before its
 * first `await` plus every later synchronous segment that ran in its async context (each
 * resumption after an `await`, timer and I/O callbacks it scheduled).
 *
 * Timing only until the first `await` misses the compute of "await, then compute" functions
 * (fetch then parse, read then transform), which block the loop just the same.
 */
export class LoopSample {
  /** Total time on the loop, ms. */
  busyMs = 0;
  /** Synchronous segments counted (the first one included). */
  segments = 0;
  /** Longest single segment, ms: how long the call held the loop in one go. */
  longestMs = 0;
  /** Set when the call settled; callbacks of resources it left behind no longer count. */
  closed = false;

  /** @param tally also receives every segment's wall time, as it happens. */
  constructor(private readonly tally?: LoopTally) {}

  /**
   * Counts one segment: `ms` of compute (see segmentMs) that held the loop for `wallMs`.
   * @param wallMs defaults to `ms`
   */
  add(ms: number, wallMs = ms): void {
    if (this.closed) return;
    this.busyMs += ms;
    this.segments++;
    if (ms > this.longestMs) this.longestMs = ms;
    if (this.tally) this.tally.ms += wallMs;
  }
}

/**
 * Wall time the loop spent in all of a task's sampled calls, counted as their segments run.
 * Wall, not CPU: a preempted thread still holds the loop, and the task's other calls wait for it.
 */
export interface LoopTally {
  ms: number;
}

/**
 * Adds a segment that started at `wallStart` / `cpuStart`. Its compute is its wall time, unless
 * the process got less CPU meanwhile — then the thread was preempted (a busy machine) and the
 * wall time would count the wait for a core as compute. `process.cpuUsage()` covers every thread
 * of the process, so it can exceed the wall time when workers or GC threads run alongside; the
 * smaller of the two is the better bound.
 */
function addSegment(sample: LoopSample, wallStart: number, cpuStart: NodeJS.CpuUsage): void {
  const wall = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  sample.add(Math.min(wall, (cpu.user + cpu.system) / 1000), wall);
}

/*
 * Tracking a call across awaits needs async hooks, which slow down every promise in the process
 * while enabled (see context/run-context.ts: ≈3× a bare await on Node 20). So they are enabled
 * only while at least one sampled call is in flight — auto samples a task's calls while it is
 * evaluating it, not forever — and disabled again when the last sampled call settles.
 */
let storage: AsyncLocalStorage<LoopSample> | undefined;
let hook: AsyncHook | undefined;
let inFlight = 0;
/** The segment being timed (only outermost callbacks are timed; nested ones are inside it). */
let open: LoopSample | undefined;
let openId = -1;
let openAt = 0;
let openCpu: NodeJS.CpuUsage = { user: 0, system: 0 };

function before(asyncId: number): void {
  if (openId !== -1) return;
  const sample = storage!.getStore();
  if (sample === undefined || sample.closed) return;
  open = sample;
  openId = asyncId;
  openCpu = process.cpuUsage();
  openAt = performance.now();
}

function after(asyncId: number): void {
  if (asyncId !== openId) return;
  addSegment(open!, openAt, openCpu);
  open = undefined;
  openId = -1;
}

/** A callback that threw skips its `after`; forget the open segment so the next one counts. */
function forgetOpenSegment(): void {
  open = undefined;
  openId = -1;
}

function startTracking(): void {
  storage ??= new AsyncLocalStorage<LoopSample>();
  hook ??= createHook({ before, after });
  hook.enable();
  process.on('uncaughtExceptionMonitor', forgetOpenSegment);
}

function stopTracking(): void {
  hook!.disable();
  // Drops the storage's own promise hook too, until the next sampled call runs.
  storage!.disable();
  process.off('uncaughtExceptionMonitor', forgetOpenSegment);
  forgetOpenSegment();
}

/**
 * Runs `fn` (synchronously) as a sampled call: its synchronous part and every later segment in
 * its async context are added to `sample`. Call {@link endSample} once the call has settled.
 */
export function runSampled<T>(sample: LoopSample, fn: () => T): T {
  if (inFlight++ === 0) startTracking();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    return storage!.run(sample, fn);
  } finally {
    addSegment(sample, t0, cpu0);
  }
}

/** Closes a sampled call; the async hooks go off when no sampled call is left in flight. */
export function endSample(sample: LoopSample): void {
  if (sample.closed) return;
  sample.closed = true;
  if (--inFlight === 0) stopTracking();
}

/** For tests: whether the async hooks are on now. */
export function loopTrackingActive(): boolean {
  return inFlight > 0;
}
