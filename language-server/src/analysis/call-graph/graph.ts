import { ts } from 'ts-morph';
import type { Evidence } from '../types.js';
import {
  MAX_CALL_DEPTH,
  Propagation,
  type ReachedState,
  type ResolvedCall,
  type Work,
} from './propagation.js';
import { checkerTarget, resolveSpecifier } from './resolution.js';
import { summarizeFile, type FileSummary, type UnitSummary } from './summary.js';

/** What the graph needs from the project: its parsed files and the task-id path of each. */
export interface CallGraphHost {
  /** The project's current parse of `path`, if the project has that file. */
  sourceFile(path: string): ts.SourceFile | undefined;
  /** Path relative to the file's project root, `/` separators. */
  relativePath(path: string): string;
}

/** Module state a unit reaches through one of its calls. */
export interface StateThroughCall extends ReachedState {
  /** The call in the unit the path starts with. */
  call: ts.CallExpression;
}

/** What a unit's callees add to it. */
export interface CalleeWork {
  /** Evidence anchored at the unit's calls; `reason` names the path, `via` lists it. */
  evidence: Evidence[];
  state: StateThroughCall[];
  /** Absolute paths of the other files the callees are in. */
  dependencies: Set<string>;
}

/** Re-export hops followed before giving up (barrels of barrels are rare, loops possible). */
const MAX_REEXPORT_HOPS = 4;

/**
 * The project's call graph: per-file summaries (cached per parsed file, so a changed file is
 * summarised again and an unchanged one never is), calls resolved to units across files, and
 * the callees' work propagated to callers through a bounded depth. Files are summarised lazily,
 * only when a call reaches them.
 */
export class ProjectCallGraph {
  private readonly summaries = new WeakMap<ts.SourceFile, FileSummary>();
  /** The editor's unsaved buffers (parsed on demand), which win over the project's copy. */
  private readonly overlays = new Map<string, () => ts.SourceFile>();
  /** The parse each path was last summarised from: a different one means the file changed. */
  private readonly lastSeen = new Map<string, ts.SourceFile>();
  private readonly resolved = new Map<string, string | null>();
  /** Import targets already looked up: `from \0 specifier \0 name` → unit (null: none). */
  private readonly imported = new Map<string, ResolvedUnit | null>();
  private readonly propagation: Propagation;

  constructor(
    private readonly host: CallGraphHost,
    maxDepth = MAX_CALL_DEPTH,
  ) {
    this.propagation = new Propagation(
      (u, file) => this.resolveCalls(u, file),
      (p) => host.relativePath(p),
      maxDepth,
    );
  }

  /** Forgets everything derived from more than one file (after a file changed, appeared or went). */
  invalidate(): void {
    this.propagation.clear();
    this.resolved.clear();
    this.imported.clear();
  }

  /**
   * Uses the editor's buffer for `path` until `clearOverlay`: `parse` returns its current parse
   * (called only when a call reaches the file; the same object while the text is unchanged).
   * Call again after every change of the buffer.
   */
  setOverlay(path: string, parse: () => ts.SourceFile): void {
    this.overlays.set(path, parse);
    this.invalidate();
  }

  clearOverlay(path: string): void {
    if (this.overlays.delete(path)) this.invalidate();
  }

  /** The summary of a parsed file (`file` defaults to the host's relative path). */
  summarize(sf: ts.SourceFile, path = sf.fileName, file?: string): FileSummary {
    let summary = this.summaries.get(sf);
    if (!summary) {
      summary = summarizeFile(sf, path, file ?? this.host.relativePath(path));
      this.summaries.set(sf, summary);
    }
    return summary;
  }

  /** The current summary of a callee's file: the editor's buffer, else the project's copy. */
  private fileAt(path: string): FileSummary | undefined {
    const sf = this.overlays.get(path)?.() ?? this.host.sourceFile(path);
    if (!sf) return undefined;
    const seen = this.lastSeen.get(path);
    if (seen !== sf) {
      // Replaced behind the graph's back (not through setFileText): derived work is stale.
      if (seen) this.invalidate();
      this.lastSeen.set(path, sf);
    }
    return this.summarize(sf, path);
  }

  private resolveSpecifier(from: string, specifier: string): string | undefined {
    const key = `${from}\0${specifier}`;
    let path = this.resolved.get(key);
    if (path === undefined) {
      path =
        resolveSpecifier(
          from,
          specifier,
          (p) => this.overlays.has(p) || this.host.sourceFile(p) !== undefined,
        ) ?? null;
      this.resolved.set(key, path);
    }
    return path ?? undefined;
  }

  /** The unit a file exports as `name`, through `export { a as b }` and re-exports. */
  private exported(path: string, name: string, hops = 0): ResolvedUnit | undefined {
    const f = this.fileAt(path);
    if (!f || hops > MAX_REEXPORT_HOPS) return undefined;
    const local = f.exports.local.get(name);
    const unit = local === undefined ? undefined : f.byName.get(local);
    if (unit) return { unit, file: f };
    const re = f.exports.reexports.get(name);
    if (re) {
      const target = this.resolveSpecifier(path, re.specifier);
      return target ? this.exported(target, re.name, hops + 1) : undefined;
    }
    if (name === 'default') return undefined;
    for (const spec of f.exports.star) {
      const target = this.resolveSpecifier(path, spec);
      const found = target ? this.exported(target, name, hops + 1) : undefined;
      if (found) return found;
    }
    return undefined;
  }

  /** A unit's calls resolved from their syntax, plus by the checker for the rest when given. */
  private resolveCalls(
    u: UnitSummary,
    file: FileSummary,
    checker?: ts.TypeChecker,
  ): ResolvedCall[] {
    const out: ResolvedCall[] = [];
    for (const site of u.calls) {
      let found: ResolvedUnit | undefined;
      const t = site.target;
      if (t?.kind === 'same-file') {
        // The caller's own summary: the same unit objects the caller is analysed with.
        const unit = file.byName.get(t.name);
        found = unit && { unit, file };
      } else if (t?.kind === 'import') {
        const key = `${file.path}\0${t.specifier}\0${t.name}`;
        let hit = this.imported.get(key);
        if (hit === undefined) {
          const target = this.resolveSpecifier(file.path, t.specifier);
          hit = (target ? this.exported(target, t.name) : undefined) ?? null;
          this.imported.set(key, hit);
        }
        found = hit ?? undefined;
      } else if (checker) {
        const r = checkerTarget(checker, site.node);
        const target = r && this.fileAt(r.path);
        const unit = r && target?.byName.get(r.name);
        found = unit && target && { unit, file: target };
      }
      if (found) out.push({ site, callee: found.unit, path: found.file.path, file: found.file });
    }
    return out;
  }

  /**
   * What the callees of `unit` (a unit of `summary`) add to it, as evidence at its calls. The
   * checker, when given, resolves the calls of this unit that the syntax cannot (instance
   * methods, re-exports through packages' paths); deeper calls use the syntax only.
   */
  calleeWork(summary: FileSummary, unit: UnitSummary, checker?: ts.TypeChecker): CalleeWork {
    const out: CalleeWork = { evidence: [], state: [], dependencies: new Set() };
    const ctx = summary.ctx;
    const calls = this.propagation.calls(
      unit,
      summary.path,
      this.resolveCalls(unit, summary, checker),
    );
    for (const { call, work } of calls) {
      const at = {
        text: ctx.text(call.site.node),
        ...ctx.lineColumn(call.site.node),
      };
      out.evidence.push(...evidenceAt(unit.unit.name, call, work, at));
      for (const s of work.state)
        out.state.push({ ...s, chain: [call.callee.unit.name, ...s.chain], call: call.site.node });
      for (const f of work.files) if (f !== summary.path) out.dependencies.add(f);
    }
    return out;
  }
}

interface ResolvedUnit {
  unit: UnitSummary;
  file: FileSummary;
}

/** The evidence one call contributes to `caller`, anchored at the call. */
function evidenceAt(
  caller: string,
  call: ResolvedCall,
  work: Work,
  at: { text: string; line: number; column: number },
): Evidence[] {
  const out: Evidence[] = [];
  const name = call.callee.unit.name;
  const site = call.site;
  const loop = site.inLoop ? ' (called in a loop)' : '';
  const perElement = site.inLoop ? { inLoop: true } : {};
  const describe = (chain: string[], reason: string): string =>
    `${[caller, name, ...chain].join(' → ')}: ${reason}${loop}`;
  for (const r of work.catalogue.slice(0, 3)) {
    const conditional = r.conditional || site.conditional;
    out.push({
      kind: r.source.kind,
      reason: describe(r.chain, r.source.reason),
      ...at,
      weight: r.source.weight + (site.inLoop && !r.inLoop ? 2 : 0),
      // The catalogue call blocks whenever it runs; a conditional path only lowers confidence.
      certain: true,
      via: [name, ...r.chain],
      ...(conditional ? { conditional: true } : {}),
      ...perElement,
    });
  }
  if (work.cpu.score >= 3 && work.cpu.top) {
    out.push({
      kind: 'cpu',
      reason: describe(work.cpu.top.chain, work.cpu.top.source.reason),
      ...at,
      weight: Math.min(work.cpu.score, 6) + (site.inLoop ? 2 : 0),
      via: [name, ...work.cpu.top.chain],
      ...perElement,
    });
  }
  if (work.io.score >= 1) {
    const top = work.io.top;
    out.push({
      kind: 'io',
      reason: top ? describe(top.chain, top.source.reason) : describe([], 'runs a fox task'),
      ...at,
      weight: 1,
      via: [name, ...(top?.chain ?? [])],
    });
  }
  return out;
}
