import { ts } from 'ts-morph';
import { resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { globToRegExp } from './test-files.js';
import type { RuleId } from './types.js';
import { unwrapExpression } from './units.js';
import { calleeName } from './walk.js';

/**
 * Rules about code running on a Node server: the event loop every request shares (FOX001), a
 * stuck peer holding a server's request (FOX002), a fan-out overloading a backend (FOX003), and
 * request latency lost to sequential awaits (FOX004). In a browser the page is the only client,
 * the browser caps connections per host, and the recommended fixes (worker threads, fox lanes)
 * are Node's, so these rules skip browser code. Correctness rules and the fox-task rules still run.
 */
export const NODE_RUNTIME_RULES: ReadonlySet<RuleId> = new Set<RuleId>([
  'FOX001',
  'FOX002',
  'FOX003',
  'FOX004',
]);

/**
 * Conventional frontend folders (globs over the path relative to the project root); the config's
 * `browserGlobs` add to these. Conservative on purpose: `client/` only at the root (a
 * `src/client/` folder is as often a Node HTTP client), and no `web/` (often a Node web server).
 */
export const DEFAULT_BROWSER_GLOBS: readonly string[] = [
  'client/**',
  '**/frontend/**',
  '**/browser/**',
  '**/browser-only/**',
  '**/public/**',
  '**/app/components/**',
  '**/*.client.{ts,tsx,mts}',
];

/**
 * Packages only a browser bundle imports. Plain `react` is not one: server components, SSR and
 * e-mail templates import it too; `react-dom/server` is Node's.
 */
const BROWSER_MODULES =
  /^(react-dom|react-dom\/client|vue|svelte(\/.*)?|preact(\/.*)?|solid-js\/web)$/;

/** Calls that run their function argument in a page (playwright, puppeteer), by argument index. */
const PAGE_EVALUATE: Record<string, number> = {
  evaluate: 0,
  evaluateHandle: 0,
  waitForFunction: 0,
  addInitScript: 0,
  evaluateOnNewDocument: 0,
  $eval: 1,
  $$eval: 1,
};

/** What of a file is browser code, for the analyser to skip or hide the Node runtime rules. */
export interface BrowserCode {
  /** Why the whole file is browser code, when it is. */
  readonly fileReason: string | undefined;
  /** Functions serialised into a page (`page.evaluate(fn)`, `fn.toString()`). */
  readonly functions: ReadonlySet<ts.Node>;
  /** Does `rule` skip this file altogether? */
  skipsRule(rule: RuleId): boolean;
  /** Is `node` inside a serialised function, where `rule` does not apply? */
  hides(rule: RuleId, node: ts.Node): boolean;
}

const browserMatchers = new WeakMap<readonly string[], (file: string) => boolean>();

function browserGlobMatcher(extra: readonly string[]): (file: string) => boolean {
  let matcher = browserMatchers.get(extra);
  if (!matcher) {
    const patterns = [...DEFAULT_BROWSER_GLOBS, ...extra].map(globToRegExp);
    matcher = (file) => patterns.some((p) => p.test(file.replace(/^\.\//, '')));
    browserMatchers.set(extra, matcher);
  }
  return matcher;
}

/**
 * Why the whole file is browser code, or undefined: its tsconfig targets the browser, it lies
 * under a frontend folder (or the config's `browserGlobs`), it is a `'use client'` module, or it
 * imports a browser-only framework package.
 */
export function browserFileReason(
  ctx: FileContext,
  browserGlobs: readonly string[],
  tsconfigTargetsBrowser: boolean,
): string | undefined {
  if (tsconfigTargetsBrowser) return 'its tsconfig has the DOM lib and no Node types';
  if (browserGlobMatcher(browserGlobs)(ctx.file)) return 'it lies in a frontend folder';
  for (const stmt of ctx.sf.statements) {
    if (!ts.isExpressionStatement(stmt) || !ts.isStringLiteral(stmt.expression)) break;
    if (stmt.expression.text === 'use client') return "it is a 'use client' module";
  }
  for (const spec of new Set(ctx.packageImports.values())) {
    if (BROWSER_MODULES.test(spec)) return `it imports ${spec}`;
  }
  return undefined;
}

/** The function an expression is or names in this file (`page.evaluate(collect)`). */
function functionOf(ctx: FileContext, expr: ts.Expression): ts.Node | undefined {
  const e = unwrapExpression(expr);
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return e;
  if (!ts.isIdentifier(e)) return undefined;
  const b = resolveBinding(ctx, e);
  if (b.kind !== 'local') return undefined;
  const decl = b.declaration;
  if (ts.isFunctionDeclaration(decl)) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    const init = unwrapExpression(decl.initializer);
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
  }
  return undefined;
}

/**
 * Functions of the file whose source runs elsewhere: passed to a page-evaluating call
 * (`page.evaluate(fn)`, `page.$eval(sel, fn)`) or turned into text (`fn.toString()`,
 * `String(fn)`) to be shipped somewhere. Their bodies are not the Node process's code.
 */
export function serialisedFunctions(ctx: FileContext): Set<ts.Node> {
  const found = new Set<ts.Node>();
  for (const node of ctx.callLikes()) {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node) ?? '';
      const callee = node.expression;
      let arg: ts.Expression | undefined;
      if (ts.isPropertyAccessExpression(callee) && Object.hasOwn(PAGE_EVALUATE, name)) {
        arg = node.arguments[PAGE_EVALUATE[name]!];
      } else if (
        ts.isPropertyAccessExpression(callee) &&
        name === 'toString' &&
        node.arguments.length === 0
      ) {
        arg = callee.expression;
      } else if (ts.isIdentifier(callee) && callee.text === 'String' && node.arguments.length) {
        arg = node.arguments[0];
      }
      const fn = arg && functionOf(ctx, arg);
      if (fn) found.add(fn);
    }
  }
  return found;
}

/** What of `ctx` is browser code under `config`. */
export function findBrowserCode(
  ctx: FileContext,
  config: { browserGlobs?: readonly string[] },
  tsconfigTargetsBrowser: boolean,
): BrowserCode {
  const fileReason = browserFileReason(ctx, config.browserGlobs ?? [], tsconfigTargetsBrowser);
  const functions = fileReason ? new Set<ts.Node>() : serialisedFunctions(ctx);
  return {
    fileReason,
    functions,
    skipsRule: (rule) => fileReason !== undefined && NODE_RUNTIME_RULES.has(rule),
    hides(rule, node) {
      if (functions.size === 0 || !NODE_RUNTIME_RULES.has(rule)) return false;
      for (let p: ts.Node | undefined = node; p; p = p.parent) if (functions.has(p)) return true;
      return false;
    },
  };
}

/** The parts of a tsconfig's `compilerOptions` that say which runtime it targets. */
interface RuntimeOptions {
  lib?: unknown;
  types?: unknown;
}

/**
 * Does the tsconfig at `tsconfigPath` target the browser? Yes when its `lib` names the DOM and
 * its `types` is an explicit list without `node`. With no `types` list, every installed
 * `@types/*` package is visible, @types/node usually among them, so the answer is no: kept that
 * simple on purpose (no module resolution). `extends` is followed for relative paths, for
 * whichever of the two keys the file does not set. Unreadable files count as not browser.
 */
export function tsconfigTargetsBrowser(
  tsconfigPath: string,
  readFile: (path: string) => string | undefined,
): boolean {
  const options: RuntimeOptions = {};
  let path: string | undefined = tsconfigPath;
  for (let depth = 0; path && depth < 8; depth++) {
    const text = readFile(path);
    if (text === undefined) break;
    const { config } = ts.parseConfigFileTextToJson(path, text) as {
      config?: { extends?: unknown; compilerOptions?: RuntimeOptions };
    };
    const own = config?.compilerOptions ?? {};
    if (options.lib === undefined && own.lib !== undefined) options.lib = own.lib;
    if (options.types === undefined && own.types !== undefined) options.types = own.types;
    const ext = config?.extends;
    path =
      typeof ext === 'string' && ext.startsWith('.')
        ? joinPath(path, ext.endsWith('.json') ? ext : `${ext}.json`)
        : undefined;
  }
  const names = (v: unknown): string[] | undefined =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
  const lib = names(options.lib)?.map((l) => l.toLowerCase()) ?? [];
  const types = names(options.types);
  return (
    lib.some((l) => l === 'dom' || l.startsWith('dom.')) &&
    types !== undefined &&
    !types.some((t) => t === 'node' || t.startsWith('node/'))
  );
}

/** `relative` resolved against the folder of `file` (`/` or `\` separators). */
function joinPath(file: string, relative: string): string {
  const parts = file.split(/[\\/]/).slice(0, -1);
  for (const seg of relative.split(/[\\/]/)) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}
