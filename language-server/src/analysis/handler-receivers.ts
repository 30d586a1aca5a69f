import { ts } from 'ts-morph';
import { bareModule, resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { unwrapExpression } from './units.js';

/**
 * What the object a handler is registered on is, as far as the file tells:
 * - `framework`: an app or router of a web framework (`express()`, `new Koa()`, `new Hono()`,
 *   `fastify()`, `new Router()` from `@koa/router`, a parameter typed `Express`/`FastifyInstance`…);
 * - `queue`: a job queue (`new Queue()` from `bull`/`bee-queue`);
 * - `other`: something known not to take handlers (a `Map`, an http client, a package that is
 *   not a framework, the `node:http` namespace itself, whose `get(url, cb)` is a client call);
 * - `unknown`: nothing to go by (a parameter without a type, a relative import); the call's
 *   shape then decides.
 */
export type ReceiverKind = 'framework' | 'queue' | 'other' | 'unknown';

/** Packages whose apps and routers take `get/post/…/use(path?, ...handlers)`. */
const WEB_FRAMEWORKS = new Set([
  'express',
  'fastify',
  'koa',
  '@koa/router',
  'koa-router',
  'hono',
  'restify',
  'polka',
  '@hapi/hapi',
]);

/** Node modules whose `createServer(handler)` takes a request or connection handler. */
export const SERVER_MODULES = new Set(['http', 'https', 'http2', 'net', 'tls']);

/** Queue packages whose queues take `process([name], [concurrency], handler)`. */
const QUEUE_MODULES = new Set(['bull', 'bee-queue', 'kue']);

/** Type names of framework apps and routers, for parameters (`function mount(app: Express)`). */
const FRAMEWORK_TYPES =
  /\b(Express|Application|Router|IRouter|FastifyInstance|Hono|Koa|KoaRouter|Polka|Server)\b/;
/** Type names of containers whose `get(key, …)` is a lookup. */
const COLLECTION_TYPES = /\b(Map|WeakMap|Set|Cache|LRUCache|Record|Headers|URLSearchParams)\b/;
/** Built-ins constructed with `new` that are containers, not routers. */
const COLLECTIONS = new Set(['Map', 'WeakMap', 'Set', 'WeakSet', 'Headers', 'URLSearchParams']);

/** Package (bare name, `node:` stripped) a binding of `id` comes from, if it is a package import. */
export function packageOf(ctx: FileContext, id: ts.Identifier): string | undefined {
  const b = resolveBinding(ctx, id);
  if (b.kind !== 'module' || b.module.startsWith('.')) return undefined;
  return bareModule(b.module);
}

/** The identifier a chain starts from: `express` in `express.Router()`, `Koa` in `new Koa()`. */
function rootIdentifier(e: ts.Expression): ts.Identifier | undefined {
  let cur = unwrapExpression(e);
  while (
    ts.isPropertyAccessExpression(cur) ||
    ts.isCallExpression(cur) ||
    ts.isNewExpression(cur)
  ) {
    cur = unwrapExpression(cur.expression);
  }
  return ts.isIdentifier(cur) ? cur : undefined;
}

/** Kind of what a package makes: an app or router, a queue, or something else. */
function kindOfPackage(pkg: string): ReceiverKind {
  if (WEB_FRAMEWORKS.has(pkg)) return 'framework';
  if (QUEUE_MODULES.has(pkg)) return 'queue';
  // `http.createServer()` makes a server: its `on('request', …)` is an event, never a route.
  return 'other';
}

/** Kind of the value an initializer (`express()`, `new Router()`, `new Map()`) creates. */
function kindOfCreated(ctx: FileContext, init: ts.Expression, depth: number): ReceiverKind {
  let e = unwrapExpression(init);
  if (ts.isAwaitExpression(e)) e = unwrapExpression(e.expression);
  if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && COLLECTIONS.has(e.expression.text))
    return 'other';
  const followable =
    ts.isIdentifier(e) ||
    ts.isPropertyAccessExpression(e) ||
    ts.isCallExpression(e) ||
    ts.isNewExpression(e);
  return followable ? receiverKind(ctx, e, depth + 1) : 'unknown';
}

/**
 * Classifies the receiver of a registration call (`app` in `app.get(…)`): a package's instance
 * made in place (`express.Router().get(…)`), or a local variable followed to its initializer
 * (`const app = express()`; `const r = app.route('/x')` is as much the app's), or a parameter
 * by its type annotation. No checker: the file's scopes decide, as for the other syntax rules.
 */
export function receiverKind(ctx: FileContext, receiver: ts.Expression, depth = 0): ReceiverKind {
  if (depth > 3) return 'unknown';
  const e = unwrapExpression(receiver);
  const id = rootIdentifier(e);
  if (!id) return 'unknown';
  const b = resolveBinding(ctx, id);
  if (b.kind === 'global') return 'unknown';
  if (b.kind === 'module') {
    // `import { app } from './app'`: an app made elsewhere in the project.
    if (b.module.startsWith('.')) return 'unknown';
    // The package's namespace itself is no app (`http.get(url, cb)` is a client call, and
    // `express.get` does not exist): only what it makes (`express()`, `new Koa()`) counts.
    const made = ts.isCallExpression(e) || ts.isNewExpression(e);
    return made ? kindOfPackage(bareModule(b.module)) : 'other';
  }
  const decl = b.declaration;
  if (ts.isVariableDeclaration(decl) && decl.initializer)
    return kindOfCreated(ctx, decl.initializer, depth);
  if (ts.isParameter(decl) && decl.type) {
    const type = decl.type.getText(ctx.sf);
    if (COLLECTION_TYPES.test(type)) return 'other';
    if (FRAMEWORK_TYPES.test(type)) return 'framework';
  }
  return 'unknown';
}
