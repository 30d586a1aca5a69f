import { ts } from 'ts-morph';
import { bareModule, resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { unwrapExpression } from './units.js';

/** Packages whose instances cap how many calls run at once. */
const LIMITER_MODULES = new Set([
  'p-limit',
  'p-queue',
  'p-throttle',
  'bottleneck',
  'async-sema',
  'async-mutex',
  '@supercharge/promise-pool',
]);

const fromLimiterModule = (ctx: FileContext, e: ts.Expression): boolean => {
  let root = unwrapExpression(e);
  while (ts.isPropertyAccessExpression(root) || ts.isCallExpression(root)) root = root.expression;
  if (!ts.isIdentifier(root)) return false;
  const b = resolveBinding(ctx, root);
  return b.kind === 'module' && LIMITER_MODULES.has(bareModule(b.module));
};

/**
 * Is `call` made through a limiter instance, whatever it is called: `gate(() => …)` after
 * `const gate = pLimit(4)`, `queue.add(() => …)` after `const queue = new PQueue(…)`.
 */
export function isKnownLimiter(ctx: FileContext, call: ts.CallExpression): boolean {
  let root = unwrapExpression(call.expression);
  while (ts.isPropertyAccessExpression(root)) root = unwrapExpression(root.expression);
  if (!ts.isIdentifier(root)) return false;
  const b = resolveBinding(ctx, root);
  if (b.kind !== 'local' || !ts.isVariableDeclaration(b.declaration)) return false;
  const init = b.declaration.initializer && unwrapExpression(b.declaration.initializer);
  return (
    init !== undefined &&
    (ts.isCallExpression(init) || ts.isNewExpression(init)) &&
    fromLimiterModule(ctx, init.expression)
  );
}
