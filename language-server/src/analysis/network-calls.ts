import { ts } from 'ts-morph';
import { bareModule, resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { unwrapExpression } from './units.js';

/** Kinds of network call, shared with the rules that look for timeouts and retries. */
export type NetworkCall = 'fetch' | 'axios' | 'got' | 'undici' | 'http';

/** A call to a known HTTP client, with where that client takes its options. */
export interface NetworkCallSite {
  kind: NetworkCall;
  /** Index of the options/config argument (where a timeout or signal belongs). */
  optionsIndex: number;
  /** The URL expression, when the call has one we can see. */
  url?: ts.Expression;
}

const GOT_METHODS = /^(get|post|put|patch|delete|head|stream|paginate)$/;
const AXIOS_METHODS =
  /^(get|post|put|patch|delete|head|options|request|postForm|putForm|patchForm)$/;
const UNDICI_CALLS = /^(request|fetch|stream)$/;
const NODE_HTTP = /^https?$/;

const isStringish = (e: ts.Expression): boolean =>
  ts.isStringLiteralLike(e) || ts.isTemplateExpression(e);

/** Is argument 0 an options object (`got(opts)`, `axios(config)`) rather than a URL? */
function firstIsOptions(call: ts.CallExpression, checker?: ts.TypeChecker): boolean {
  const first = call.arguments[0];
  if (!first) return false;
  const e = unwrapExpression(first);
  if (ts.isObjectLiteralExpression(e)) return true;
  if (isStringish(e) || call.arguments.length >= 2 || ts.isNewExpression(e)) return false;
  if (checker) {
    const t = checker.getTypeAtLocation(e);
    return !(t.flags & ts.TypeFlags.StringLike) && !/^URL\b/.test(checker.typeToString(t));
  }
  // A lone variable: its name is the best hint we have without types.
  return !/(url|uri|href|endpoint|link|address|path)$/i.test(e.getText());
}

/** URL of a call: argument 0, or the `url` property of an options object in argument 0. */
function urlOf(call: ts.CallExpression, optionsIndex: number): ts.Expression | undefined {
  const first = call.arguments[0] ? unwrapExpression(call.arguments[0]) : undefined;
  if (!first) return undefined;
  if (optionsIndex !== 0) return first;
  if (!ts.isObjectLiteralExpression(first)) return undefined;
  for (const p of first.properties) {
    if (ts.isPropertyAssignment(p) && /^(url|uri|prefixUrl)$/.test(p.name.getText())) {
      return p.initializer;
    }
  }
  return undefined;
}

/**
 * The call site of a call into `module`'s export `imported` (`member` is the method, if called as
 * one), or undefined when that export is not an HTTP call the rules know.
 */
export function siteFor(
  module: string,
  imported: string,
  member: string | undefined,
  call: ts.CallExpression,
  checker?: ts.TypeChecker,
): NetworkCallSite | undefined {
  const site = (kind: NetworkCall, optionsIndex: number): NetworkCallSite => {
    const url = urlOf(call, optionsIndex);
    return { kind, optionsIndex, ...(url ? { url } : {}) };
  };
  const mod = bareModule(module);
  const method = member ?? imported;
  if (mod === 'axios') {
    if (member === undefined && imported !== 'default' && imported !== 'axios') return undefined;
    if (member !== undefined && !AXIOS_METHODS.test(member)) return undefined;
    if (member === undefined || member === 'request')
      return site('axios', firstIsOptions(call, checker) ? 0 : 1);
    return site('axios', /^(post|put|patch)(Form)?$/.test(member) ? 2 : 1);
  }
  if (mod === 'got') {
    if (member === undefined && imported !== 'default' && imported !== 'got') return undefined;
    if (member !== undefined && !GOT_METHODS.test(member)) return undefined;
    return site('got', firstIsOptions(call, checker) ? 0 : 1);
  }
  if (mod === 'undici') return UNDICI_CALLS.test(method) ? site('undici', 1) : undefined;
  if (NODE_HTTP.test(mod) && (method === 'request' || method === 'get')) {
    const first = call.arguments[0];
    return site('http', first && ts.isObjectLiteralExpression(unwrapExpression(first)) ? 0 : 1);
  }
  return undefined;
}

/**
 * Resolves a call to a known HTTP client by the symbol its callee is bound to (an import, a
 * `require`, or the global `fetch`), never by the callee's text alone: `got(opts)` and
 * `got.post(opts)` are the same client, and a local `fetch` helper is not the global one.
 */
export function resolveNetworkCall(
  ctx: FileContext,
  call: ts.CallExpression,
  checker?: ts.TypeChecker,
): NetworkCallSite | undefined {
  const callee = unwrapExpression(call.expression);
  if (ts.isIdentifier(callee)) {
    const b = resolveBinding(ctx, callee, checker);
    if (b.kind === 'global') {
      return callee.text === 'fetch'
        ? {
            kind: 'fetch',
            optionsIndex: 1,
            ...(call.arguments[0] ? { url: call.arguments[0] } : {}),
          }
        : undefined;
    }
    return b.kind === 'module'
      ? siteFor(b.module, b.imported, undefined, call, checker)
      : undefined;
  }
  // `client.method(…)` on a package binding: `axios.get`, `got.post`, `undici.request`.
  if (ts.isPropertyAccessExpression(callee)) {
    const root = unwrapExpression(callee.expression);
    if (!ts.isIdentifier(root)) return undefined;
    const b = resolveBinding(ctx, root, checker);
    if (b.kind === 'global' && root.text === 'globalThis' && callee.name.text === 'fetch') {
      return { kind: 'fetch', optionsIndex: 1 };
    }
    return b.kind === 'module'
      ? siteFor(b.module, b.imported, callee.name.text, call, checker)
      : undefined;
  }
  return undefined;
}

const LOOPBACK = /^https?:\/\/(localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\])(?=[:/?#]|$)/i;

/** Is `url` a literal (or template) whose origin is this machine: test or local traffic. */
export function isLoopbackUrl(url: ts.Expression | undefined): boolean {
  if (!url) return false;
  const e = unwrapExpression(url);
  const text = ts.isStringLiteralLike(e)
    ? e.text
    : ts.isTemplateExpression(e)
      ? e.head.text
      : undefined;
  return text !== undefined && LOOPBACK.test(text);
}
