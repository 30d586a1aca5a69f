import { dirname, join } from 'node:path';
import { ts } from 'ts-morph';
import { resolveBinding } from '../bindings.js';
import type { FileContext } from '../file-context.js';
import { unwrapExpression, type FunctionUnit } from '../units.js';

/**
 * Where a call goes, as far as the syntax tells: a unit of the same file (by unit name), or an
 * export of a project module (a relative import specifier and the imported name).
 */
export type CallTarget =
  { kind: 'same-file'; name: string } | { kind: 'import'; specifier: string; name: string };

/** A call resolved to a unit of some file of the project. */
export interface ResolvedTarget {
  /** Absolute path of the callee's file. */
  path: string;
  /** Unit name in that file (`name`, `Class.method`, `default`). */
  name: string;
}

/** Relative imports of a file: local name → specifier and imported name (`*` for namespaces). */
export function relativeImports(
  sf: ts.SourceFile,
): Map<string, { specifier: string; name: string }> {
  const out = new Map<string, { specifier: string; name: string }>();
  for (const stmt of sf.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
    const specifier = stmt.moduleSpecifier.text;
    const clause = stmt.importClause;
    if (!specifier.startsWith('.') || !clause || clause.isTypeOnly) continue;
    if (clause.name) out.set(clause.name.text, { specifier, name: 'default' });
    const nb = clause.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) out.set(nb.name.text, { specifier, name: '*' });
    if (nb && ts.isNamedImports(nb)) {
      for (const el of nb.elements) {
        if (!el.isTypeOnly)
          out.set(el.name.text, { specifier, name: (el.propertyName ?? el.name).text });
      }
    }
  }
  return out;
}

/** The unit a same-file declaration is (a function declaration, or a variable holding one). */
function unitOfDeclaration(
  decl: ts.Node,
  units: readonly FunctionUnit[],
): FunctionUnit | undefined {
  return units.find(
    (u) =>
      u.node === decl ||
      u.variable === decl ||
      (ts.isVariableDeclaration(decl) &&
        decl.initializer !== undefined &&
        unwrapExpression(decl.initializer) === u.node),
  );
}

/**
 * Resolves a call from its syntax alone (no checker): `f()` to a same-file function or a
 * relatively imported one, `ns.f()` through a namespace import, `this.m()` and `Class.m()` to
 * a method of a class in the file. Anything else (a method of an instance, a callback) is left
 * to the checker.
 */
export function syntacticTarget(
  ctx: FileContext,
  unit: FunctionUnit,
  call: ts.CallExpression,
  units: readonly FunctionUnit[],
  imports: ReadonlyMap<string, { specifier: string; name: string }>,
): CallTarget | undefined {
  const callee = unwrapExpression(call.expression);
  // Only a module-level name (a declaration or an import) can name a unit: `fetch(…)` or a
  // parameter's call needs no scope walk.
  if (ts.isIdentifier(callee)) {
    if (!ctx.moduleNames.has(callee.text)) return undefined;
    const b = resolveBinding(ctx, callee);
    if (b.kind === 'module') {
      const imp = imports.get(callee.text);
      return imp && imp.name !== '*' ? { kind: 'import', ...imp } : undefined;
    }
    if (b.kind !== 'local') return undefined;
    const target = unitOfDeclaration(b.declaration, units);
    return target ? { kind: 'same-file', name: target.name } : undefined;
  }
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const receiver = unwrapExpression(callee.expression);
  if (receiver.kind === ts.SyntaxKind.ThisKeyword) {
    const cls = unit.classNode?.name?.text;
    const name = `${cls}.${method}`;
    return cls && units.some((u) => u.name === name) ? { kind: 'same-file', name } : undefined;
  }
  if (!ts.isIdentifier(receiver) || !ctx.moduleNames.has(receiver.text)) return undefined;
  const b = resolveBinding(ctx, receiver);
  if (b.kind === 'module') {
    const imp = imports.get(receiver.text);
    return imp?.name === '*'
      ? { kind: 'import', specifier: imp.specifier, name: method }
      : undefined;
  }
  if (b.kind === 'local' && ts.isClassDeclaration(b.declaration) && b.declaration.name) {
    const name = `${b.declaration.name.text}.${method}`;
    return units.some((u) => u.name === name) ? { kind: 'same-file', name } : undefined;
  }
  return undefined;
}

/** Extensions an import specifier's `.js` (ESM output name) stands for in TypeScript sources. */
const SOURCE_FOR = new Map([
  ['.js', ['.ts', '.tsx']],
  ['.mjs', ['.mts']],
  ['.cjs', ['.cts']],
  ['.jsx', ['.tsx']],
]);

/**
 * The project file a relative specifier names, as TypeScript's resolution would find it among
 * sources: `./a.js` → `a.ts`, `./a` → `a.ts` / `a.tsx` / `a/index.ts`.
 */
export function resolveSpecifier(
  fromPath: string,
  specifier: string,
  exists: (path: string) => boolean,
): string | undefined {
  const base = join(dirname(fromPath), specifier);
  const ext = /\.[mc]?jsx?$/.exec(base)?.[0];
  const candidates = ext
    ? (SOURCE_FOR.get(ext) ?? []).map((e) => base.slice(0, -ext.length) + e)
    : [base, `${base}.ts`, `${base}.tsx`, `${base}.mts`, `${base}.cts`, join(base, 'index.ts')];
  return candidates.find((c) => /\.[mc]?tsx?$/.test(c) && exists(c));
}

/** Unit name of a declaration the checker resolved a call to, if it is one the analyser names. */
function unitNameOf(decl: ts.Declaration): string | undefined {
  if (ts.isFunctionDeclaration(decl)) {
    const isDefault = (ts.getModifiers(decl) ?? []).some(
      (m) => m.kind === ts.SyntaxKind.DefaultKeyword,
    );
    return isDefault ? 'default' : decl.name?.text;
  }
  if (ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name)) return decl.name.text;
  if (
    (ts.isMethodDeclaration(decl) || ts.isPropertyDeclaration(decl)) &&
    ts.isClassLike(decl.parent) &&
    decl.parent.name &&
    (ts.isIdentifier(decl.name) || ts.isPrivateIdentifier(decl.name))
  ) {
    return `${decl.parent.name.text}.${decl.name.text}`;
  }
  return undefined;
}

/**
 * Resolves a call with the type checker: through re-exports, aliases and instance methods
 * (`new Resizer().resize()`), to a declaration in a project source file.
 */
export function checkerTarget(
  checker: ts.TypeChecker,
  call: ts.CallExpression,
): ResolvedTarget | undefined {
  const callee = unwrapExpression(call.expression);
  const at = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
  let symbol = checker.getSymbolAtLocation(at);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (!decl) return undefined;
  const path = decl.getSourceFile().fileName;
  if (/\.d\.[mc]?ts$|[\\/]node_modules[\\/]/.test(path)) return undefined;
  const name = unitNameOf(decl);
  return name ? { path, name } : undefined;
}
