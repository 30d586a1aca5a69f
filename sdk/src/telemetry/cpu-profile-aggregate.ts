/**
 * Turns one window of V8's sampling profiler (`Profiler.stop`'s `Profile`) into per-function
 * CPU figures. Pure: no inspector, no clock, no file system — the caller says which frames
 * belong to which source function through {@link CpuAggregateOptions.locate}.
 *
 * Definitions (all times in ms, from the profile's own timestamps):
 * - a sample's **weight** is the time until the next sample (the last one: until the profile's
 *   `endTime`), the convention of Chrome's DevTools, capped at {@link MAX_WEIGHT_INTERVALS}
 *   sampling intervals: a longer gap means the sampling thread was descheduled (a loaded
 *   machine), and one stack seen at one instant must not absorb a pause it was not sampled
 *   through. Without `timeDeltas`, the sampling interval; negative deltas (V8 reorders samples
 *   now and then) count as 0;
 * - **self** time of a function: the weight of the samples whose innermost *located* frame is
 *   that function. Frames `locate` drops (node_modules, node internals, the sdk) are skipped, so
 *   a project function's self time includes the library code it calls directly;
 * - **total** time: the weight of the samples with the function anywhere on the stack, each
 *   sample counted once however often the function recurses;
 * - **samples**: how many samples had the function on the stack (its total, in samples);
 * - **longest synchronous stretch**: the longest run of consecutive samples that all have the
 *   function on the stack, summed by weight. A `(garbage collector)` sample neither breaks nor
 *   ends a run (a collection inside synchronous work blocks the loop as much as the work
 *   does) and adds its weight to the runs open across it; an `(idle)` or `(program)` sample,
 *   or one without the function, ends it. Resolution is one sampling interval: two calls in
 *   consecutive event-loop turns less than an interval apart can read as one stretch.
 */

/** The parts of `inspector.Profiler.ProfileNode` the aggregation reads. */
export interface ProfileNodeLike {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** The parts of `inspector.Profiler.Profile` the aggregation reads (times in µs). */
export interface ProfileLike {
  nodes: ProfileNodeLike[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A source function a frame belongs to; 1-based line and column. */
export interface FunctionLocation {
  /** Project-relative path, forward slashes. */
  file: string;
  line: number;
  column: number;
  name: string;
}

/** One function's CPU over one window. */
export interface CpuFunctionAggregate extends FunctionLocation {
  selfMs: number;
  totalMs: number;
  samples: number;
  longestSyncMs: number;
}

export interface CpuAggregateOptions {
  /** The sampling interval, µs: the weight of a sample when the profile has no `timeDeltas`. */
  intervalUs: number;
  /**
   * The source function of a frame (`lineNumber`/`columnNumber` 0-based as V8 gives them), or
   * undefined to leave the frame out. Called once per distinct call frame.
   */
  locate(frame: ProfileNodeLike['callFrame']): FunctionLocation | undefined;
  /** Keep the functions with the most total time, at most this many. Default 200. */
  maxFunctions?: number;
}

export interface CpuWindowAggregate {
  /** Functions by total time, descending; at most `maxFunctions`. */
  functions: CpuFunctionAggregate[];
  /** Functions left out by `maxFunctions`. */
  truncated: number;
  /** All samples of the window. */
  samples: number;
  /** Time of all samples, ms. */
  sampledMs: number;
  /** Time in `(idle)` samples, ms. */
  idleMs: number;
}

/** A sample weighs at most this many sampling intervals (see the module comment). */
export const MAX_WEIGHT_INTERVALS = 2;

const IDLE = '(idle)';
const PROGRAM = '(program)';
const GC = '(garbage collector)';

/** Where a sample's stack stands for the stretch rule. */
const enum Leaf {
  Code,
  Gc,
  Break,
}

/** Aggregates one profile window per function. See the module comment for the definitions. */
export function aggregateCpuProfile(
  profile: ProfileLike,
  options: CpuAggregateOptions,
): CpuWindowAggregate {
  const nodes = new Map<number, ProfileNodeLike>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  // Function index per distinct call frame, so `locate` (source maps) runs once per frame.
  const functions: FunctionLocation[] = [];
  const functionIndex = new Map<string, number>();
  const frameFunction = new Map<string, number>();
  const functionOf = (node: ProfileNodeLike): number => {
    const f = node.callFrame;
    const frameKey = `${f.url}\n${f.lineNumber}\n${f.columnNumber}\n${f.functionName}`;
    const known = frameFunction.get(frameKey);
    if (known !== undefined) return known;
    let index = -1;
    const loc = f.url === '' ? undefined : options.locate(f);
    if (loc) {
      const key = `${loc.file}\n${loc.line}\n${loc.column}\n${loc.name}`;
      index = functionIndex.get(key) ?? -1;
      if (index < 0) {
        index = functions.length;
        functions.push(loc);
        functionIndex.set(key, index);
      }
    }
    frameFunction.set(frameKey, index);
    return index;
  };

  // Per node: the distinct functions on its stack, innermost first (memoised up the tree).
  const stacks = new Map<number, readonly number[]>();
  const stackOf = (id: number): readonly number[] => {
    const chain: number[] = [];
    let at: number | undefined = id;
    while (at !== undefined && !stacks.has(at)) {
      chain.push(at);
      at = parent.get(at);
    }
    let above: readonly number[] = at === undefined ? [] : stacks.get(at)!;
    for (let i = chain.length - 1; i >= 0; i--) {
      const nodeId = chain[i]!;
      const node = nodes.get(nodeId);
      const fn = node ? functionOf(node) : -1;
      const own = fn >= 0 && !above.includes(fn) ? [fn, ...above] : above;
      stacks.set(nodeId, own);
      above = own;
    }
    return stacks.get(id) ?? [];
  };
  const leafKind = (id: number): Leaf => {
    const name = nodes.get(id)?.callFrame.functionName;
    if (name === GC) return Leaf.Gc;
    if (name === IDLE || name === PROGRAM) return Leaf.Break;
    return Leaf.Code;
  };

  const self: number[] = [];
  const total: number[] = [];
  const counts: number[] = [];
  const longest: number[] = [];
  /** Open stretch per function: its weight so far, and the sample index it was last seen at. */
  const runMs: number[] = [];
  const runAt: number[] = [];

  const samples = profile.samples ?? [];
  const weights = sampleWeightsMs(profile, options.intervalUs);
  let sampledMs = 0;
  let idleMs = 0;
  let lastCode = -1;
  /** An idle or `(program)` sample came after the last code sample: every run has ended. */
  let broken = false;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const w = weights[i]!;
    sampledMs += w;
    const kind = leafKind(id);
    if (kind === Leaf.Break) {
      if (nodes.get(id)?.callFrame.functionName === IDLE) idleMs += w;
      broken = true;
      continue;
    }
    if (kind === Leaf.Gc) {
      // Transparent: the runs still open (seen at the last code sample) take its time.
      if (lastCode >= 0 && !broken) {
        for (const fn of stacks.get(samples[lastCode]!) ?? []) {
          if (runAt[fn] === lastCode) {
            runMs[fn] = (runMs[fn] ?? 0) + w;
            longest[fn] = Math.max(longest[fn] ?? 0, runMs[fn]);
          }
        }
      }
      continue;
    }
    const stack = stackOf(id);
    for (let k = 0; k < stack.length; k++) {
      const fn = stack[k]!;
      if (k === 0) self[fn] = (self[fn] ?? 0) + w;
      total[fn] = (total[fn] ?? 0) + w;
      counts[fn] = (counts[fn] ?? 0) + 1;
      // A run continues only from the previous code sample with no break in between.
      const continues = !broken && lastCode >= 0 && runAt[fn] === lastCode;
      runMs[fn] = (continues ? runMs[fn]! : 0) + w;
      runAt[fn] = i;
      longest[fn] = Math.max(longest[fn] ?? 0, runMs[fn]);
    }
    lastCode = i;
    broken = false;
  }

  const all: CpuFunctionAggregate[] = [];
  for (let fn = 0; fn < functions.length; fn++) {
    if ((counts[fn] ?? 0) === 0) continue;
    all.push({
      ...functions[fn]!,
      selfMs: self[fn] ?? 0,
      totalMs: total[fn] ?? 0,
      samples: counts[fn] ?? 0,
      longestSyncMs: longest[fn] ?? 0,
    });
  }
  all.sort((a, b) => b.totalMs - a.totalMs || b.selfMs - a.selfMs);
  const max = Math.max(0, options.maxFunctions ?? 200);
  return {
    functions: all.slice(0, max),
    truncated: Math.max(0, all.length - max),
    samples: samples.length,
    sampledMs,
    idleMs,
  };
}

/** Each sample's weight in ms (see the module comment). */
export function sampleWeightsMs(profile: ProfileLike, intervalUs: number): number[] {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas;
  const out = new Array<number>(samples.length);
  if (!deltas || deltas.length !== samples.length) {
    out.fill(intervalUs / 1000);
    return out;
  }
  let t = profile.startTime;
  const stamps = new Array<number>(samples.length);
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i]!;
    stamps[i] = t;
  }
  const cap = MAX_WEIGHT_INTERVALS * intervalUs;
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? stamps[i + 1]! : profile.endTime;
    out[i] = Math.min(cap, Math.max(0, next - stamps[i]!)) / 1000;
  }
  return out;
}
