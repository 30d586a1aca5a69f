import type { ts } from 'ts-morph';
import type { StateThroughCall as ReachedThroughCall } from '../call-graph/index.js';
import type { FileContext } from '../file-context.js';
import { moduleStateNames, stateAccesses } from '../call-graph/module-state.js';
import type { AnalyzedUnit } from './rule.js';
import type { WorkerProblem } from './strategy-rules.js';

/** What a worker's own copy of module state does to a read or a write. */
const consequence = (write: boolean): string =>
  write
    ? 'each worker has its own copy, so the write never reaches the main thread or other workers'
    : 'each worker has its own copy, so it reads stale state';

/**
 * FOX006's module-state problems beyond the task's own `let` reads (which `workerProblems`
 * reports): module-level collections the task mutates or reads while the module mutates them,
 * and module state its same-project callees touch (through the call graph, path named).
 */
export function moduleStateProblems(ctx: FileContext, u: AnalyzedUnit): WorkerProblem[] {
  const out: WorkerProblem[] = [];
  const names = moduleStateNames(ctx);
  const collections = new Map([...names].filter(([, declared]) => declared === 'mutated const'));
  for (const a of stateAccesses(ctx, u, new Set(), collections)) {
    out.push({
      node: a.node,
      reason: `it ${a.write ? 'writes' : 'reads'} module state '${a.name}' (a module-level collection that is mutated); ${consequence(a.write)}`,
    });
  }
  // One problem per call (the analyser keeps one finding per node), naming every piece of
  // state first reached through it.
  const seen = new Set<string>();
  const byCall = new Map<ts.CallExpression, ReachedThroughCall[]>();
  for (const s of u.callees?.state ?? []) {
    const key = `${s.file}#${s.access.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    byCall.set(s.call, [...(byCall.get(s.call) ?? []), s]);
  }
  for (const [call, states] of byCall) {
    const first = states[0]!;
    const write = states.some((s) => s.access.write);
    const names = states.map((s) => `'${s.access.name}'`).join(', ');
    const where = first.file === ctx.file ? '' : ` of ${first.file}`;
    const paths = [...new Set(states.map((s) => [u.name, ...s.chain].join(' → ')))].join('; ');
    out.push({
      node: call,
      reason: `it calls '${first.chain[0]}', which ${write ? 'writes' : 'reads'} module state ${names}${where} (${paths}); ${consequence(write)}`,
    });
  }
  return out;
}
