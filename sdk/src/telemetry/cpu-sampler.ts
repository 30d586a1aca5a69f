import type * as Inspector from 'node:inspector';
import {
  CPU_PROFILE_WIRE_VERSION,
  MAX_CPU_FUNCTIONS,
  type CpuProfileFrame,
} from '../protocol/wire.js';
import {
  aggregateCpuProfile,
  type FunctionLocation,
  type ProfileLike,
  type ProfileNodeLike,
} from './cpu-profile-aggregate.js';

/**
 * V8's sampling interval while a profiler listens, µs. Measured with `scripts/bench/cpu-sampling.ts`
 * (see docs/benchmarks.md): 1 ms cost 4–9 % of a CPU-bound workload's throughput per CPU second
 * on a loaded 2-core machine and 250 µs about 14 %, so 2 ms keeps the cost under the 5 % budget.
 * A 1 s window still holds ~500 samples, enough to tell a 10 ms function from a 20 ms one.
 */
export const DEFAULT_CPU_SAMPLING_INTERVAL_US = 2000;

/**
 * Title of the anchor profile (see {@link InspectorCpuSampler}). Recycled every this many
 * windows so its samples do not pile up.
 */
const ANCHOR_TITLE = 'fox-cpu-sampler-anchor';
const ANCHOR_WINDOWS = 30;

/** Most functions per window by default (the wire allows {@link MAX_CPU_FUNCTIONS}). */
export const DEFAULT_CPU_MAX_FUNCTIONS = 200;

/** An error of the CPU sampler, with a code to branch on. */
export class CpuSamplerError extends Error {
  constructor(
    readonly code: 'inspector-unavailable' | 'inspector-failed',
    message: string,
  ) {
    super(message);
    this.name = 'CpuSamplerError';
  }
}

export interface CpuSamplerOptions {
  /** Sampling interval, µs. Default {@link DEFAULT_CPU_SAMPLING_INTERVAL_US}. */
  intervalUs?: number;
  /**
   * The project function a V8 call frame belongs to (0-based line/column in, 1-based out), or
   * undefined for frames that are not the project's own (node_modules, `node:` internals, the
   * sdk). Called once per distinct frame per window; cache inside when it is costly.
   */
  locate(frame: ProfileNodeLike['callFrame']): FunctionLocation | undefined;
  /** Functions per window. Default {@link DEFAULT_CPU_MAX_FUNCTIONS}. */
  maxFunctions?: number;
  /** Problems the sampler swallowed (it never throws into the program). */
  onDiagnostic?: (message: string) => void;
}

export interface CpuSamplerCounters {
  /** Windows cut so far (including empty ones, which produce no frame). */
  windows: number;
  /** Inspector calls that failed. */
  errors: number;
  /**
   * Main-thread time spent cutting windows (the inspector round trip, aggregation and source
   * mapping), ms: the sampler's cost on the program's own thread besides the samples themselves.
   */
  busyMs: number;
}

/**
 * V8's sampling CPU profiler, in process, cut into windows. Nothing runs until
 * {@link startCpuSampler} is called (the exporter does it only when a profiler listens): no
 * inspector session exists otherwise, so an unprofiled program pays nothing.
 */
export interface CpuSampler {
  readonly intervalUs: number;
  /**
   * Ends the current window and starts the next one; returns the ended window as a frame, or
   * undefined when it had no project samples (or the session is not open yet). Synchronous:
   * the in-process inspector answers before `post` returns.
   */
  cut(): CpuProfileFrame | undefined;
  counters(): CpuSamplerCounters;
  /** Stops sampling and disconnects the session; returns the last window. Idempotent. */
  stop(): CpuProfileFrame | undefined;
}

/**
 * Starts sampling this process's CPU. Resolves once the inspector session samples; rejects with
 * a {@link CpuSamplerError} when this Node has no inspector.
 *
 * @example
 * const sampler = await startCpuSampler({ locate });
 * setInterval(() => { const frame = sampler.cut(); if (frame) send(frame); }, 1000);
 */
export async function startCpuSampler(options: CpuSamplerOptions): Promise<CpuSampler> {
  let inspector: typeof Inspector;
  try {
    inspector = await import('node:inspector');
  } catch (err) {
    throw new CpuSamplerError('inspector-unavailable', `node:inspector: ${String(err)}`);
  }
  const session = new inspector.Session();
  try {
    session.connect();
  } catch (err) {
    throw new CpuSamplerError('inspector-unavailable', `inspector session: ${String(err)}`);
  }
  const sampler = new InspectorCpuSampler(session, inspector.console, options);
  try {
    sampler.begin();
  } catch (err) {
    session.disconnect();
    throw err;
  }
  return sampler;
}

/**
 * Windows are cut with `Profiler.stop` + `Profiler.start`. Alone, that would cost ~50 ms of CPU
 * per window in a program of a few thousand functions: when its last profile stops, V8 tears
 * its profiler down, and the next start walks the heap to log every compiled function again.
 * An anchor profile, started through the inspector console (`console.profile`, the same
 * session's profiler), keeps the profiler up between windows, so a cut costs well under a
 * millisecond. The anchor's own samples are discarded; it is recycled every
 * {@link ANCHOR_WINDOWS} windows while a window profile is running (so the profiler never
 * stops) to keep its memory bounded.
 */
class InspectorCpuSampler implements CpuSampler {
  readonly intervalUs: number;
  private readonly maxFunctions: number;
  private readonly diagnose: (message: string) => void;
  private windowStart = Date.now();
  private stopped = false;
  private readonly stats: CpuSamplerCounters = { windows: 0, errors: 0, busyMs: 0 };

  constructor(
    private readonly session: Inspector.Session,
    private readonly console: typeof Inspector.console,
    private readonly options: CpuSamplerOptions,
  ) {
    this.intervalUs = Math.round(
      Math.min(1_000_000, Math.max(10, options.intervalUs ?? DEFAULT_CPU_SAMPLING_INTERVAL_US)),
    );
    this.maxFunctions = Math.min(
      MAX_CPU_FUNCTIONS,
      Math.max(1, options.maxFunctions ?? DEFAULT_CPU_MAX_FUNCTIONS),
    );
    this.diagnose = options.onDiagnostic ?? (() => {});
  }

  /** Enables the domain, sets the interval (only allowed while stopped) and starts. */
  begin(): void {
    this.call('Profiler.enable', undefined, true);
    this.call('Profiler.setSamplingInterval', { interval: this.intervalUs }, true);
    this.anchor('start');
    this.call('Profiler.start', undefined, true);
    this.refreshOptimizedCode();
    this.windowStart = Date.now();
  }

  /**
   * Makes V8 recompile the code optimised before sampling began. The profiler learns a code
   * object's inlined functions when the code is created while it runs; optimised code that
   * already existed at `Profiler.start` is listed without them (and often without a position),
   * so every sample in it, including those in functions inlined into it, lands on the outer
   * function: a hot helper inlined into a long-running loop would read as the loop's self time.
   * Switching to precise coverage and back deoptimises all functions once (V8's
   * `Coverage::SelectMode`); the hot ones are re-optimised within milliseconds, now under the
   * profiler. Skipped when the process collects coverage itself (`NODE_V8_COVERAGE`): the
   * coverage mode is the isolate's, and switching it back would discard that collection.
   */
  private refreshOptimizedCode(): void {
    if (process.env['NODE_V8_COVERAGE']) return;
    this.call('Profiler.startPreciseCoverage', { callCount: false, detailed: false });
    this.call('Profiler.stopPreciseCoverage');
  }

  counters(): CpuSamplerCounters {
    return { ...this.stats };
  }

  cut(): CpuProfileFrame | undefined {
    if (this.stopped) return undefined;
    const t0 = performance.now();
    // Every ANCHOR_WINDOWS-th cut (`stats.windows` counts the cuts so far), while the window's
    // profile still runs, so the profiler never stops.
    if ((this.stats.windows + 1) % ANCHOR_WINDOWS === 0) {
      this.anchor('end');
      this.anchor('start');
    }
    const profile = this.takeProfile();
    const from = this.windowStart;
    const to = Date.now();
    // Restart at once: the gap between windows is one synchronous inspector round trip.
    this.call('Profiler.start');
    this.windowStart = to;
    const frame = profile ? this.frameOf(profile, from, to) : undefined;
    this.stats.busyMs += performance.now() - t0;
    return frame;
  }

  stop(): CpuProfileFrame | undefined {
    if (this.stopped) return undefined;
    const profile = this.takeProfile();
    const from = this.windowStart;
    const to = Date.now();
    this.stopped = true;
    this.anchor('end');
    this.call('Profiler.disable');
    try {
      this.session.disconnect();
    } catch (err) {
      this.diagnose(`cpu sampler disconnect: ${String(err)}`);
    }
    return profile ? this.frameOf(profile, from, to) : undefined;
  }

  private anchor(action: 'start' | 'end'): void {
    try {
      if (action === 'start') this.console.profile(ANCHOR_TITLE);
      else this.console.profileEnd(ANCHOR_TITLE);
    } catch (err) {
      // Without the anchor windows still work, only dearer.
      this.diagnose(`cpu sampler anchor ${action}: ${String(err)}`);
    }
  }

  private takeProfile(): ProfileLike | undefined {
    let profile: ProfileLike | undefined;
    this.call('Profiler.stop', undefined, false, (result) => {
      profile = (result as { profile?: ProfileLike } | undefined)?.profile;
    });
    this.stats.windows++;
    return profile;
  }

  private frameOf(profile: ProfileLike, from: number, to: number): CpuProfileFrame | undefined {
    try {
      const agg = aggregateCpuProfile(profile, {
        intervalUs: this.intervalUs,
        locate: this.options.locate,
        maxFunctions: this.maxFunctions,
      });
      if (agg.functions.length === 0) return undefined;
      return {
        type: 'cpu-profile',
        v: CPU_PROFILE_WIRE_VERSION,
        from,
        to: Math.max(from, to),
        intervalUs: this.intervalUs,
        samples: agg.samples,
        idleMs: round3(agg.idleMs),
        truncated: agg.truncated,
        functions: agg.functions.map((f) => ({
          file: f.file.slice(0, 1024),
          line: f.line,
          column: f.column,
          name: (f.name || '(anonymous)').slice(0, 256),
          selfMs: round3(f.selfMs),
          totalMs: round3(f.totalMs),
          samples: f.samples,
          longestSyncMs: round3(f.longestSyncMs),
        })),
      };
    } catch (err) {
      this.stats.errors++;
      this.diagnose(`cpu profile aggregation: ${err instanceof Error ? err.stack : String(err)}`);
      return undefined;
    }
  }

  /**
   * Posts one inspector command. In process the answer arrives before `post` returns; a failure
   * is counted (and thrown only while starting, so the caller can give up cleanly).
   */
  private call(
    method: string,
    params?: object,
    throwOnError = false,
    onResult?: (result: unknown) => void,
  ): void {
    let failure: Error | null = null;
    try {
      this.session.post(method, params, (err: Error | null, result?: unknown) => {
        if (err) failure = err;
        else onResult?.(result);
      });
    } catch (err) {
      failure = err as Error;
    }
    if (failure === null) return;
    this.stats.errors++;
    const message = `${method}: ${(failure as Error).message}`;
    if (throwOnError) throw new CpuSamplerError('inspector-failed', message);
    this.diagnose(message);
  }
}

/** Three decimals: µs resolution, shorter JSON. */
function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
