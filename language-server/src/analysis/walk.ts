import { ts } from 'ts-morph';

/** Methods that change the Map, Set, array or object they are called on, in place. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set([
  'set',
  'add',
  'delete',
  'clear',
  'push',
  'pop',
  'shift',
  'unshift',
  'splice',
  'sort',
  'reverse',
  'fill',
  'copyWithin',
]);

/** Context of a node met while walking a function body. */
export interface WalkState {
  /** Loops (statements, and iteration callbacks like `.map`) around the node, inside the unit. */
  loopDepth: number;
  /** The node sits in the operand of an `await` (or is the await). */
  awaited: boolean;
  /**
   * The node is inside a function the unit defines but does not run: one it returns, or a
   * method or accessor of an object literal. Its work happens when someone calls it later, so
   * it is not the unit's own cost (rules about what the code calls still see it).
   */
  deferred?: true;
}

/** A function the enclosing code hands out instead of running: returned, or an object's method. */
function isDeferredDefinition(node: ts.Node): boolean {
  // By kind first: this runs for every node of every walk.
  switch (node.kind) {
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.FunctionExpression: {
      const p = node.parent;
      return (
        p.kind === ts.SyntaxKind.ReturnStatement ||
        (p.kind === ts.SyntaxKind.ArrowFunction && (p as ts.ArrowFunction).body === node)
      );
    }
    case ts.SyntaxKind.MethodDeclaration:
    case ts.SyntaxKind.GetAccessor:
    case ts.SyntaxKind.SetAccessor:
      return node.parent.kind === ts.SyntaxKind.ObjectLiteralExpression;
    default:
      return false;
  }
}

const ITERATION_METHODS = new Set([
  'map',
  'forEach',
  'reduce',
  'filter',
  'flatMap',
  'some',
  'every',
  'find',
  'findIndex',
]);

export function isLoop(node: ts.Node): node is ts.IterationStatement {
  // One switch on the kind (the walks ask this of every node).
  switch (node.kind) {
    case ts.SyntaxKind.ForStatement:
    case ts.SyntaxKind.ForOfStatement:
    case ts.SyntaxKind.ForInStatement:
    case ts.SyntaxKind.WhileStatement:
    case ts.SyntaxKind.DoStatement:
      return true;
    default:
      return false;
  }
}

/** `xs.map(cb)`-like call whose callback runs once per element. */
export function isIterationCall(node: ts.Node): node is ts.CallExpression {
  return (
    node.kind === ts.SyntaxKind.CallExpression &&
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    ITERATION_METHODS.has(node.expression.name.text) &&
    node.arguments.some((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a))
  );
}

export function isFunctionLike(node: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isClassLike(node)
  );
}

/**
 * Visits every node of a function's body with its loop depth. Nested units (other functions the
 * analyser reports separately) are skipped; inline callbacks are part of the function.
 */
export function walkFunction(
  fn: ts.FunctionLikeDeclaration,
  skip: ReadonlySet<ts.Node>,
  visit: (node: ts.Node, state: WalkState) => void,
): void {
  const body = fn.body;
  if (!body) return;
  // One child callback per state rather than per node (the walks run over every unit's body).
  const children = new Map<WalkState, (c: ts.Node) => void>();
  const childrenOf = (state: WalkState): ((c: ts.Node) => void) => {
    let f = children.get(state);
    if (!f) {
      f = (c) => go(c, state);
      children.set(state, f);
    }
    return f;
  };
  const go = (node: ts.Node, state: WalkState): void => {
    if (skip.has(node) || ts.isClassLike(node)) return;
    visit(node, state);
    if (isLoop(node)) {
      ts.forEachChild(node, (c) => {
        // The loop's header runs once per iteration too, but its init does not; keeping the
        // whole statement one level deeper is close enough for classification.
        go(c, { ...state, loopDepth: state.loopDepth + 1 });
      });
      return;
    }
    if (isIterationCall(node)) {
      go(node.expression, state);
      for (const a of node.arguments) go(a, { ...state, loopDepth: state.loopDepth + 1 });
      return;
    }
    if (node.kind === ts.SyntaxKind.AwaitExpression) {
      go((node as ts.AwaitExpression).expression, { ...state, awaited: true });
      return;
    }
    if (!state.deferred && isDeferredDefinition(node)) {
      ts.forEachChild(node, childrenOf({ loopDepth: 0, awaited: false, deferred: true }));
      return;
    }
    ts.forEachChild(node, childrenOf(state));
  };
  go(body, { loopDepth: 0, awaited: false });
}

/** `a.b.c` of a call's callee (`this.` kept), or undefined for computed callees. */
export function calleePath(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const parts: string[] = [];
  let e: ts.Expression = call.expression;
  while (true) {
    if (ts.isIdentifier(e)) {
      parts.unshift(e.text);
      break;
    }
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      parts.unshift('this');
      break;
    }
    if (ts.isPropertyAccessExpression(e)) {
      parts.unshift(e.name.text);
      e = e.expression;
      continue;
    }
    if (ts.isCallExpression(e)) {
      // createHash('sha256').update(x).digest(): keep the chain readable.
      const inner = calleePath(e);
      if (!inner) return undefined;
      parts.unshift(`${inner}()`);
      break;
    }
    if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) {
      e = e.expression;
      continue;
    }
    return undefined;
  }
  return parts.join('.');
}

/** Last name of a callee: `c` for `a.b.c(…)`. */
export function calleeName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** First identifier of a callee chain: `a` for `a.b.c(…)`. */
export function calleeRoot(call: ts.CallExpression | ts.NewExpression): string | undefined {
  let e: ts.Expression = call.expression;
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (e.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  return undefined;
}
