import { ts } from 'ts-morph';
import { resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { siteFor, type NetworkCallSite } from './network-calls.js';
import { unwrapExpression } from './units.js';

/** Packages whose client instances the rules know, by the package their type is declared in. */
const CLIENT_PACKAGES = /[\\/]node_modules[\\/](axios|got)[\\/]/;

/** Methods an HTTP client instance is called through (axios and got). */
const CLIENT_METHODS =
  /^(get|post|put|patch|delete|head|options|request|postForm|putForm|patchForm|stream|paginate)$/;

/** Names an instance held in a field is usually given (`this.http`, `deps.apiClient`). */
const CLIENT_NAME = /(http|api|client|axios|got|request)/i;

/**
 * Receivers whose `get`/`request` is something else: express apps and routers, requests and
 * responses, maps and caches. Skipping them keeps the checker unbuilt for most files.
 */
const NOT_A_CLIENT =
  /^(app|router|server|req|request|res|response|headers|params|query|searchParams|url|map|cache|store|config|env|process|ctx|context)$/i;

/** `const m = new Map()`: an instance of a class the file names, never an axios/got instance. */
function madeByNew(ctx: FileContext, id: ts.Identifier): boolean {
  const b = resolveBinding(ctx, id);
  if (b.kind !== 'local' || !ts.isVariableDeclaration(b.declaration)) return false;
  const init = b.declaration.initializer && unwrapExpression(b.declaration.initializer);
  return init !== undefined && ts.isNewExpression(init);
}

/**
 * Could `call` be a call through an HTTP client whose binding the syntax does not show (an
 * instance made in another module, a class field, a parameter)? Cheap, syntax only: it decides
 * whether building the checker is worth it.
 */
export function mayBeClientCall(ctx: FileContext, call: ts.CallExpression): boolean {
  const callee = unwrapExpression(call.expression);
  // `api.get(url)`, or a callable instance in a field: `this.http(config)`.
  if (ts.isPropertyAccessExpression(callee)) {
    if (!CLIENT_METHODS.test(callee.name.text) && !CLIENT_NAME.test(callee.name.text)) return false;
    const receiver = unwrapExpression(callee.expression);
    return !(
      ts.isIdentifier(receiver) &&
      (NOT_A_CLIENT.test(receiver.text) || madeByNew(ctx, receiver))
    );
  }
  if (!ts.isIdentifier(callee)) return false;
  const b = resolveBinding(ctx, callee);
  if (b.kind === 'module') return b.module.startsWith('.');
  if (b.kind !== 'local') return false;
  const decl = b.declaration;
  if (ts.isParameter(decl)) return true;
  if (!ts.isVariableDeclaration(decl) || !decl.initializer) return false;
  const init = unwrapExpression(decl.initializer);
  return !ts.isArrowFunction(init) && !ts.isFunctionExpression(init);
}

/** The client package the type of `expr` is declared in (`axios`, `got`), if any. */
function clientPackageOf(checker: ts.TypeChecker, expr: ts.Expression): string | undefined {
  const type = checker.getTypeAtLocation(expr);
  const symbol = type.aliasSymbol ?? type.getSymbol();
  for (const decl of symbol?.declarations ?? []) {
    const m = CLIENT_PACKAGES.exec(decl.getSourceFile().fileName);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * A call through an axios or got instance recognised by its type: `this.http.get(url)` where
 * `http: AxiosInstance`, `api(config)` where `api` was made by `axios.create()` in another module.
 * The syntax phase resolves clients by binding; this finds the ones only types show.
 */
export function typedClientCall(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
): NetworkCallSite | undefined {
  const callee = unwrapExpression(call.expression);
  if (ts.isPropertyAccessExpression(callee)) {
    const pkg = clientPackageOf(checker, callee.expression);
    if (pkg) return siteFor(pkg, 'default', callee.name.text, call, checker);
  }
  const pkg = clientPackageOf(checker, callee);
  return pkg ? siteFor(pkg, 'default', undefined, call, checker) : undefined;
}
