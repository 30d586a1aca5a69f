import { ts } from 'ts-morph';
import type { FileContext } from '../file-context.js';
import { codeBoundedReason, inputSizedReason } from '../fan-out-bounds.js';
import { isKnownLimiter } from '../limiters.js';
import { orderedLoopReason } from '../ordered-loops.js';
import { callbackReturnsPromise } from '../promise-returning.js';
import { boundFanOut } from '../fixes.js';
import { unwrapExpression } from '../units.js';
import { calleeName, calleePath, isLoop } from '../walk.js';
import { unitOf, type Rule } from './rule.js';

const LIMITED =
  /^(limit|limiter|pLimit|foxLane|semaphore|acquire|schedule|throttle|queue|enqueue|run)$/i;

/** Does the callback go through a limiter, a bulkhead, or a fox task that bounds concurrency? */
function callsLimiter(
  ctx: FileContext,
  node: ts.Expression,
  boundedTasks: ReadonlySet<string>,
): boolean {
  // `xs.map(boundedTask)`: the reference itself is the bounded task.
  if (ts.isIdentifier(node) && boundedTasks.has(node.text)) return true;
  let found = false;
  const go = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const name = calleeName(n) ?? '';
      if (ts.isIdentifier(n.expression) && boundedTasks.has(name)) found = true;
      if (isKnownLimiter(ctx, n)) found = true;
      const path = calleePath(n) ?? '';
      if (
        LIMITED.test(name) ||
        /(limit|queue|semaphore|bulkhead|pool)/i.test(path.split('.').slice(0, -1).join('.'))
      ) {
        found = true;
      }
    }
    ts.forEachChild(n, go);
  };
  go(node);
  return found;
}

/**
 * Is the fan-out inside a loop (a chunk per iteration, already bounded)? A worklist loop that
 * maps over the very array its condition tests (`while (queue.length) await Promise.all(queue.map(…))`)
 * is not a chunking loop: each round fans out over the whole queue.
 */
function isInsideLoop(node: ts.Node, source: ts.Expression): boolean {
  const src = unwrapExpression(source);
  for (let p = node.parent; p; p = p.parent) {
    if (isLoop(p)) {
      if ((ts.isWhileStatement(p) || ts.isDoStatement(p)) && ts.isIdentifier(src)) {
        let mentions = false;
        const go = (n: ts.Node): void => {
          if (ts.isIdentifier(n) && n.text === src.text) mentions = true;
          else ts.forEachChild(n, go);
        };
        go(p.expression);
        if (mentions) return false;
      }
      return true;
    }
    if (ts.isFunctionLike(p)) return false;
  }
  return false;
}

/** Does the array being mapped have a size bounded in the source (literal, `.slice(0, n)`)? */
function boundedSource(expr: ts.Expression): boolean {
  const e = unwrapExpression(expr);
  if (ts.isArrayLiteralExpression(e)) return true;
  if (ts.isCallExpression(e) && calleeName(e) === 'slice' && e.arguments.length === 2) return true;
  if (ts.isCallExpression(e) && calleePath(e) === 'Array.from') {
    const a = e.arguments[0];
    return a !== undefined && ts.isObjectLiteralExpression(a);
  }
  return false;
}

/**
 * FOX003: unbounded `Promise.all(items.map(async …))` → bulkhead or an mfox lane. Whether the
 * callback returns a promise is read from the syntax; with the checker (types phase) also from
 * its type, which recognises callbacks the syntax cannot (`(id) => repo.find(id)`).
 */
export const unboundedFanOut: Rule = {
  id: 'FOX003',
  name: 'unbounded-fan-out',
  description:
    'Promise.all over items.map(cb), where cb returns a promise, starts every call at once; bound it with a bulkhead or an mfox lane.',
  defaultSeverity: 'warning',
  pattern: 'bulkhead',
  needsTypes: false,
  usesTypes: true,
  check(rc) {
    // Tasks that queue beyond a limit: wfox (adaptive limiter), mfox (lane), or a bulkhead.
    const boundedTasks = new Set(
      rc.units
        .filter(
          (u) =>
            u.task &&
            (u.task.mode === 'wfox' ||
              u.task.mode === 'mfox' ||
              u.task.options.includes('bulkhead')),
        )
        .map((u) => u.variable?.name.getText(rc.file.sf) ?? u.name),
    );
    const visit = (node: ts.Node): void => {
      ts.forEachChild(node, visit);
      if (!ts.isCallExpression(node)) return;
      const path = calleePath(node);
      if (path !== 'Promise.all' && path !== 'Promise.allSettled') return;
      const arg = node.arguments[0] ? unwrapExpression(node.arguments[0]) : undefined;
      if (!arg || !ts.isCallExpression(arg) || calleeName(arg) !== 'map') return;
      if (!ts.isPropertyAccessExpression(arg.expression)) return;
      const cb = arg.arguments[0] ? unwrapExpression(arg.arguments[0]) : undefined;
      if (!cb) return;
      const source = arg.expression.expression;
      if (
        boundedSource(source) ||
        isInsideLoop(node, source) ||
        callsLimiter(rc.file, cb, boundedTasks)
      )
        return;
      // Syntax first; the checker (built lazily) only for what the syntax cannot tell.
      const returnsPromise =
        callbackReturnsPromise(rc.file, cb) ||
        (rc.typeChecker !== undefined && callbackReturnsPromise(rc.file, cb, rc.typeChecker()));
      if (!returnsPromise) return;
      // Certain only when the array is sized by the input (a parameter, a request, awaited
      // I/O); a field, a registry's getter, module state is sized by configuration.
      const bound = codeBoundedReason(rc.file, source);
      const input = bound ? undefined : inputSizedReason(rc.file, source);
      const unit = unitOf(rc, node);
      const sourceText = source.getText(rc.file.sf).slice(0, 40);
      rc.report({
        node,
        ...(unit ? { unit } : {}),
        message: bound
          ? `${path}(${sourceText}.map(…)) starts one call per element at once, but the array is ${bound}: its size is fixed by the code, not by a request. Bound it if it can grow large.`
          : input
            ? `${path}(${sourceText}.map(…)) starts one call per element at once over ${input}, whose size the input sets; bound the concurrency with a bulkhead or an mfox lane.`
            : `${path}(${sourceText}.map(…)) starts one call per element at once, but the array does not come from a parameter, a request or awaited I/O (a field, a registry or configuration): its size is likely fixed by configuration. Bound it if it can grow large.`,
        ...(input ? {} : { confidence: 'possible' as const }),
        fixes: [boundFanOut(rc.file, cb, rc.settings.laneLimit)],
      });
    };
    visit(rc.file.sf);
  },
};

const PACING = /(sleep|delay|wait|pause|throttle|setTimeout|backoff|lock|acquire)/i;

/** Outer variables assigned inside `body`: state carried from one iteration to the next. */
function carriedState(loop: ts.IterationStatement, sf: ts.SourceFile): Set<string> {
  const declaredInside = new Set<string>();
  const assigned = new Set<string>();
  const go = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) declaredInside.add(n.name.text);
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isIdentifier(n.left)
    ) {
      assigned.add(n.left.text);
    }
    if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      ts.isIdentifier(n.operand)
    ) {
      assigned.add(n.operand.text);
    }
    ts.forEachChild(n, go);
  };
  go(loop.statement);
  void sf;
  for (const d of declaredInside) assigned.delete(d);
  return assigned;
}

function hasEarlyExit(body: ts.Node): boolean {
  let found = false;
  const go = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (
      ts.isBreakStatement(n) ||
      ts.isReturnStatement(n) ||
      ts.isThrowStatement(n) ||
      ts.isContinueStatement(n)
    ) {
      found = true;
    }
    if (!found) ts.forEachChild(n, go);
  };
  go(body);
  return found;
}

/**
 * Does the await wait on a promise that was started before this iteration: a property
 * (`provider.ready`) or a name not bound to a call inside the loop (`await p` over `pending`)?
 */
function awaitsRunningPromise(a: ts.AwaitExpression, loop: ts.IterationStatement): boolean {
  const e = unwrapExpression(a.expression);
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) return true;
  if (!ts.isIdentifier(e)) return false;
  // `const p = load(id); await p;` starts the work in this iteration: still sequential.
  let startedHere = false;
  const go = (n: ts.Node): void => {
    if (startedHere || ts.isFunctionLike(n)) return;
    if (
      ts.isVariableDeclaration(n) &&
      ts.isIdentifier(n.name) &&
      n.name.text === e.text &&
      n.initializer &&
      !ts.isIdentifier(unwrapExpression(n.initializer)) &&
      !ts.isPropertyAccessExpression(unwrapExpression(n.initializer)) &&
      !ts.isElementAccessExpression(unwrapExpression(n.initializer))
    )
      startedHere = true;
    else if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isIdentifier(n.left) &&
      n.left.text === e.text &&
      ts.isCallExpression(unwrapExpression(n.right))
    )
      startedHere = true;
    else ts.forEachChild(n, go);
  };
  go(loop.statement);
  return !startedHere;
}

/** FOX004: independent awaits in sequence inside a loop → bounded concurrency. */
export const sequentialAwaits: Rule = {
  id: 'FOX004',
  name: 'sequential-awaits-in-loop',
  description:
    'Independent awaits run one after another inside a loop; run them with bounded concurrency.',
  defaultSeverity: 'warning',
  pattern: 'bulkhead',
  needsTypes: false,
  check(rc) {
    const sf = rc.file.sf;
    const visit = (node: ts.Node): void => {
      ts.forEachChild(node, visit);
      if (!(ts.isForOfStatement(node) || ts.isForStatement(node) || ts.isForInStatement(node)))
        return;
      if (ts.isForOfStatement(node) && node.awaitModifier) return;
      if (hasEarlyExit(node.statement)) return;
      const awaits: ts.AwaitExpression[] = [];
      ts.forEachChild(node.statement, function go(n) {
        if (ts.isFunctionLike(n)) return;
        // An await in a nested loop is that loop's finding, reported once, not once per
        // enclosing loop.
        if (ts.isIterationStatement(n, false)) return;
        if (ts.isAwaitExpression(n)) awaits.push(n);
        ts.forEachChild(n, go);
      });
      const first = awaits[0];
      if (!first || awaits.length > 2) return; // several dependent steps per element: leave it
      // `await provider.ready`, `for (const p of pending) await p`: the promises are already
      // running; awaiting them in turn costs nothing a concurrent wait would save.
      if (awaits.every((a) => awaitsRunningPromise(a, node))) return;
      // Iterations that must run in order (a transaction, hooks, one sink) are not a finding.
      if (orderedLoopReason(node, awaits)) return;
      const carried = carriedState(node, sf);
      for (const a of awaits) {
        const text = a.expression.getText(sf);
        if (PACING.test(text)) return;
        // `await Promise.all(batch.map(…))` per chunk is already bounded concurrency.
        const awaited = unwrapExpression(a.expression);
        const awaitedPath = ts.isCallExpression(awaited) ? calleePath(awaited) : undefined;
        if (/^Promise\.(all|allSettled|any|race)$/.test(awaitedPath ?? '')) return;
        const ids = new Set<string>();
        ts.forEachChild(a, function go(n) {
          if (ts.isIdentifier(n)) ids.add(n.text);
          ts.forEachChild(n, go);
        });
        for (const c of carried) if (ids.has(c)) return; // each step needs the previous one
      }
      const unit = unitOf(rc, node);
      rc.report({
        node: first,
        ...(unit ? { unit } : {}),
        message: `'${first.getText(sf).slice(0, 50)}' runs once per iteration, one after another, though the iterations do not depend on each other; run them with bounded concurrency (an mfox lane or a bulkhead).`,
        // Independence is read from the syntax (no carried variable, no pacing call); ordering
        // that lives in the callee (a rate limit, a cursor) is invisible here.
        confidence: 'likely',
      });
    };
    visit(sf);
  },
};
