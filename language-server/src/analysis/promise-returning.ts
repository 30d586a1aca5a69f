import { ts } from 'ts-morph';
import { resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { resolveNetworkCall } from './network-calls.js';
import { isAsyncFunction, unwrapExpression } from './units.js';

/**
 * Does a `.map` callback return a promise? Answers from types when a checker is at hand; from
 * syntax otherwise: `async`, a returned call to something that is (or may be) asynchronous, or a
 * reference to such a function. Inside `Promise.all(xs.map(cb))` an unknown call is most likely a
 * promise (why else wait for all of them), so only calls known to be synchronous say no.
 */
export function callbackReturnsPromise(
  ctx: FileContext,
  cb: ts.Expression,
  checker?: ts.TypeChecker,
): boolean {
  if (checker) return typeReturnsPromise(checker, cb);
  const e = unwrapExpression(cb);
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return functionReturnsPromise(ctx, e);
  if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) return calleeIsAsync(ctx, e);
  return false;
}

function typeReturnsPromise(checker: ts.TypeChecker, fn: ts.Expression): boolean {
  return checker
    .getTypeAtLocation(fn)
    .getCallSignatures()
    .some((s) => checker.getPropertyOfType(s.getReturnType(), 'then') !== undefined);
}

/** Expressions a function returns (its expression body, or its `return`s outside nested functions). */
function returnedExpressions(fn: ts.FunctionLikeDeclaration): ts.Expression[] {
  const body = fn.body;
  if (!body) return [];
  if (!ts.isBlock(body)) return [body];
  const out: ts.Expression[] = [];
  const go = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n) && n.expression) out.push(n.expression);
    ts.forEachChild(n, go);
  };
  ts.forEachChild(body, go);
  return out;
}

function functionReturnsPromise(ctx: FileContext, fn: ts.FunctionLikeDeclaration): boolean {
  if (isAsyncFunction(fn)) return true;
  if (fn.type) return /\b(Promise|PromiseLike)\s*</.test(fn.type.getText());
  return returnedExpressions(fn).some((r) => expressionIsPromise(ctx, r));
}

function expressionIsPromise(ctx: FileContext, expr: ts.Expression): boolean {
  const e = unwrapExpression(expr);
  if (ts.isConditionalExpression(e)) {
    return expressionIsPromise(ctx, e.whenTrue) || expressionIsPromise(ctx, e.whenFalse);
  }
  if (ts.isNewExpression(e))
    return ts.isIdentifier(e.expression) && e.expression.text === 'Promise';
  if (!ts.isCallExpression(e)) return false;
  if (resolveNetworkCall(ctx, e)) return true;
  const callee = unwrapExpression(e.expression);
  // `.then(…)` / `.catch(…)` / `.finally(…)` chain off a promise.
  if (ts.isPropertyAccessExpression(callee) && /^(then|catch|finally)$/.test(callee.name.text)) {
    return true;
  }
  return (
    (ts.isIdentifier(callee) || ts.isPropertyAccessExpression(callee)) && calleeIsAsync(ctx, callee)
  );
}

/** Globals whose functions are synchronous (`Promise.*` excepted: those return promises). */
const SYNC_GLOBALS = new Set([
  'Math',
  'JSON',
  'Object',
  'Array',
  'String',
  'Number',
  'Boolean',
  'BigInt',
  'Date',
  'Symbol',
  'Reflect',
  'Buffer',
  'console',
  'parseInt',
  'parseFloat',
  'encodeURIComponent',
  'decodeURIComponent',
  'structuredClone',
]);

/** Methods of strings, numbers, arrays and maps: synchronous whatever the receiver. */
const SYNC_METHODS =
  /^(toString|toFixed|toUpperCase|toLowerCase|trim|trimStart|trimEnd|split|join|slice|substring|replace|replaceAll|padStart|padEnd|concat|includes|indexOf|startsWith|endsWith|map|filter|reduce|find|some|every|flat|flatMap|keys|values|entries|has|at|toISOString|getTime|valueOf|charAt|charCodeAt)$/;

/** Is the function `callee` names asynchronous, as far as the file shows? */
function calleeIsAsync(
  ctx: FileContext,
  callee: ts.Identifier | ts.PropertyAccessExpression,
): boolean {
  if (ts.isPropertyAccessExpression(callee)) {
    let root: ts.Expression = callee.expression;
    while (ts.isPropertyAccessExpression(root) || ts.isCallExpression(root)) root = root.expression;
    if (ts.isIdentifier(root) && root.text === 'Promise') return true;
    if (ts.isIdentifier(root) && SYNC_GLOBALS.has(root.text)) {
      return resolveBinding(ctx, root).kind !== 'global';
    }
    return !SYNC_METHODS.test(callee.name.text);
  }
  const b = resolveBinding(ctx, callee);
  if (b.kind === 'global') return callee.text === 'fetch';
  if (b.kind === 'module') return true;
  const decl = b.declaration;
  if (ts.isFunctionDeclaration(decl)) return functionReturnsPromise(ctx, decl);
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    const init = unwrapExpression(decl.initializer);
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) {
      return functionReturnsPromise(ctx, init);
    }
    // `const load = fox({...}, async function load…)`: a wrapped task returns a promise.
    return ts.isCallExpression(init);
  }
  // A parameter or other binding we cannot see into: called inside Promise.all, assume async.
  return !ts.isClassDeclaration(decl) && !ts.isEnumDeclaration(decl);
}
