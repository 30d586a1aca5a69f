import type { FileContext } from '../file-context.js';
import { markAsTask } from '../fixes.js';
import type { AnalyzedUnit } from '../rules/rule.js';
import type { FoxMode, QuickFix } from '../types.js';
import type { FunctionUnit } from '../units.js';
import { syntaxBlocker } from './eligibility.js';

/** A "run as a fox task" fix to offer, or why none is. */
export type TaskFixOffer = { fix: QuickFix } | { unavailable: string };

/**
 * The fix a rule offers to make `unit` a `mode` task, judged from the file alone (cheap enough
 * for every syntax analysis). The fix carries `resolve`: its complete edit set — callers updated,
 * formatted, type-checked — comes from `FoxAnalyzer.resolveFix`, which may still decline it.
 */
export function offerTaskFix(
  ctx: FileContext,
  unit: FunctionUnit | AnalyzedUnit,
  mode: FoxMode,
): TaskFixOffer {
  const blocker = syntaxBlocker(ctx, unit, mode);
  if (blocker) return { unavailable: blocker };
  const fix = markAsTask(ctx, unit, mode);
  return fix
    ? { fix }
    : { unavailable: `Fox cannot wrap this form of declaration of '${unit.name}'` };
}
