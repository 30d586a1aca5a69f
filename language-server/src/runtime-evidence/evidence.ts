import type { CpuFunctionStats } from '@fox/sdk/protocol';
import type { FunctionReport } from '../analysis/types.js';
import type { EvidenceWindow } from './live-stats-protocol.js';

/**
 * CPU time V8's sampling profiler attributed to one function over one window, as the SDK ships
 * it to the profiler (per-function aggregates) and the profiler forwards it.
 *
 * Positions are those of the function's declaration in the *source* (after source maps):
 * `file` relative to the project root with `/` separators, `line` and `column` 1-based (V8's
 * call frames are 0-based: the producer adds 1). A function is matched to the analyser's unit
 * whose extent contains `line`, the innermost one (see {@link functionAt}). `selfMs` is the
 * samples in the function itself × the sampling interval, `totalMs` includes its callees,
 * `longestSyncMs` the longest run of consecutive samples on the stack (the longest it held the
 * loop), all ms.
 */
export interface FunctionCpuEvidence extends CpuFunctionStats {
  window?: EvidenceWindow;
  /** Where it came from ("live from the debug session"). */
  source?: string;
}

/** 1-based first and last line of a function's whole declaration (body included). */
export interface FunctionExtent {
  startLine: number;
  endLine: number;
}

/**
 * Adapts a producer's record (any of the usual spellings: 0-based V8 positions, `url`/`path`,
 * `functionName`) to {@link FunctionCpuEvidence}; undefined when it cannot be located.
 */
export function toFunctionCpuEvidence(raw: {
  file?: string;
  url?: string;
  path?: string;
  line?: number;
  lineNumber?: number;
  column?: number;
  columnNumber?: number;
  name?: string;
  functionName?: string;
  selfMs?: number;
  totalMs?: number;
  samples?: number;
  longestSyncMs?: number;
  window?: EvidenceWindow;
}): FunctionCpuEvidence | undefined {
  const file = (raw.file ?? raw.path ?? raw.url)?.replace(/\\/g, '/').replace(/^\.\//, '');
  // `line`/`column` are 1-based; V8's `lineNumber`/`columnNumber` are 0-based.
  const line = raw.line ?? (raw.lineNumber !== undefined ? raw.lineNumber + 1 : undefined);
  const column = raw.column ?? (raw.columnNumber !== undefined ? raw.columnNumber + 1 : 1);
  if (!file || line === undefined || line < 1) return undefined;
  return {
    file,
    line,
    column,
    name: raw.name ?? raw.functionName ?? '',
    selfMs: raw.selfMs ?? 0,
    totalMs: raw.totalMs ?? raw.selfMs ?? 0,
    samples: raw.samples ?? 0,
    longestSyncMs: raw.longestSyncMs ?? 0,
    ...(raw.window ? { window: raw.window } : {}),
  };
}

/**
 * The analyser's function a CPU record belongs to: in the same file, the innermost function
 * whose extent contains the line (a callback's samples are its own, not its parent's). Without
 * extents, the function declared on that line.
 */
export function functionAt(
  functions: readonly FunctionReport[],
  cpu: Pick<FunctionCpuEvidence, 'file' | 'line'>,
  extents?: ReadonlyMap<string, FunctionExtent>,
): FunctionReport | undefined {
  let best: FunctionReport | undefined;
  let bestSize = Infinity;
  for (const fn of functions) {
    if (fn.file !== cpu.file) continue;
    const extent = extents?.get(fn.id) ?? { startLine: fn.line, endLine: fn.line };
    if (cpu.line < extent.startLine || cpu.line > extent.endLine) continue;
    const size = extent.endLine - extent.startLine;
    if (size < bestSize) {
      best = fn;
      bestSize = size;
    }
  }
  return best;
}
