import { relative } from 'node:path';
import { ts, type Node, type Project } from 'ts-morph';
import type { FileEdits, TextEdit } from '../types.js';
import { isAsyncFunction } from '../units.js';
import { returnsPromise } from './eligibility.js';

/**
 * Callers of a function that is about to return a promise: every call must be awaited, and only
 * an async function can await. One call in a synchronous position (a sync function, a callback of
 * a sync API, a constructor, a getter, a field initializer, module top level) or one use of the
 * function as a value means no fix: it would change that caller's behaviour or types.
 */

/** One place the function is referenced from, outside its own declaration. */
export interface FunctionReference {
  /** Absolute path of the file. */
  path: string;
  /** The referencing identifier, in the project's current program. */
  node: ts.Identifier;
}

/**
 * Every reference to the function named by `nameNode` in the project, found by the language
 * service (imports under another name, namespace imports and re-exports included).
 */
export function findFunctionReferences(
  project: Project,
  path: string,
  nameNode: ts.Node,
): FunctionReference[] {
  const sf = project.getSourceFileOrThrow(path);
  const named = sf.getDescendantAtPos(nameNode.getStart(sf.compilerNode));
  if (!named || !('findReferencesAsNodes' in named)) return [];
  const nodes = (named as Node & { findReferencesAsNodes(): Node[] }).findReferencesAsNodes();
  const out: FunctionReference[] = [];
  for (const n of nodes) {
    const compiler = n.compilerNode;
    if (!ts.isIdentifier(compiler) || compiler === nameNode) continue;
    out.push({ path: n.getSourceFile().getFilePath(), node: compiler });
  }
  return out;
}

/** Where a reference sits: `at` is the file:line a reason names. */
const where = (ref: FunctionReference, root: string): string => {
  const sf = ref.node.getSourceFile();
  const line = sf.getLineAndCharacterOfPosition(ref.node.getStart(sf)).line + 1;
  return `${relative(root, ref.path).split('\\').join('/') || ref.path}:${line}`;
};

/** Reference nodes that are not uses: imports, re-exports, `export default f`. */
function isImportOrExport(node: ts.Identifier): boolean {
  const p = node.parent;
  return (
    ts.isImportSpecifier(p) ||
    ts.isImportClause(p) ||
    ts.isNamespaceImport(p) ||
    ts.isExportSpecifier(p) ||
    ts.isExportAssignment(p) ||
    ts.isImportEqualsDeclaration(p)
  );
}

type CallerFunction =
  ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

/**
 * The nearest function around `node`, or what stops an `await` from being written there. A
 * function that is not `async` but returns a promise already can become `async` (`makeAsync`):
 * its callers get a promise either way.
 */
function awaitContext(
  node: ts.Node,
  checker: ts.TypeChecker,
): { fn: CallerFunction; makeAsync: boolean } | { blocked: string } {
  for (let p = node.parent; p; p = p.parent) {
    if (ts.isParameter(p)) return { blocked: 'in a parameter default value' };
    if (ts.isPropertyDeclaration(p)) return { blocked: 'in a class field initializer' };
    if (ts.isClassStaticBlockDeclaration(p)) return { blocked: 'in a static initialization block' };
    if (ts.isDecorator(p)) return { blocked: 'in a decorator' };
    if (ts.isConstructorDeclaration(p)) return { blocked: 'in a constructor' };
    if (ts.isGetAccessorDeclaration(p)) return { blocked: 'in a getter' };
    if (ts.isSetAccessorDeclaration(p)) return { blocked: 'in a setter' };
    if (
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isArrowFunction(p) ||
      ts.isMethodDeclaration(p)
    ) {
      if (isAsyncFunction(p)) return { fn: p, makeAsync: false };
      if (!p.asteriskToken && returnsPromise(checker, p)) return { fn: p, makeAsync: true };
      if (ts.isCallExpression(p.parent) && p.parent.arguments.includes(p as ts.Expression)) {
        const callee = p.parent.expression.getText().replace(/\s+/g, '');
        return {
          blocked: `in a synchronous callback passed to ${callee.length > 40 ? 'a function' : `${callee}()`}, which does not wait for a promise`,
        };
      }
      const name = p.name && ts.isIdentifier(p.name) ? `'${p.name.text}'` : 'a function';
      return { blocked: `in synchronous ${name}, whose own callers would then get a promise` };
    }
  }
  return { blocked: 'at module top level' };
}

/** Where `async ` goes: before `function`, before an arrow's parameters, before a method's name. */
function asyncKeywordAt(fn: CallerFunction, sf: ts.SourceFile): number {
  if (ts.isMethodDeclaration(fn)) return fn.name.getStart(sf);
  if (ts.isArrowFunction(fn)) return fn.getStart(sf);
  const keyword = fn.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.FunctionKeyword);
  return (keyword ?? fn).getStart(sf);
}

/** Does `call` need parentheses once prefixed with `await` (`(await f()).x`)? */
function needsParens(call: ts.Expression): boolean {
  const p = call.parent;
  return (
    ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) &&
      p.expression === call) ||
    (ts.isCallExpression(p) && p.expression === call) ||
    ts.isTaggedTemplateExpression(p) ||
    (ts.isBinaryExpression(p) &&
      p.left === call &&
      p.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken)
  );
}

const position = (sf: ts.SourceFile, offset: number): TextEdit['range']['start'] => {
  const { line, character } = sf.getLineAndCharacterOfPosition(offset);
  return { line, character };
};

const insertAt = (sf: ts.SourceFile, offset: number, newText: string): TextEdit => {
  const p = position(sf, offset);
  return { range: { start: p, end: p }, newText };
};

/**
 * The `await` edits that keep every caller working once the function returns a promise, or why
 * some caller cannot be kept working. `ownBody`: references inside it are left alone (a wrapped
 * declaration still calls itself directly). `root` is for the file names in reasons.
 */
export function awaitCallers(
  refs: readonly FunctionReference[],
  name: string,
  ownBody: ts.Node | undefined,
  root: string,
  checker: ts.TypeChecker,
): { edits: FileEdits[] } | { unavailable: string } {
  const byFile = new Map<string, TextEdit[]>();
  const madeAsync = new Set<ts.Node>();
  for (const ref of refs) {
    const id = ref.node;
    if (isImportOrExport(id)) continue;
    if (
      ownBody &&
      id.getSourceFile() === ownBody.getSourceFile() &&
      id.pos >= ownBody.pos &&
      id.end <= ownBody.end
    )
      continue;
    const at = where(ref, root);
    for (let p: ts.Node = id; p.parent && !ts.isSourceFile(p); p = p.parent) {
      if (ts.isTypeQueryNode(p))
        return {
          unavailable: `'${name}' is used as a type (typeof) at ${at}, and its type would change`,
        };
      if (ts.isStatement(p) || ts.isFunctionLike(p)) break;
    }
    // `f(…)`, `ns.f(…)`, `obj.method(…)`: the callee may be the name or an access ending in it.
    const callee: ts.Expression =
      (ts.isPropertyAccessExpression(id.parent) || ts.isPropertyAccessChain(id.parent)) &&
      id.parent.name === id
        ? id.parent
        : id;
    const call = callee.parent;
    if (!ts.isCallExpression(call) || call.expression !== callee)
      return {
        unavailable: `'${name}' is used as a value at ${at} (passed or stored, not called), and that code would get a function returning a promise`,
      };
    if (ts.isAwaitExpression(call.parent)) continue;
    const context = awaitContext(call, checker);
    if ('blocked' in context)
      return {
        unavailable: `'${name}' is called ${context.blocked} (${at}), where its result cannot be awaited`,
      };
    const sf = call.getSourceFile();
    const edits = byFile.get(ref.path) ?? [];
    const start = call.getStart(sf);
    if (context.makeAsync && !madeAsync.has(context.fn)) {
      madeAsync.add(context.fn);
      edits.push(insertAt(sf, asyncKeywordAt(context.fn, sf), 'async '));
    }
    if (needsParens(call)) {
      edits.push(insertAt(sf, start, '(await '), insertAt(sf, call.getEnd(), ')'));
    } else {
      edits.push(insertAt(sf, start, 'await '));
    }
    byFile.set(ref.path, edits);
  }
  return { edits: [...byFile].map(([path, edits]) => ({ path, edits })) };
}

/**
 * A reference that runs while the module is evaluated, before the declaration: fine for a
 * hoisted function declaration, a TDZ error once it is a `const`.
 */
export function usedBeforeDeclaration(
  refs: readonly FunctionReference[],
  declaration: ts.Node,
): FunctionReference | undefined {
  const sf = declaration.getSourceFile();
  return refs.find((r) => {
    if (r.node.getSourceFile() !== sf || r.node.pos >= declaration.pos) return false;
    if (isImportOrExport(r.node)) return false;
    for (let p = r.node.parent; p; p = p.parent) {
      if (ts.isFunctionLike(p) && !ts.isClassStaticBlockDeclaration(p)) return false;
      if (ts.isTypeNode(p)) return false;
    }
    return true;
  });
}

/**
 * A module-level call, before `declaration`, of a hoisted function declared in the same file
 * (`main()` at the top, `function main` below): it may reach the function before the `const` a
 * wrap makes is initialised. Returns the called name.
 */
export function hoistedCallBefore(declaration: ts.Node): string | undefined {
  const sf = declaration.getSourceFile();
  const hoisted = new Set(
    sf.statements.flatMap((s) => (ts.isFunctionDeclaration(s) && s.name ? [s.name.text] : [])),
  );
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      if (hoisted.has(node.expression.text)) found = node.expression.text;
    }
    ts.forEachChild(node, visit);
  };
  for (const statement of sf.statements) {
    if (statement.pos >= declaration.pos) break;
    visit(statement);
  }
  return found;
}
