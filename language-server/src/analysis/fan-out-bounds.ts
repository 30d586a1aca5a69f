import { ts } from 'ts-morph';
import { resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { unwrapExpression } from './units.js';
import { calleePath } from './walk.js';

/** Names of objects that hold a definition written in code (a schema, its `_def`, a config). */
const DEFINITION_OBJECT = /^(_?def|definition|schema|shape|spec)$/i;

/**
 * Why the array `expr` a fan-out maps over is evidently sized by code rather than by input, or
 * undefined when nothing says so. A union schema's options (`this._def.options`), a module-level
 * constant array, the keys of a literal object: a change to the code, not a bigger request, makes
 * them longer. Function parameters, request bodies and query results are never code-bounded.
 */
export function codeBoundedReason(
  ctx: FileContext,
  expr: ts.Expression,
  depth = 0,
): string | undefined {
  if (depth > 3) return undefined;
  const e = unwrapExpression(expr);
  // `[...plugins]` is as long as what it spreads, `[]` as what is pushed into it later: only a
  // literal of written elements is fixed.
  if (ts.isArrayLiteralExpression(e))
    return e.elements.length === 0 || e.elements.some(ts.isSpreadElement)
      ? undefined
      : 'a literal array';
  if (ts.isObjectLiteralExpression(e)) return 'a literal object';
  if (ts.isCallExpression(e)) {
    const path = calleePath(e);
    const arg = e.arguments[0];
    if (/^Object\.(keys|values|entries)$/.test(path ?? '') && arg) {
      const inner = codeBoundedReason(ctx, arg, depth + 1);
      return inner ? `${path}(…) of ${inner}` : undefined;
    }
    return undefined;
  }
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const { root, names } = accessChain(e);
    if (root.kind === ts.SyntaxKind.ThisKeyword) return 'a property of `this`, set by code';
    if (ts.isIdentifier(root)) names.push(root.text);
    if (names.some((n) => DEFINITION_OBJECT.test(n))) return 'a property of a definition object';
    return ts.isIdentifier(root) ? constantOrigin(ctx, root, depth) : undefined;
  }
  if (ts.isIdentifier(e)) return constantOrigin(ctx, e, depth);
  return undefined;
}

/**
 * Where a property or element access starts (`this`, an identifier, a call…), and the
 * property names on the way, last access first (`a.b.c` → root `a`, names `['c', 'b']`).
 */
function accessChain(e: ts.PropertyAccessExpression | ts.ElementAccessExpression): {
  root: ts.Expression;
  names: string[];
} {
  let root: ts.Expression = e;
  const names: string[] = [];
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) {
    if (ts.isPropertyAccessExpression(root)) names.push(root.name.text);
    root = unwrapExpression(root.expression);
  }
  return { root, names };
}

/** Follows a `const` binding to what it was initialised with. */
function constantOrigin(ctx: FileContext, id: ts.Identifier, depth: number): string | undefined {
  const b = resolveBinding(ctx, id);
  if (b.kind !== 'local' || !ts.isVariableDeclaration(b.declaration)) return undefined;
  const decl = b.declaration;
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return undefined;
  if (!decl.initializer || !ts.isIdentifier(decl.name)) return undefined;
  const atModuleLevel = ts.isSourceFile(list.parent.parent);
  const inner = codeBoundedReason(ctx, decl.initializer, depth + 1);
  if (!inner) return undefined;
  return atModuleLevel && /^a literal/.test(inner)
    ? `the module-level constant '${id.text}'`
    : `'${id.text}', ${inner}`;
}

/** Array methods whose result is as long as (or a part of) the array they are called on. */
const ARRAY_DERIVED =
  /^(filter|slice|concat|flat|flatMap|map|sort|reverse|toSorted|toReversed|toSpliced|values|keys|entries|splice)$/;

/** Members that hold what configuration registered: plugins, listeners, hooks, contributions. */
const CONFIGURED_MEMBER =
  /(plugin|listener|contribution|hook|handler|provider|extension|middleware|subscriber|observer|callback|interceptor|option|config|setting)s?$/i;

/** Root names and members that hold what a client sent: `req.body`, `ctx.request.query`. */
const REQUEST_ROOT = /^(req|request|ctx|context|event|input|args|payload|message|msg)$/i;
const REQUEST_MEMBER = /^(body|query|params|request|payload|input|args|arguments|data)$/i;

/**
 * Why the array `expr` a fan-out maps over is sized by the input of the code, or undefined when
 * nothing says so: a parameter of the enclosing function (directly or through copies, spreads,
 * `.filter`/`.slice`/`.concat`, destructuring and local aliases), a request's body/query/params,
 * or the result of awaited I/O (a query, a directory listing, a fetch). A field of `this`, a
 * synchronous getter's result, or module state is sized by configuration and is not.
 */
export function inputSizedReason(
  ctx: FileContext,
  expr: ts.Expression,
  depth = 0,
): string | undefined {
  if (depth > 6) return undefined;
  const e = unwrapExpression(expr);
  const next = (x: ts.Expression): string | undefined => inputSizedReason(ctx, x, depth + 1);
  if (ts.isAwaitExpression(e)) {
    const awaited = unwrapExpression(e.expression);
    const path = ts.isCallExpression(awaited) ? calleePath(awaited) : undefined;
    // `await Promise.all(xs.map(…))` has one result per element of `xs`: as long as `xs`.
    const mapped = ts.isCallExpression(awaited) && awaited.arguments[0];
    if (/^Promise\.(all|allSettled)$/.test(path ?? '') && mapped) {
      const m = unwrapExpression(mapped);
      return ts.isCallExpression(m) &&
        ts.isPropertyAccessExpression(m.expression) &&
        m.expression.name.text === 'map'
        ? next(m.expression.expression)
        : undefined;
    }
    return `the result of awaited I/O${path ? ` (${path}(…))` : ''}`;
  }
  if (ts.isArrayLiteralExpression(e)) {
    for (const el of e.elements) {
      if (!ts.isSpreadElement(el)) continue;
      const inner = next(el.expression);
      if (inner) return `a copy of ${inner}`;
    }
    return undefined;
  }
  if (ts.isCallExpression(e)) {
    const path = calleePath(e) ?? '';
    const arg = e.arguments[0];
    if (/^(Array\.from|Object\.(keys|values|entries))$/.test(path) && arg) return next(arg);
    if (ts.isPropertyAccessExpression(e.expression)) {
      const method = e.expression.name.text;
      if (ARRAY_DERIVED.test(method)) {
        const inner = next(e.expression.expression);
        if (inner) return inner;
        if (method === 'concat') for (const a of e.arguments) if (next(a)) return next(a);
      }
      // `(await res.json()).items`, `data.json()` are awaited elsewhere; a sync call is not I/O.
    }
    return undefined;
  }
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const { root, names } = accessChain(e);
    if (root.kind === ts.SyntaxKind.ThisKeyword) return undefined;
    if (
      ts.isIdentifier(root) &&
      REQUEST_ROOT.test(root.text) &&
      names.some((n) => REQUEST_MEMBER.test(n))
    )
      return `the request's ${[...names].reverse().join('.')}`;
    // A parameter's plugin list or listeners (`server.plugins`) is configuration, not input.
    if (names.some((n) => CONFIGURED_MEMBER.test(n))) return undefined;
    if (ts.isAwaitExpression(root) || ts.isIdentifier(root)) {
      const inner = next(root);
      return inner ? `a member of ${inner}` : undefined;
    }
    return undefined;
  }
  if (ts.isIdentifier(e)) {
    const b = resolveBinding(ctx, e);
    if (b.kind !== 'local')
      return destructuredParameter(e) ? `'${e.text}', destructured from a parameter` : undefined;
    const decl = b.declaration;
    if (ts.isParameter(decl)) return `the parameter '${e.text}'`;
    if (ts.isBindingElement(decl)) {
      let d: ts.Node = decl;
      while (!ts.isVariableDeclaration(d) && !ts.isParameter(d) && d.parent) d = d.parent;
      if (ts.isParameter(d)) return `'${e.text}', destructured from a parameter`;
      if (ts.isVariableDeclaration(d) && d.initializer) {
        const inner = next(d.initializer);
        return inner ? `'${e.text}', destructured from ${inner}` : undefined;
      }
      return undefined;
    }
    if (!ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
    if (ts.isSourceFile(decl.parent.parent.parent)) return undefined; // module state
    const init = unwrapExpression(decl.initializer);
    if (ts.isArrayLiteralExpression(init) && init.elements.length === 0)
      return filledFromInput(ctx, e.text, decl, depth);
    const inner = next(decl.initializer);
    return inner ? (inner.startsWith(`'${e.text}'`) ? inner : `'${e.text}', ${inner}`) : undefined;
  }
  return undefined;
}

/**
 * An array declared empty and filled by `name.push(…)` in a loop over an input-sized array is
 * input-sized too: `const plugins = []; for (const id of ids) plugins.push(…)`.
 */
function filledFromInput(
  ctx: FileContext,
  name: string,
  decl: ts.VariableDeclaration,
  depth: number,
): string | undefined {
  let body: ts.Node | undefined = decl;
  while (body && !ts.isFunctionLike(body) && !ts.isSourceFile(body)) body = body.parent;
  if (!body) return undefined;
  let found: string | undefined;
  const go = (n: ts.Node): void => {
    if (found) return;
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'push' &&
      ts.isIdentifier(n.expression.expression) &&
      n.expression.expression.text === name
    ) {
      for (let p: ts.Node = n.parent; p && p !== body; p = p.parent) {
        if (ts.isForOfStatement(p) || ts.isForInStatement(p)) {
          const inner = inputSizedReason(ctx, p.expression, depth + 1);
          if (inner) found = `'${name}', filled in a loop over ${inner}`;
          break;
        }
      }
    }
    ts.forEachChild(n, go);
  };
  go(body);
  return found;
}

/** Is `id` bound by a destructuring parameter of an enclosing function (`({ body }) => …`)? */
function destructuredParameter(id: ts.Identifier): boolean {
  const binds = (name: ts.BindingName): boolean =>
    ts.isIdentifier(name)
      ? name.text === id.text
      : name.elements.some((el) => ts.isBindingElement(el) && binds(el.name));
  for (let p: ts.Node | undefined = id.parent; p; p = p.parent) {
    if (ts.isFunctionLike(p) && p.parameters.some((q) => !ts.isIdentifier(q.name) && binds(q.name)))
      return true;
  }
  return false;
}
