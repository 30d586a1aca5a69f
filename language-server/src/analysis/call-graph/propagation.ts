import type { Evidence } from '../types.js';
import type { StateAccess } from './module-state.js';
import type { CallSite, FileSummary, UnitSummary } from './summary.js';

/**
 * How many calls deep work propagates to a caller. Four covers handler → service → helper →
 * hot loop; deeper chains rarely stay on one request path and each hop dilutes the evidence.
 */
export const MAX_CALL_DEPTH = 4;

/** Heuristic CPU score at which a callee is CPU-heavy (classify.ts's threshold). */
const CPU_HEAVY = 3;
/** Cap on the CPU score a callee passes on, so one hot helper does not dwarf everything else. */
const CPU_CAP = 6;
/** A callee called per element of a loop costs more than one call. */
const LOOP_BONUS = 2;
/** Catalogue calls passed on per call site: enough to explain, few enough to read. */
const MAX_CATALOGUE = 3;

/** Work found at the end of a call path. */
export interface Reached {
  /** The evidence in the function that does the work (its own file's positions). */
  source: Evidence;
  /** Callee names from the first callee down to the function doing the work. */
  chain: string[];
  conditional: boolean;
  inLoop: boolean;
}

/** Module state touched at the end of a call path. */
export interface ReachedState {
  access: StateAccess;
  chain: string[];
  /** Relative path of the file the state belongs to. */
  file: string;
}

/** What calling a unit costs its caller: the unit's own work plus its callees', bounded. */
export interface Work {
  /** Catalogue calls that block whatever their input (`*Sync` I/O, sync crypto/zlib). */
  catalogue: Reached[];
  /** Heuristic CPU score and its strongest piece of evidence. */
  cpu: { score: number; top?: Reached };
  io: { score: number; top?: Reached };
  state: ReachedState[];
  /** Absolute paths of the files the work was found in. */
  files: Set<string>;
}

/** A call with the unit it resolved to. */
export interface ResolvedCall {
  site: CallSite;
  callee: UnitSummary;
  /** Absolute path of the callee's file. */
  path: string;
  /** The summary of the callee's file. */
  file: FileSummary;
}

/** Identity of a unit across parses of its file. */
const keyOf = (path: string, u: UnitSummary): string => `${path}#${u.unit.name}`;

const extend = (r: Reached, name: string, site: CallSite): Reached => ({
  ...r,
  chain: [name, ...r.chain],
  conditional: r.conditional || site.conditional,
  inLoop: r.inLoop || site.inLoop,
});

/**
 * The unit's own contribution. A task that runs off the loop (tfox, wfox, …) costs its caller a
 * wait, not CPU.
 */
function ownWork(u: UnitSummary, path: string, file: string): Work {
  const work: Work = {
    catalogue: [],
    cpu: { score: 0 },
    io: { score: 0 },
    // A task's own module state is its worker's problem (FOX006 reports it at the task).
    state: u.offLoop ? [] : u.state.map((access) => ({ access, chain: [], file })),
    files: new Set([path]),
  };
  if (u.offLoop) {
    work.io.score = 1;
    return work;
  }
  for (const e of u.own.evidence) {
    const reached: Reached = { source: e, chain: [], conditional: false, inLoop: false };
    if (e.certain) work.catalogue.push(reached);
    else if (e.kind === 'cpu') {
      work.cpu.score += e.weight;
      if (!work.cpu.top || e.weight > work.cpu.top.source.weight) work.cpu.top = reached;
    } else {
      work.io.score += e.weight;
      work.io.top ??= reached;
    }
  }
  return work;
}

/** Adds what one call contributes (`sub`, the callee's work) to the caller's `work`. */
function addCall(work: Work, call: ResolvedCall, sub: Work): void {
  const name = call.callee.unit.name;
  for (const r of sub.catalogue.slice(0, MAX_CATALOGUE))
    work.catalogue.push(extend(r, name, call.site));
  if (sub.cpu.score >= CPU_HEAVY && sub.cpu.top) {
    work.cpu.score += Math.min(sub.cpu.score, CPU_CAP) + (call.site.inLoop ? LOOP_BONUS : 0);
    const top = extend(sub.cpu.top, name, call.site);
    if (!work.cpu.top || top.source.weight > work.cpu.top.source.weight) work.cpu.top = top;
  }
  if (sub.io.score >= 1) {
    work.io.score += 1;
    if (sub.io.top) work.io.top ??= extend(sub.io.top, name, call.site);
  }
  for (const s of sub.state) work.state.push({ ...s, chain: [name, ...s.chain] });
  for (const f of sub.files) work.files.add(f);
}

/** Resolves a unit's calls to units (the graph's job: files, exports, the checker). */
export type CallResolver = (u: UnitSummary, file: FileSummary) => ResolvedCall[];

/**
 * Computes what calling units costs, through at most `maxDepth` calls. A unit already on the
 * current path is not entered again, so recursion and cycles end; results are memoised per unit
 * and remaining depth (a cut cycle may hide work reached only through it: an under-estimate).
 */
export class Propagation {
  private readonly memo = new Map<string, Work>();

  constructor(
    private readonly resolve: CallResolver,
    private readonly relativePath: (path: string) => string,
    readonly maxDepth = MAX_CALL_DEPTH,
  ) {}

  /** Forgets memoised work (after any file changed). */
  clear(): void {
    this.memo.clear();
  }

  /** What calling `u` (in `file`) costs, looking `depthLeft` calls further. */
  work(u: UnitSummary, file: FileSummary, depthLeft: number, onPath: Set<string>): Work {
    const unitKey = keyOf(file.path, u);
    const key = `${unitKey}@${depthLeft}`;
    const cached = this.memo.get(key);
    if (cached) return cached;
    const work = ownWork(u, file.path, this.relativePath(file.path));
    if (depthLeft > 0 && !u.offLoop) {
      onPath.add(unitKey);
      for (const call of this.resolve(u, file)) {
        if (onPath.has(keyOf(call.path, call.callee))) continue;
        addCall(work, call, this.work(call.callee, call.file, depthLeft - 1, onPath));
      }
      onPath.delete(unitKey);
    }
    if (u.isAsync) {
      // Reported in the async function itself (FOX001), where the fix goes; awaiting it is a wait.
      work.catalogue = [];
      work.cpu = { score: 0 };
    }
    this.memo.set(key, work);
    return work;
  }

  /**
   * The callees' work for `u` itself, per call: what each resolved call contributes, with the
   * callee's work through `maxDepth - 1` further calls.
   */
  calls(
    u: UnitSummary,
    path: string,
    resolved: ResolvedCall[],
  ): { call: ResolvedCall; work: Work }[] {
    const self = keyOf(path, u);
    const onPath = new Set([self]);
    return resolved
      .filter((c) => keyOf(c.path, c.callee) !== self)
      .map((call) => ({
        call,
        work: this.work(call.callee, call.file, this.maxDepth - 1, onPath),
      }));
  }
}
