import { ts } from 'ts-morph';
import { resolveBinding } from '../bindings.js';
import type { FileContext } from '../file-context.js';
import type { FunctionUnit } from '../units.js';
import { MUTATING_METHODS, walkFunction } from '../walk.js';

/** One function's first read or write of a piece of module-level mutable state. */
export interface StateAccess {
  /** The module-level name. */
  name: string;
  /** How the state is declared: a `let`/`var`, or a `const` collection mutated in place. */
  declared: 'let' | 'mutated const';
  write: boolean;
  node: ts.Identifier;
}

/** `new Map()`, `[]`, `{}` …: a module-level const whose contents can change. */
function isCollection(init: ts.Expression | undefined): boolean {
  if (!init) return false;
  if (ts.isObjectLiteralExpression(init) || ts.isArrayLiteralExpression(init)) return true;
  return (
    ts.isNewExpression(init) &&
    ts.isIdentifier(init.expression) &&
    /^(Map|Set|WeakMap|WeakSet|Array|Object)$/.test(init.expression.text)
  );
}

/** Does `id` (a use of a name) change what it names: assignment, `++`, `.set(…)`, `x.p = …`? */
function isWrite(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isBinaryExpression(p) && p.left === id) return isAssignment(p.operatorToken.kind);
  if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && p.operand === id)
    return (
      p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken
    );
  if (ts.isPropertyAccessExpression(p) && p.expression === id) {
    const g = p.parent;
    if (ts.isCallExpression(g) && g.expression === p) return MUTATING_METHODS.has(p.name.text);
    return isMemberTarget(p);
  }
  if (ts.isElementAccessExpression(p) && p.expression === id) return isMemberTarget(p);
  return false;
}

function isMemberTarget(member: ts.Expression): boolean {
  const g = member.parent;
  if (ts.isBinaryExpression(g) && g.left === member) return isAssignment(g.operatorToken.kind);
  if (ts.isDeleteExpression(g)) return true;
  return (
    (ts.isPrefixUnaryExpression(g) || ts.isPostfixUnaryExpression(g)) &&
    (g.operator === ts.SyntaxKind.PlusPlusToken || g.operator === ts.SyntaxKind.MinusMinusToken)
  );
}

function isAssignment(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** Is `id` a reference (not a property name, a declaration's name or a shorthand key)? */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p)) && p.name === id) return false;
  if (ts.isVariableDeclaration(p) && p.name === id) return false;
  if (ts.isBindingElement(p) && (p.name === id || p.propertyName === id)) return false;
  if (ts.isParameter(p) && p.name === id) return false;
  return true;
}

/**
 * Module-level state of a file that a worker thread would not share: every `let`/`var` at
 * module scope, and every module-level `const` Map/Set/array/object literal that some code in
 * the file mutates in place (a const that is never written is effectively a constant).
 */
export function moduleStateNames(ctx: FileContext): Map<string, StateAccess['declared']> {
  const names = new Map<string, StateAccess['declared']>();
  for (const n of ctx.moduleMutables) names.set(n, 'let');
  const collections = new Set<string>();
  for (const stmt of ctx.sf.statements) {
    if (!ts.isVariableStatement(stmt)) continue;
    if ((stmt.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
    for (const d of stmt.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && isCollection(d.initializer)) collections.add(d.name.text);
    }
  }
  if (collections.size === 0) return names;
  const scan = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && collections.has(n.text) && isReference(n) && isWrite(n))
      names.set(n.text, 'mutated const');
    ts.forEachChild(n, scan);
  };
  scan(ctx.sf);
  return names;
}

/** Is the declaration `id` resolves to (by scope, no checker) a module-level variable? */
function isModuleLevel(ctx: FileContext, id: ts.Identifier): boolean {
  const b = resolveBinding(ctx, id);
  if (b.kind !== 'local') return false;
  let d: ts.Node = b.declaration;
  while (ts.isBindingElement(d) || ts.isObjectBindingPattern(d) || ts.isArrayBindingPattern(d))
    d = d.parent;
  return (
    ts.isVariableDeclaration(d) &&
    ts.isVariableStatement(d.parent.parent) &&
    d.parent.parent.parent === ctx.sf
  );
}

/** Collects one function's module-state accesses from the nodes of a walk over it. */
export class StateCollector {
  private readonly byName = new Map<string, StateAccess>();

  constructor(
    private readonly ctx: FileContext,
    private readonly names: ReadonlyMap<string, StateAccess['declared']>,
  ) {}

  /** Call for every node of the function's walk. */
  visit(node: ts.Node): void {
    if (!ts.isIdentifier(node)) return;
    const declared = this.names.get(node.text);
    if (!declared || !isReference(node)) return;
    const seen = this.byName.get(node.text);
    if (seen?.write) return;
    const write = isWrite(node);
    if (seen && !write) return;
    if (!isModuleLevel(this.ctx, node)) return;
    this.byName.set(node.text, { name: node.text, declared, write, node });
  }

  /** One access per name, a write preferred over a read. */
  accesses(): StateAccess[] {
    return [...this.byName.values()];
  }
}

/**
 * The module state `unit` reads or writes itself (nested units in `skip` excluded: they are
 * summarised on their own), one access per name, a write preferred over a read.
 */
export function stateAccesses(
  ctx: FileContext,
  unit: FunctionUnit,
  skip: ReadonlySet<ts.Node>,
  names: ReadonlyMap<string, StateAccess['declared']>,
): StateAccess[] {
  if (names.size === 0) return [];
  const collector = new StateCollector(ctx, names);
  walkFunction(unit.node, skip, (node) => collector.visit(node));
  return collector.accesses();
}
