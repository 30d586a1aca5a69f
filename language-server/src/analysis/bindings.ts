import { ts } from 'ts-morph';
import type { FileContext } from './file-context.js';
import { unwrapExpression } from './units.js';

/**
 * What an identifier is bound to, found by symbol rather than by its text: a package export
 * (ESM import or CommonJS `require`), a declaration in the file, or nothing (a global).
 */
export type Binding =
  | {
      kind: 'module';
      module: string;
      /** Exported name; `default` for default/namespace. */ imported: string;
    }
  | { kind: 'local'; declaration: ts.Node }
  | { kind: 'global' };

/** Package of a declaration file under node_modules (`@scope/name` or `name`). */
function packageOfFile(fileName: string): string | undefined {
  const m = /[\\/]node_modules[\\/](?:@types[\\/])?((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(fileName);
  return m?.[1]?.replace(/\\/g, '/');
}

function isAmbientGlobal(decl: ts.Node): boolean {
  if (!ts.isExternalModule(decl.getSourceFile())) return true;
  for (let p: ts.Node | undefined = decl.parent; p; p = p.parent) {
    if (ts.isModuleDeclaration(p) && p.flags & ts.NodeFlags.GlobalAugmentation) return true;
  }
  return false;
}

/** With a checker: the package the identifier's symbol is declared in, through aliases. */
function bindingFromChecker(checker: ts.TypeChecker, id: ts.Identifier): Binding | undefined {
  let symbol = checker.getSymbolAtLocation(id);
  if (!symbol) return undefined;
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol.declarations?.[0];
  if (!decl) return undefined;
  // lib.dom and @types/node declare `fetch` as a global (script file or `declare global`).
  if (isAmbientGlobal(decl)) return { kind: 'global' };
  const pkg = packageOfFile(decl.getSourceFile().fileName);
  return pkg ? { kind: 'module', module: pkg, imported: symbol.getName() } : undefined;
}

/** `require('m')`, `require('m').x`, `await import('m')` → module and member. */
function requiredModule(init: ts.Expression): { module: string; imported: string } | undefined {
  let e = unwrapExpression(init);
  if (ts.isAwaitExpression(e)) e = unwrapExpression(e.expression);
  let member: string | undefined;
  if (ts.isPropertyAccessExpression(e)) {
    member = e.name.text;
    e = unwrapExpression(e.expression);
  }
  if (!ts.isCallExpression(e) || e.arguments.length !== 1) return undefined;
  const arg = e.arguments[0]!;
  const isRequire = ts.isIdentifier(e.expression) && e.expression.text === 'require';
  const isImport = e.expression.kind === ts.SyntaxKind.ImportKeyword;
  if (!(isRequire || isImport) || !ts.isStringLiteralLike(arg)) return undefined;
  return { module: arg.text, imported: member ?? 'default' };
}

/** The declaration of `name` visible from `from`, walking scopes outwards (no checker). */
function declarationInScope(name: string, from: ts.Node): ts.Node | undefined {
  for (let scope: ts.Node | undefined = from.parent; scope; scope = scope.parent) {
    if (ts.isFunctionLike(scope)) {
      for (const p of scope.parameters) {
        if (ts.isIdentifier(p.name) && p.name.text === name) return p;
      }
      if (scope.name && ts.isIdentifier(scope.name) && scope.name.text === name) {
        if (ts.isFunctionExpression(scope)) return scope;
      }
    }
    if (ts.isCatchClause(scope)) {
      const v = scope.variableDeclaration;
      if (v && ts.isIdentifier(v.name) && v.name.text === name) return v;
    }
    const statements =
      ts.isSourceFile(scope) || ts.isBlock(scope) || ts.isModuleBlock(scope)
        ? scope.statements
        : undefined;
    if (ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) {
      const init = scope.initializer;
      if (init && ts.isVariableDeclarationList(init)) {
        const found = findInDeclarationList(init, name);
        if (found) return found;
      }
    }
    for (const s of statements ?? []) {
      const found = declares(s, name);
      if (found) return found;
    }
  }
  return undefined;
}

function findInDeclarationList(
  list: ts.VariableDeclarationList,
  name: string,
): ts.Node | undefined {
  for (const d of list.declarations) {
    const found = bindsName(d.name, name);
    // A destructured name resolves to its element, which knows the member it reads.
    if (found) return ts.isBindingElement(found) ? found : d;
  }
  return undefined;
}

function bindsName(b: ts.BindingName, name: string): ts.BindingElement | ts.Identifier | undefined {
  if (ts.isIdentifier(b)) return b.text === name ? b : undefined;
  for (const el of b.elements) {
    if (!ts.isBindingElement(el)) continue;
    if (ts.isIdentifier(el.name) && el.name.text === name) return el;
    const inner = bindsName(el.name, name);
    if (inner) return inner;
  }
  return undefined;
}

/** The node in statement `s` that declares `name`, if any. */
function declares(s: ts.Statement, name: string): ts.Node | undefined {
  if (ts.isVariableStatement(s)) return findInDeclarationList(s.declarationList, name);
  if (
    (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) &&
    s.name?.text === name
  ) {
    return s;
  }
  if (ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s)) {
    if (ts.isImportEqualsDeclaration(s)) return s.name.text === name ? s : undefined;
    const clause = s.importClause;
    if (clause?.name?.text === name) return clause;
    const nb = clause?.namedBindings;
    if (nb && ts.isNamespaceImport(nb) && nb.name.text === name) return nb;
    if (nb && ts.isNamedImports(nb)) return nb.elements.find((el) => el.name.text === name);
  }
  return undefined;
}

/** Module binding of an import/require declaration node, if it is one. */
function moduleOf(decl: ts.Node): { module: string; imported: string } | undefined {
  if (ts.isImportClause(decl) || ts.isNamespaceImport(decl) || ts.isImportSpecifier(decl)) {
    let imp: ts.Node = decl;
    while (!ts.isImportDeclaration(imp)) imp = imp.parent;
    if (!ts.isStringLiteral(imp.moduleSpecifier)) return undefined;
    const imported = ts.isImportSpecifier(decl) ? (decl.propertyName ?? decl.name).text : 'default';
    return { module: imp.moduleSpecifier.text, imported };
  }
  if (ts.isImportEqualsDeclaration(decl)) {
    const ref = decl.moduleReference;
    return ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression)
      ? { module: ref.expression.text, imported: 'default' }
      : undefined;
  }
  // `const { request } = require('undici')` / `const got = require('got')`
  let d: ts.Node = decl;
  let member: string | undefined;
  if (ts.isBindingElement(d)) {
    member = (
      d.propertyName && ts.isIdentifier(d.propertyName) ? d.propertyName : d.name
    ).getText();
    while (!ts.isVariableDeclaration(d)) d = d.parent;
  }
  if (ts.isVariableDeclaration(d) && d.initializer) {
    const req = requiredModule(d.initializer);
    if (req) return member ? { module: req.module, imported: member } : req;
  }
  return undefined;
}

/**
 * Resolves `id` to its binding. The checker (when the caller has one) sees through re-exports
 * and aliases; without it, the scopes of the file decide, which is right for the usual
 * `import x from 'pkg'` / `require('pkg')` and for locals that shadow a package's name.
 */
export function resolveBinding(
  _ctx: FileContext,
  id: ts.Identifier,
  checker?: ts.TypeChecker,
): Binding {
  if (checker) {
    const b = bindingFromChecker(checker, id);
    if (b) return b;
  }
  // The scopes of a parsed file never change: each identifier is looked up once (the analyses
  // resolve the same callees again and again); every caller gets its own copy.
  let found = syntacticBindings.get(id);
  if (!found) {
    const decl = declarationInScope(id.text, id);
    const mod = decl && moduleOf(decl);
    found = !decl
      ? { kind: 'global' }
      : mod
        ? { kind: 'module', ...mod }
        : { kind: 'local', declaration: decl };
    syntacticBindings.set(id, found);
  }
  return { ...found };
}

const syntacticBindings = new WeakMap<ts.Identifier, Binding>();

/** Normalises `node:http` → `http`. */
export function bareModule(spec: string): string {
  return spec.replace(/^node:/, '');
}
