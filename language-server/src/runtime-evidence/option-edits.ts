import { ts } from 'ts-morph';
import type { FileContext } from '../analysis/file-context.js';
import { addOptionProperty, changeMode } from '../analysis/fixes.js';
import type { QuickFix, TextEdit } from '../analysis/types.js';
import { unwrapExpression, type FunctionUnit } from '../analysis/units.js';
import type { OptionChange } from './merge.js';
import { optionProperty } from './task-source.js';

/**
 * Turns the option changes a runtime finding suggests into source edits on the task's
 * `@fox()` / `fox()` options: an existing value is replaced in place (a nested `attempts` /
 * `ms` / `limit` when the option is an object, so its other settings stay), a missing option
 * is added by the analyser's `addOptionProperty`, a mode by `changeMode`. Undefined when the
 * options are not a literal the edit can keep intact.
 */
export function optionChangeFix(
  ctx: FileContext,
  unit: FunctionUnit,
  title: string,
  changes: readonly OptionChange[],
): QuickFix | undefined {
  const call = unit.taskCall;
  const literal = unit.task?.optionsNode;
  if (!call || !unit.task) return undefined;
  const edits: TextEdit[] = [];
  const added: string[] = [];
  for (const change of changes) {
    if (change.key === 'mode') {
      if (!unit.task.modeNode) added.push(`mode: '${change.mode}'`);
      else edits.push(...changeMode(ctx, unit.task.modeNode, change.mode).edits);
      continue;
    }
    const existing = optionProperty(literal, change.key);
    if (!existing) {
      added.push(`${change.key}: ${valueText(change)}`);
      continue;
    }
    const replaced = replaceValue(ctx, existing.initializer, change);
    if (!replaced) return undefined;
    edits.push(replaced);
  }
  if (added.length > 0) {
    const fix = addOptionProperty(ctx, call, 0, added.join(', '), title);
    if (!fix) return undefined;
    edits.push(...fix.edits);
  }
  return edits.length > 0 ? { title, path: ctx.path, edits } : undefined;
}

function valueText(change: Exclude<OptionChange, { key: 'mode' }>): string {
  switch (change.key) {
    case 'timeout':
      return `'${change.text}'`;
    case 'retry':
      return String(change.attempts);
    case 'breaker':
      return change.text;
    case 'bulkhead':
      return String(change.limit);
  }
}

/** The field an object-valued option keeps the changed number in. */
const NESTED: Record<string, string> = { timeout: 'ms', retry: 'attempts', bulkhead: 'limit' };

function replaceValue(
  ctx: FileContext,
  initializer: ts.Expression,
  change: Exclude<OptionChange, { key: 'mode' }>,
): TextEdit | undefined {
  const value = unwrapExpression(initializer);
  const nested = NESTED[change.key];
  if (nested && ts.isObjectLiteralExpression(value)) {
    const field = optionProperty(value, nested);
    if (!field) return undefined;
    const text = change.key === 'timeout' ? `'${change.text}'` : valueText(change);
    return { range: ctx.range(field.initializer), newText: text };
  }
  // Keep the author's quote style for a duration string.
  if (change.key === 'timeout' && ts.isStringLiteralLike(value)) {
    const quote = value.getText(ctx.sf)[0] ?? "'";
    return { range: ctx.range(value), newText: `${quote}${change.text}${quote}` };
  }
  return { range: ctx.range(initializer), newText: valueText(change) };
}
