import { ts } from 'ts-morph';
import { parseSource } from '../analysis/analyzer.js';
import { FileContext } from '../analysis/file-context.js';
import { collectUnits, unwrapExpression, type FunctionUnit } from '../analysis/units.js';
import type { FunctionExtent } from './evidence.js';
import type { SourceTaskOptions } from './merge.js';

/** The units of one file with what the merge needs from the source, read once per version. */
export interface TaskSource {
  ctx: FileContext;
  units: FunctionUnit[];
  options: Map<string, SourceTaskOptions>;
  extents: Map<string, FunctionExtent>;
}

/** Parses `text` and reads every unit's extent and declared options. */
export function readTaskSource(path: string, file: string, text: string): TaskSource {
  const ctx = new FileContext(parseSource(path, text), path, file);
  const units = collectUnits(ctx);
  const options = new Map<string, SourceTaskOptions>();
  const extents = new Map<string, FunctionExtent>();
  for (const u of units) {
    const start = ctx.sf.getLineAndCharacterOfPosition(u.node.getStart(ctx.sf)).line + 1;
    const end = ctx.sf.getLineAndCharacterOfPosition(u.node.getEnd()).line + 1;
    extents.set(u.id, { startLine: start, endLine: end });
    if (u.task) options.set(u.id, declaredOptions(u));
  }
  return { ctx, units, options, extents };
}

/** The property `key` of an options literal, when it is a plain `key: value` assignment. */
export function optionProperty(
  literal: ts.ObjectLiteralExpression | undefined,
  key: string,
): ts.PropertyAssignment | undefined {
  return literal?.properties.find(
    (p): p is ts.PropertyAssignment =>
      ts.isPropertyAssignment(p) &&
      (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) &&
      p.name.text === key,
  );
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration literal (`2000`, `'2s'`) in ms; undefined for anything else. */
function literalMs(e: ts.Expression): number | undefined {
  const v = unwrapExpression(e);
  if (ts.isNumericLiteral(v)) return Number(v.text);
  if (ts.isStringLiteralLike(v)) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v.text.trim());
    return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
  }
  return undefined;
}

/** `3` or `{ attempts: 3 }`, or `{ ms: 2000 }` for `field = 'ms'`. */
function literalField(
  e: ts.Expression,
  field: string,
  read: (e: ts.Expression) => number | undefined,
): number | undefined {
  const v = unwrapExpression(e);
  if (ts.isObjectLiteralExpression(v)) {
    const p = optionProperty(v, field);
    return p ? read(p.initializer) : undefined;
  }
  return read(v);
}

const literalInt = (e: ts.Expression): number | undefined => {
  const v = unwrapExpression(e);
  return ts.isNumericLiteral(v) ? Number(v.text) : undefined;
};

function declaredOptions(u: FunctionUnit): SourceTaskOptions {
  const task = u.task!;
  const lit = task.optionsNode;
  const timeout = optionProperty(lit, 'timeout');
  const retry = optionProperty(lit, 'retry');
  const bulkhead = optionProperty(lit, 'bulkhead');
  const timeoutMs = timeout && literalField(timeout.initializer, 'ms', literalMs);
  const retryAttempts = retry && literalField(retry.initializer, 'attempts', literalInt);
  const bulkheadLimit = bulkhead && literalField(bulkhead.initializer, 'limit', literalInt);
  return {
    keys: task.options,
    ...(task.mode !== undefined ? { mode: task.mode } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(retryAttempts !== undefined ? { retryAttempts } : {}),
    ...(bulkheadLimit !== undefined ? { bulkheadLimit } : {}),
  };
}
