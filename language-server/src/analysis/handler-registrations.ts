import { ts } from 'ts-morph';
import type { FileContext } from './file-context.js';
import { SERVER_MODULES, packageOf, receiverKind } from './handler-receivers.js';
import type { HandlerRole } from './types.js';
import { isFoxCall, isFunctionExpressionLike, unwrapExpression } from './units.js';

/** One call that registers functions as handlers: a route, a listener, a job processor. */
export interface HandlerRegistration {
  call: ts.CallExpression | ts.NewExpression;
  kind: HandlerRole['kind'];
  /**
   * What the call registers, from the code's own literals: `POST /users`, `USE /api`,
   * `process.on:SIGTERM`, `Worker:emails`, `http.createServer`. Undefined when the call names
   * nothing stable (an event computed at run time): the unit then falls back to its line.
   */
  label: string | undefined;
  /** What the call is without its literals (`GET`, `socket.on`, `Worker`), for that fallback. */
  base: string;
  /**
   * Handlers in source order: functions written inline (arrow, function expression, or a
   * `handler() {}` method of a route options object), `fox(opts, fn)` calls, and names.
   */
  handlers: ts.Node[];
  /** The literal that names the registration (path, event), to point findings at. */
  labelNode: ts.Node | undefined;
}

const ROUTE_VERBS = new Map([
  ['get', 'GET'],
  ['post', 'POST'],
  ['put', 'PUT'],
  ['patch', 'PATCH'],
  ['delete', 'DELETE'],
  ['del', 'DELETE'],
  ['all', 'ALL'],
  ['head', 'HEAD'],
  ['options', 'OPTIONS'],
  ['use', 'USE'],
]);
const HTTP_VERB = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ALL)$/i;
const LISTENER_METHODS = new Set([
  'on',
  'once',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'addEventListener',
]);

/** Longest source text an id may quote for a non-literal path or event (`paths.users`). */
const MAX_QUOTED = 60;

/**
 * The handler an argument carries, if it is one: a function written inline, `fox(opts, fn)`,
 * a name (`app.get('/x', listUsers)`), or fastify's `{ handler }` options object.
 */
function handlerOf(ctx: FileContext, arg: ts.Expression): ts.Node | undefined {
  const e = unwrapExpression(arg);
  if (isFunctionExpressionLike(e) || ts.isIdentifier(e)) return e;
  if (isFoxCall(ctx, e) && e.arguments.length >= 2) return e;
  if (ts.isObjectLiteralExpression(e)) return handlerProperty(e);
  return undefined;
}

/** The `handler` of a route options object (fastify, hapi). */
function handlerProperty(obj: ts.ObjectLiteralExpression): ts.Node | undefined {
  for (const p of obj.properties) {
    if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== 'handler') continue;
    if (ts.isPropertyAssignment(p)) {
      const v = unwrapExpression(p.initializer);
      return isFunctionExpressionLike(v) || ts.isIdentifier(v) ? v : undefined;
    }
    // `handler(req, reply) { … }`: a method of the options literal.
    if (ts.isMethodDeclaration(p) && p.body) return p;
  }
  return undefined;
}

/** Text of a string literal, or of an array of them joined with `,`. */
function literalText(e: ts.Expression): string | undefined {
  const u = unwrapExpression(e);
  if (ts.isStringLiteralLike(u)) return u.text;
  if (ts.isRegularExpressionLiteral(u)) return u.text;
  if (ts.isArrayLiteralExpression(u) && u.elements.length > 0) {
    const parts = u.elements.map(literalText);
    return parts.every((p) => p !== undefined) ? parts.join(',') : undefined;
  }
  return undefined;
}

/** Does a literal look like a route path (`/users/:id`, `*`, a RegExp)? */
function isRoutePath(e: ts.Expression): boolean {
  const u = unwrapExpression(e);
  if (ts.isRegularExpressionLiteral(u)) return true;
  if (ts.isStringLiteralLike(u)) return /^[/*]/.test(u.text);
  if (ts.isTemplateExpression(u)) return u.head.text.startsWith('/');
  if (ts.isArrayLiteralExpression(u) && u.elements.length > 0) return u.elements.every(isRoutePath);
  return false;
}

/** `/v${version}/users` for a one-line template path: its source, which is as stable. */
function templateText(e: ts.Expression): string | undefined {
  const u = unwrapExpression(e);
  if (!ts.isTemplateExpression(u)) return undefined;
  const text = u.getText().slice(1, -1);
  return text.length <= MAX_QUOTED && !/[\r\n]/.test(text) ? text : undefined;
}

/**
 * How an id names a path or event expression: its literal text, else the name of the constant
 * it reads when that is short (`paths.users`, `Events.Ready`), stable whatever moves around it.
 * A computed value (`eventName()`, a template with holes) names nothing.
 */
function nameOf(e: ts.Expression): string | undefined {
  const lit = literalText(e) ?? templateText(e);
  if (lit !== undefined) return lit;
  const path = simplePath(e);
  return path !== undefined && path.length <= MAX_QUOTED ? path : undefined;
}

/** `a.b.c` for a receiver made only of names and `this`, else undefined. */
function simplePath(e: ts.Expression): string | undefined {
  const u = unwrapExpression(e);
  if (ts.isIdentifier(u)) return u.text;
  if (u.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  if (ts.isPropertyAccessExpression(u)) {
    const left = simplePath(u.expression);
    return left === undefined ? undefined : `${left}.${u.name.text}`;
  }
  return undefined;
}

/** Splits arguments into the leading ones (path, options) and the handlers after them. */
function splitHandlers(
  ctx: FileContext,
  args: ts.NodeArray<ts.Expression>,
): { leading: ts.Expression[]; handlers: ts.Node[] } {
  const leading: ts.Expression[] = [];
  const handlers: ts.Node[] = [];
  for (const a of args) {
    const h = handlerOf(ctx, a);
    // A name before any inline function may be a path constant (`app.get(PATHS.x, h)`).
    if (h && !(ts.isIdentifier(h) && handlers.length === 0 && leading.length === 0)) {
      handlers.push(h);
    } else if (handlers.length === 0) leading.push(a);
    else if (h) handlers.push(h);
  }
  return { leading, handlers };
}

/** `route('/x')` earlier in a chain (`router.route('/x').get(h).post(h2)`), for its path. */
function chainedRoutePath(receiver: ts.Expression): ts.Expression | undefined {
  let e = unwrapExpression(receiver);
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    if (e.expression.name.text === 'route' && e.arguments[0] && isRoutePath(e.arguments[0]))
      return e.arguments[0];
    e = unwrapExpression(e.expression.expression);
  }
  return undefined;
}

/** `app.get('/x', h)`, `router.route('/x').post(h)`, `app.use(mw)`, hono `app.on('POST', '/x', h)`. */
function routeCall(ctx: FileContext, call: ts.CallExpression): HandlerRegistration | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  let verb = ROUTE_VERBS.get(method);
  if (!verb && method !== 'on') return undefined;
  const { leading, handlers } = splitHandlers(ctx, call.arguments);
  if (handlers.length === 0) return undefined;
  let pathExpr: ts.Expression | undefined;
  if (method === 'on') {
    // Hono's `app.on(method, path, handler)`; any other `on` is a listener.
    const [m, p] = leading;
    const verbs = m ? literalText(m) : undefined;
    if (!verbs || !p || !isRoutePath(p) || !verbs.split(',').every((v) => HTTP_VERB.test(v)))
      return undefined;
    verb = verbs.toUpperCase();
    pathExpr = p;
  } else if (verb) {
    // koa-router's named routes put the name first: `router.get('user', '/users/:id', h)`.
    pathExpr = [...leading].reverse().find(isRoutePath) ?? chainedRoutePath(callee.expression);
    // A path constant (`app.get(PATHS.users, h)`); `use` takes middleware there (`cors()`).
    if (verb !== 'USE') pathExpr ??= leading.find((a) => simplePath(a) !== undefined);
  } else return undefined;
  const receiver = receiverKind(ctx, callee.expression);
  const known = receiver === 'framework';
  if (!known && !(receiver === 'unknown' && pathExpr && isRoutePath(pathExpr))) return undefined;
  const path = pathExpr ? nameOf(pathExpr) : '';
  return {
    call,
    kind: verb === 'USE' ? 'middleware' : 'route',
    label: path === undefined ? undefined : path ? `${verb} ${path}` : verb,
    base: verb,
    handlers,
    labelNode: pathExpr ?? callee.name,
  };
}

/** Fastify's and hapi's `app.route({ method, url | path, handler })`. */
function routeObjectCall(
  ctx: FileContext,
  call: ts.CallExpression,
): HandlerRegistration | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'route') return undefined;
  const obj = call.arguments[0] ? unwrapExpression(call.arguments[0]) : undefined;
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  const handler = handlerProperty(obj);
  if (!handler) return undefined;
  const prop = (key: string): ts.Expression | undefined => {
    for (const p of obj.properties) {
      if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === key)
        return p.initializer;
    }
    return undefined;
  };
  const pathExpr = prop('url') ?? prop('path');
  const methodExpr = prop('method');
  const receiver = receiverKind(ctx, callee.expression);
  if (receiver !== 'framework' && !(receiver === 'unknown' && pathExpr && isRoutePath(pathExpr)))
    return undefined;
  const verb = methodExpr ? literalText(methodExpr)?.toUpperCase() : undefined;
  const path = pathExpr ? nameOf(pathExpr) : undefined;
  return {
    call,
    kind: 'route',
    label: path === undefined ? undefined : `${verb ?? 'ROUTE'} ${path}`,
    base: verb ?? 'ROUTE',
    handlers: [handler],
    labelNode: pathExpr,
  };
}

/** `http.createServer(handler)`, `createServer(opts, handler)` from `node:http`/`https`/`net`…. */
function createServerCall(
  ctx: FileContext,
  call: ts.CallExpression,
): HandlerRegistration | undefined {
  const callee = unwrapExpression(call.expression);
  let module: string | undefined;
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'createServer') {
    const ns = unwrapExpression(callee.expression);
    module = ts.isIdentifier(ns) ? packageOf(ctx, ns) : undefined;
  } else if (ts.isIdentifier(callee) && callee.text === 'createServer') {
    module = packageOf(ctx, callee);
  }
  if (!module || !SERVER_MODULES.has(module)) return undefined;
  const handlers = call.arguments
    .map((a) => unwrapExpression(a))
    .filter((a) => isFunctionExpressionLike(a) || isFoxCall(ctx, a));
  if (handlers.length === 0) return undefined;
  const label = `${module}.createServer`;
  return { call, kind: 'server', label, base: label, handlers, labelNode: callee };
}

/** `socket` in `socket.once('close', a).once('error', b)`: listener calls return their emitter. */
function listenerChainRoot(receiver: ts.Expression): ts.Expression {
  let e = unwrapExpression(receiver);
  while (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    LISTENER_METHODS.has(e.expression.name.text)
  ) {
    e = unwrapExpression(e.expression.expression);
  }
  return e;
}

/** `emitter.on('event', h)`, `process.once(…)`, `socket.addEventListener(…)`. */
function listenerCall(ctx: FileContext, call: ts.CallExpression): HandlerRegistration | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !LISTENER_METHODS.has(callee.name.text))
    return undefined;
  const [event, fn] = call.arguments;
  if (!event || !fn) return undefined;
  const handler = unwrapExpression(fn);
  if (!isFunctionExpressionLike(handler) && !isFoxCall(ctx, handler)) return undefined;
  const receiver = simplePath(listenerChainRoot(callee.expression));
  const base = `${receiver ? `${receiver}.` : ''}${callee.name.text}`;
  const name = nameOf(event);
  return {
    call,
    kind: 'event',
    label: name === undefined ? undefined : `${base}:${name}`,
    base,
    handlers: [handler],
    labelNode: event,
  };
}

/** BullMQ's `new Worker(queueName, processor)`. */
function queueWorker(ctx: FileContext, node: ts.NewExpression): HandlerRegistration | undefined {
  const callee = unwrapExpression(node.expression);
  const id = ts.isIdentifier(callee)
    ? callee
    : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
      ? callee.expression
      : undefined;
  const className = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : undefined;
  if (!id || className !== 'Worker' || packageOf(ctx, id) !== 'bullmq') return undefined;
  const [queue, fn] = node.arguments ?? [];
  if (!queue || !fn) return undefined;
  const handler = unwrapExpression(fn);
  if (!isFunctionExpressionLike(handler) && !isFoxCall(ctx, handler)) return undefined;
  const name = nameOf(queue);
  return {
    call: node,
    kind: 'job',
    label: name === undefined ? undefined : `Worker:${name}`,
    base: 'Worker',
    handlers: [handler],
    labelNode: queue,
  };
}

/** Bull's `queue.process([name], [concurrency], handler)`. */
function queueProcess(ctx: FileContext, call: ts.CallExpression): HandlerRegistration | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'process') return undefined;
  const last = call.arguments[call.arguments.length - 1];
  const handler = last ? unwrapExpression(last) : undefined;
  if (!handler || !(isFunctionExpressionLike(handler) || isFoxCall(ctx, handler))) return undefined;
  const receiver = simplePath(callee.expression);
  const known = receiverKind(ctx, callee.expression) === 'queue';
  if (!known && !(receiver && /queue$/i.test(receiver))) return undefined;
  const first = call.arguments[0];
  const jobName = first && first !== last && literalText(first) !== undefined ? first : undefined;
  const name = jobName ? literalText(jobName) : '';
  const base = `${receiver ?? 'queue'}.process`;
  return {
    call,
    kind: 'job',
    label: name ? `${base}:${name}` : base,
    base,
    handlers: [handler],
    labelNode: jobName ?? callee.name,
  };
}

/** The registration a call makes, if it is one. */
function registrationOf(
  ctx: FileContext,
  node: ts.CallExpression | ts.NewExpression,
): HandlerRegistration | undefined {
  if (ts.isNewExpression(node)) return queueWorker(ctx, node);
  return (
    routeObjectCall(ctx, node) ??
    routeCall(ctx, node) ??
    createServerCall(ctx, node) ??
    queueProcess(ctx, node) ??
    listenerCall(ctx, node)
  );
}

/**
 * Every call in the file that registers a handler, in source order (an outer registration before
 * the ones inside its handlers). Recognised by call shape and, where the file shows it, by what
 * the receiver is bound to, so `map.get('x', fn)` and `cache.get(key)` are not routes.
 */
export function findHandlerRegistrations(ctx: FileContext): HandlerRegistration[] {
  const found: HandlerRegistration[] = [];
  for (const node of ctx.callLikes()) {
    const r = registrationOf(ctx, node);
    if (r) found.push(r);
  }
  return found;
}
