import { ts } from 'ts-morph';
import { bindingNames } from './file-context.js';
import { unwrapExpression } from './units.js';
import { calleeName } from './walk.js';

/** Calls that run their callback inside a database transaction (prisma, knex, sequelize, typeorm, drizzle…). */
const TRANSACTION_CALL =
  /^(\$?transaction|withTransaction|startTransaction|runInTransaction|transactional|begin)$/i;

/**
 * Receivers that are a transaction handle by convention. Not `session` or `manager`, which as
 * often name an HTTP session or a connection-wide entity manager; inside a transaction callback
 * they are caught by the callback itself.
 */
const TRANSACTION_HANDLE = /^(tx|trx|transaction|queryRunner)$/;

/**
 * Collections whose elements are meant to run one after another, matched against the last word
 * of the collection's name (`beforeHooks`, `this.plugins`; not `webhooks`, which are independent
 * deliveries).
 */
const ORDERED_COLLECTION =
  /^(hooks?|middlewares?|plugins?|handlers?|steps?|migrations?|interceptors?|listeners?|callbacks?|stages?|pipeline|transforms?|reducers?|seeders?|seeds?|patches)$/;

/**
 * Methods that write to one sink (a stream, a file handle) in call order. Not `send`: an SDK
 * client's `send(command)` (AWS) is as independent per element as any request.
 */
const ORDERED_WRITE = /^(write|writev|writeLine|appendFile|append)$/;

/**
 * Collections of extension points (`this.contributions`, `provider.getContributions()`) whose
 * lifecycle methods run in registration order: later ones rely on earlier ones.
 */
const LIFECYCLE_COLLECTION =
  /^(plugins?|contributions?|contributors?|extensions?|participants?|modules?|providers?)$/;

/** Lifecycle methods of an extension point: `activate`, `onStart`, `onWillStart`, `init`, `load`… */
const LIFECYCLE_METHOD =
  /^(on)?(will|did)?(activate|start|init|initialize|load|configure|setup|stop|ready)$|^setArguments$/i;

/** Activation (`activate`, `$activateByEvent`): run in order by contract. */
const ACTIVATION = /^\$?activate/i;

/** Functions whose purpose is to run their work one after another (`seriesAsyncMap`, `runSequentially`). */
const SEQUENTIAL_FUNCTION = /series|sequential|inorder|in_order|serial(?!i[sz])/i;

/** Methods by which a step, hook or plugin object is run. */
const STEP_METHOD = /^(run|apply|call|execute|handle|invoke|process|up|down|transform|use)$/;

/** Names the loop itself declares (its variable and its body's declarations). */
function loopNames(loop: ts.IterationStatement): Set<string> {
  const names = new Set<string>();
  const init =
    ts.isForOfStatement(loop) || ts.isForInStatement(loop) || ts.isForStatement(loop)
      ? loop.initializer
      : undefined;
  if (init && ts.isVariableDeclarationList(init)) {
    for (const d of init.declarations) for (const n of bindingNames(d.name)) names.add(n);
  }
  const go = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) {
      for (const name of bindingNames(n.name)) names.add(name);
    }
    ts.forEachChild(n, go);
  };
  go(loop.statement);
  return names;
}

/** Identifiers read in `node` (not property names). */
function identifiersIn(node: ts.Node): Set<string> {
  const ids = new Set<string>();
  const go = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
      ids.add(n.text);
    }
    ts.forEachChild(n, go);
  };
  go(node);
  return ids;
}

/** Root identifier of a callee chain (`tx` for `tx.user.update`), if any. */
function receiverRoot(call: ts.CallExpression): ts.Identifier | undefined {
  let e = unwrapExpression(call.expression);
  if (!ts.isPropertyAccessExpression(e) && !ts.isElementAccessExpression(e)) return undefined;
  while (
    ts.isPropertyAccessExpression(e) ||
    ts.isElementAccessExpression(e) ||
    ts.isCallExpression(e)
  )
    e = unwrapExpression(e.expression);
  return ts.isIdentifier(e) ? e : undefined;
}

/** The calls awaited (`await f(…)`, `await x.m(…)`). */
function awaitedCalls(awaits: readonly ts.AwaitExpression[]): ts.CallExpression[] {
  return awaits
    .map((a) => unwrapExpression(a.expression))
    .filter((e): e is ts.CallExpression => ts.isCallExpression(e));
}

function insideTransaction(loop: ts.Node): boolean {
  for (let p = loop.parent; p; p = p.parent) {
    if (!ts.isFunctionLike(p) || !p.parent || !ts.isCallExpression(p.parent)) continue;
    if (TRANSACTION_CALL.test(calleeName(p.parent) ?? '')) return true;
  }
  return false;
}

function passesTransaction(call: ts.CallExpression): boolean {
  return call.arguments.some((a) => {
    const o = unwrapExpression(a);
    return (
      ts.isObjectLiteralExpression(o) &&
      o.properties.some(
        (p) =>
          (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) &&
          ts.isIdentifier(p.name) &&
          /^(transaction|session)$/.test(p.name.text),
      )
    );
  });
}

/** Outer objects the body changes in place: `x.p = …`, `x[k] = …`, `Object.assign(x, …)`. */
function mutatedOuterObjects(loop: ts.IterationStatement, declared: Set<string>): Set<string> {
  const out = new Set<string>();
  const rootOf = (e: ts.Expression): string | undefined => {
    let r = unwrapExpression(e);
    while (ts.isPropertyAccessExpression(r) || ts.isElementAccessExpression(r))
      r = unwrapExpression(r.expression);
    return ts.isIdentifier(r) ? r.text : undefined;
  };
  const go = (n: ts.Node): void => {
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      (ts.isPropertyAccessExpression(n.left) || ts.isElementAccessExpression(n.left))
    ) {
      const root = rootOf(n.left);
      if (root) out.add(root);
    }
    if (
      ts.isCallExpression(n) &&
      /^Object\.assign$/.test(n.expression.getText()) &&
      n.arguments[0]
    ) {
      const root = rootOf(n.arguments[0]);
      if (root) out.add(root);
    }
    ts.forEachChild(n, go);
  };
  go(loop.statement);
  for (const d of declared) out.delete(d);
  return out;
}

/** What the loop iterates over (`hooks` in `for (const h of hooks)`), if it shows. */
function iterated(loop: ts.IterationStatement): ts.Expression | undefined {
  if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) return loop.expression;
  // `for (let i = 0; i < hooks.length; i++)`: the collection is in the condition.
  if (ts.isForStatement(loop) && loop.condition && ts.isBinaryExpression(loop.condition)) {
    return loop.condition.right;
  }
  return undefined;
}

/** Name of a collection expression: `hooks`, `this.plugins` → `plugins`, `hooks.length` → `hooks`. */
function collectionName(e: ts.Expression): string | undefined {
  let x = unwrapExpression(e);
  if (ts.isPropertyAccessExpression(x) && x.name.text === 'length')
    x = unwrapExpression(x.expression);
  if (ts.isIdentifier(x)) return x.text;
  if (ts.isPropertyAccessExpression(x)) return x.name.text;
  // `provider.getContributions()`: the collection a getter returns.
  if (ts.isCallExpression(x) && x.arguments.length === 0) {
    const name = calleeName(x);
    if (name && /^get[A-Z]/.test(name)) return name.slice(3);
  }
  return undefined;
}

/** Name of the function the loop is in (a declaration, method, or `const f = () => …`). */
function enclosingFunctionName(loop: ts.Node): string | undefined {
  for (let p = loop.parent; p; p = p.parent) {
    if (!ts.isFunctionLike(p)) continue;
    if ((ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p)) && p.name)
      return p.name.getText();
    if (
      (ts.isFunctionExpression(p) || ts.isArrowFunction(p)) &&
      ts.isVariableDeclaration(p.parent) &&
      ts.isIdentifier(p.parent.name)
    )
      return p.parent.name.text;
    return undefined;
  }
  return undefined;
}

/** Names called or read in the awaits (`onStart` in `measure(c, 'onStart', () => c.onStart())`). */
function namesInAwaits(awaits: readonly ts.AwaitExpression[]): Set<string> {
  const out = new Set<string>();
  for (const a of awaits) {
    const go = (n: ts.Node): void => {
      if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) out.add(n.text);
      else if (ts.isStringLiteral(n)) out.add(n.text);
      ts.forEachChild(n, go);
    };
    go(a);
  }
  return out;
}

/** Last word of a camelCase or snake_case name, lower-cased (`beforeHooks` → `hooks`). */
function lastWord(name: string): string {
  return (/(?:[A-Z]?[a-z0-9]+|[A-Z0-9]+)$/.exec(name)?.[0] ?? name).toLowerCase();
}

/**
 * Why a loop's awaits must run one after another, or undefined when nothing says so: the
 * iterations share a transaction, run hooks or steps in order, hand each element the same object,
 * change an object the next await reads, or write to one sink. Read from the syntax; a rule that
 * would run the iterations concurrently should stay silent when this gives a reason.
 */
export function orderedLoopReason(
  loop: ts.IterationStatement,
  awaits: readonly ts.AwaitExpression[],
): string | undefined {
  const calls = awaitedCalls(awaits);
  if (insideTransaction(loop)) return 'the loop runs inside a transaction';
  for (const call of calls) {
    const root = receiverRoot(call);
    if ((root && TRANSACTION_HANDLE.test(root.text)) || passesTransaction(call)) {
      return 'the calls share a transaction';
    }
  }
  const fn = enclosingFunctionName(loop);
  if (fn && SEQUENTIAL_FUNCTION.test(fn)) return `'${fn}' exists to run its work in sequence`;
  const over = iterated(loop);
  const collection = over && collectionName(over);
  if (collection && ORDERED_COLLECTION.test(lastWord(collection))) {
    return `the loop runs ${collection} in order`;
  }
  const names = namesInAwaits(awaits);
  if ([...names].some((n) => ACTIVATION.test(n))) return 'activation runs in order by contract';
  if (
    collection &&
    LIFECYCLE_COLLECTION.test(lastWord(collection)) &&
    [...names].some((n) => LIFECYCLE_METHOD.test(n))
  ) {
    return `the ${collection} start in registration order`;
  }
  const declared = loopNames(loop);
  const loopVariables = new Set<string>();
  const init =
    ts.isForOfStatement(loop) || ts.isForInStatement(loop) ? loop.initializer : undefined;
  if (init && ts.isVariableDeclarationList(init)) {
    for (const d of init.declarations) for (const n of bindingNames(d.name)) loopVariables.add(n);
  }
  for (const call of calls) {
    // `for (const step of steps) await step(ctx)`: each element receives the same object.
    const callee = unwrapExpression(call.expression);
    const step = ts.isIdentifier(callee)
      ? callee
      : ts.isPropertyAccessExpression(callee) && STEP_METHOD.test(callee.name.text)
        ? receiverRoot(call)
        : undefined;
    if (step && loopVariables.has(step.text)) {
      const shared = call.arguments
        .map((a) => unwrapExpression(a))
        .find((a) => ts.isIdentifier(a) && !declared.has(a.text));
      if (shared) return `each element is called with the same '${shared.getText()}'`;
    }
  }
  const mutated = mutatedOuterObjects(loop, declared);
  for (const a of awaits) {
    const ids = identifiersIn(a);
    for (const m of mutated) {
      if (ids.has(m)) return `the body changes '${m}', which the next await reads`;
    }
  }
  for (const call of calls) {
    const name = calleeName(call) ?? '';
    if (!ORDERED_WRITE.test(name)) continue;
    const callee = unwrapExpression(call.expression);
    // `fs.appendFile(path, …)` names its sink in argument 0; `stream.write(…)` in its receiver.
    const isFileCall = name === 'appendFile' && call.arguments.length >= 2;
    const sink = isFileCall
      ? call.arguments[0]
      : ts.isPropertyAccessExpression(callee)
        ? callee.expression
        : undefined;
    if (!sink) continue;
    const ids = identifiersIn(sink);
    if ([...ids].some((id) => declared.has(id))) continue; // one sink per element
    return `every iteration writes to the same ${isFileCall ? 'file' : `'${sink.getText()}'`}`;
  }
  return undefined;
}
