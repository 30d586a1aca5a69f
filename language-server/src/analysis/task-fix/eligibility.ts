import { ts } from 'ts-morph';
import { bindingNames, type FileContext } from '../file-context.js';
import { unitStatement } from '../fixes.js';
import { classify } from '../classify.js';
import type { AnalyzedUnit } from '../rules/rule.js';
import { notCloneable, workerProblems, type WorkerProblem } from '../rules/strategy-rules.js';
import { moduleStateProblems } from '../rules/worker-state.js';
import type { FoxMode } from '../types.js';
import { isAsyncFunction, type FunctionUnit } from '../units.js';
import { MUTATING_METHODS } from '../walk.js';

/**
 * Can a function become a fox task without changing what it does? Two levels: `syntaxBlocker`
 * reads only the file (it runs with every syntax analysis, so it must stay cheap);
 * `typedBlocker` asks the checker (it runs when a fix is resolved).
 */

/** Is the unit declared at module level (a worker can import it; a wrap keeps its scope)? */
function isModuleLevel(ctx: FileContext, unit: FunctionUnit): boolean {
  if (unit.classNode) return unit.classNode.parent === ctx.sf;
  return unitStatement(unit).parent === ctx.sf;
}

/** The object an access chain `a.b[c]!.d` starts from. */
function accessRoot(node: ts.Expression): ts.Expression {
  let e = node;
  while (
    ts.isPropertyAccessExpression(e) ||
    ts.isElementAccessExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isParenthesizedExpression(e)
  )
    e = e.expression;
  return e;
}

/**
 * A parameter the function changes in place (`p.x = …`, `p.push(…)`, `delete p[k]`): in a worker
 * the function gets a copy, so the caller would no longer see the change.
 */
function mutatedParameter(unit: FunctionUnit): string | undefined {
  const params = new Set(unit.node.parameters.flatMap((p) => bindingNames(p.name)));
  if (params.size === 0 || !unit.node.body) return undefined;
  const rootParam = (e: ts.Expression): string | undefined => {
    const root = accessRoot(e);
    return root !== e && ts.isIdentifier(root) && params.has(root.text) ? root.text : undefined;
  };
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      found = rootParam(node.left);
    } else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken ||
        node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      found = rootParam(node.operand);
    } else if (ts.isDeleteExpression(node)) {
      found = rootParam(node.expression);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      MUTATING_METHODS.has(node.expression.name.text)
    ) {
      const target = node.expression.expression;
      found = ts.isIdentifier(target) && params.has(target.text) ? target.text : rootParam(target);
    }
    if (!found) ts.forEachChild(node, visit);
  };
  visit(unit.node.body);
  return found;
}

/** Does the body call the function by the name a wrap rebinds to the task? */
function recursesThroughBinding(ctx: FileContext, unit: FunctionUnit): boolean {
  const node = unit.node;
  // A declaration becomes a named function expression: inside, its name still means itself.
  if (ts.isFunctionDeclaration(node) || !node.body) return false;
  const name = ts.isMethodDeclaration(node) ? node.name.getText(ctx.sf) : unit.variable?.name;
  if (!name) return false;
  const text = typeof name === 'string' ? name : ts.isIdentifier(name) ? name.text : undefined;
  if (!text) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isMethodDeclaration(node)) {
      // `this.name(…)` from inside a method.
      if (
        ts.isPropertyAccessExpression(n) &&
        n.expression.kind === ts.SyntaxKind.ThisKeyword &&
        n.name.text === text
      )
        found = true;
    } else if (
      ts.isIdentifier(n) &&
      n.text === text &&
      !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) &&
      !(ts.isPropertyAssignment(n.parent) && n.parent.name === n)
    ) {
      found = true;
    }
    if (!found) ts.forEachChild(n, visit);
  };
  visit(node.body);
  return found;
}

/**
 * Why wrapping `unit` as a `mode` task would break the program or change what it does, judged
 * from the file alone; undefined when the syntax sees no reason (the checker may still find one).
 */
export function syntaxBlocker(
  ctx: FileContext,
  unit: FunctionUnit | AnalyzedUnit,
  mode: FoxMode,
): string | undefined {
  const node = unit.node;
  const name = `'${unit.name}'`;
  if (node.asteriskToken) return `${name} is a generator, and a fox task returns one promise`;
  if (node.typeParameters?.length)
    return `${name} is generic, and fox(…) would erase its type parameters from every call`;
  if (
    ts.isFunctionDeclaration(node) &&
    node.name &&
    ctx.sf.statements.some(
      (s) => s !== node && ts.isFunctionDeclaration(s) && s.name?.text === node.name?.text,
    )
  )
    return `${name} has overloads, which fox(…) would collapse into one signature`;
  if (
    node.type &&
    (ts.isTypePredicateNode(node.type) || node.type.kind === ts.SyntaxKind.AssertsKeyword)
  )
    return `${name} is a type guard, which an async task cannot be`;
  if (recursesThroughBinding(ctx, unit))
    return `${name} calls itself through its own name, which would then call the task and get a promise back`;
  if (mode !== 'tfox') return undefined;
  if (!isModuleLevel(ctx, unit))
    return `${name} is declared inside another function or block; a worker thread can only import module-level functions`;
  const problem = workerBlockers(ctx, unit)[0];
  if (problem) return `${name} cannot run in a worker thread: ${problem.reason}`;
  const mutated = mutatedParameter(unit);
  if (mutated)
    return `${name} changes its argument '${mutated}' in place; in a worker it would change a copy, and the caller would not see it`;
  return undefined;
}

/**
 * FOX006's problems for `unit` (the same checks, so a fix never writes a task FOX006 rejects),
 * without "not exported" for a function, which the wrap fix solves by exporting it. With an
 * analysed unit, module state its callees touch is included (the call graph's part).
 */
function workerBlockers(
  ctx: FileContext,
  unit: FunctionUnit | AnalyzedUnit,
  checker?: ts.TypeChecker,
): WorkerProblem[] {
  const analyzed: AnalyzedUnit =
    'classification' in unit ? unit : { ...unit, classification: classify(ctx, unit, new Set()) };
  // A task stays where it is: only a wrap exports a function, so only then is "not exported" moot.
  return [...workerProblems(ctx, unit, checker), ...moduleStateProblems(ctx, analyzed)].filter(
    (p) => unit.task || unit.classNode || !isExportProblem(p),
  );
}

/**
 * Why a task cannot switch to tfox (FOX007's "change the mode" fix): what FOX006 would then
 * report, or an argument the function changes in place. Undefined when the switch is safe.
 */
export function tfoxSwitchBlocker(
  ctx: FileContext,
  unit: FunctionUnit | AnalyzedUnit,
): string | undefined {
  const problem = workerBlockers(ctx, unit)[0];
  if (problem) return `'${unit.name}' cannot run in a worker thread: ${problem.reason}`;
  const mutated = mutatedParameter(unit);
  if (mutated)
    return `'${unit.name}' changes its argument '${mutated}' in place; in a worker it would change a copy, and the caller would not see it`;
  return undefined;
}

/** "Not exported" is a problem the wrap fix itself solves (it exports the function). */
const isExportProblem = (p: { reason: string }): boolean =>
  p.reason.startsWith('it is not exported');

/** The signature's result type, unwrapped from its promise. */
function resultType(checker: ts.TypeChecker, node: ts.SignatureDeclaration): ts.Type | undefined {
  const signature = checker.getSignatureFromDeclaration(node);
  if (!signature) return undefined;
  const type = checker.getReturnTypeOfSignature(signature);
  return checker.getAwaitedType(type) ?? type;
}

/** Does the function return a promise already (declared `async`, or typed as returning one)? */
export function returnsPromise(checker: ts.TypeChecker, node: ts.SignatureDeclaration): boolean {
  if (isAsyncFunction(node)) return true;
  const signature = checker.getSignatureFromDeclaration(node);
  if (!signature) return false;
  const type = checker.getReturnTypeOfSignature(signature);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
  const then = type.getProperty('then');
  return (
    then !== undefined &&
    checker.getTypeOfSymbolAtLocation(then, node).getCallSignatures().length > 0 &&
    !type.isUnion()
  );
}

/**
 * What the checker adds to `syntaxBlocker` for tfox: module state and closures by declaration,
 * and arguments or results that structured clone cannot copy.
 */
export function typedBlocker(
  ctx: FileContext,
  unit: FunctionUnit,
  mode: FoxMode,
  checker: ts.TypeChecker,
): string | undefined {
  if (mode !== 'tfox') return undefined;
  const name = `'${unit.name}'`;
  const problem = workerBlockers(ctx, unit, checker)[0];
  if (problem) return `${name} cannot run in a worker thread: ${problem.reason}`;
  const result = resultType(checker, unit.node);
  const why = result ? notCloneable(checker, result) : undefined;
  if (why) return `${name} returns ${why}, which cannot be cloned back from a worker thread`;
  return undefined;
}
