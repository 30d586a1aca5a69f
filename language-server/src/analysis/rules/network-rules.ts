import { ts } from 'ts-morph';
import { networkCallKind } from '../known-calls.js';
import {
  isLoopbackUrl,
  resolveNetworkCall,
  type NetworkCall,
  type NetworkCallSite,
} from '../network-calls.js';
import { addOptionProperty } from '../fixes.js';
import { mayBeClientCall, typedClientCall } from '../typed-http-clients.js';
import type { Confidence, Evidence } from '../types.js';
import { unwrapExpression } from '../units.js';
import { calleeName, calleePath, walkFunction } from '../walk.js';
import { unitOf, type Rule, type RuleContext } from './rule.js';

const TIMEOUT_KEYS: Record<NetworkCall, RegExp> = {
  fetch: /^signal$/,
  undici: /^(signal|headersTimeout|bodyTimeout)$/,
  axios: /^(timeout|signal)$/,
  got: /^(timeout|signal)$/,
  http: /^(timeout|signal)$/,
};

/**
 * Does the call bound its time? True when its options carry a timeout/signal key, spread other
 * options, or are not a literal (we cannot see inside, and guessing would cost false positives).
 */
function hasTimeout(site: NetworkCallSite, call: ts.CallExpression): boolean {
  const arg = call.arguments[site.optionsIndex];
  if (!arg) return false;
  const opts = unwrapExpression(arg);
  if (!ts.isObjectLiteralExpression(opts)) return !ts.isFunctionLike(opts);
  return opts.properties.some((p) => {
    if (ts.isSpreadAssignment(p)) return true;
    const key =
      p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : '';
    return TIMEOUT_KEYS[site.kind].test(key);
  });
}

/** `req.setTimeout(…)` / `.on('timeout', …)` / `AbortSignal` used in the same function. */
function timeoutElsewhere(fn: ts.Node | undefined, sf: ts.SourceFile): boolean {
  if (!fn) return false;
  return /\.setTimeout\(|['"]timeout['"]|AbortSignal\.timeout|AbortController/.test(fn.getText(sf));
}

/**
 * FOX002: network call with no timeout or AbortSignal → timeout policy. Clients are resolved by
 * binding; with the checker (types phase) also by type, for instances whose binding the file does
 * not show (`this.http.get(url)` with `http: AxiosInstance`).
 */
export const networkWithoutTimeout: Rule = {
  id: 'FOX002',
  name: 'network-without-timeout',
  description:
    'A network call has no timeout or AbortSignal; a stuck peer holds the caller forever.',
  defaultSeverity: 'warning',
  pattern: 'timeout',
  needsTypes: false,
  usesTypes: true,
  check(rc) {
    const ms = rc.settings.timeoutMs;
    const visit = (node: ts.Node): void => {
      ts.forEachChild(node, visit);
      if (!ts.isCallExpression(node)) return;
      const site =
        resolveNetworkCall(rc.file, node, rc.checker) ??
        (rc.typeChecker && mayBeClientCall(rc.file, node)
          ? typedClientCall(node, rc.typeChecker())
          : undefined);
      if (!site || hasTimeout(site, node)) return;
      const { kind, optionsIndex: index } = site;
      const unit = unitOf(rc, node);
      if (unit?.task?.options.includes('timeout')) return;
      if (kind === 'http' && timeoutElsewhere(unit?.node, rc.file.sf)) return;
      const property =
        kind === 'fetch' || kind === 'undici'
          ? `signal: AbortSignal.timeout(${ms})`
          : kind === 'got'
            ? `timeout: { request: ${ms} }`
            : `timeout: ${ms}`;
      rc.report({
        node,
        ...(unit ? { unit } : {}),
        message: `${calleePath(node) ?? kind}(…) has no timeout or AbortSignal; add one (or a fox timeout policy) so a stuck peer cannot hold this call forever.`,
        // Test or local traffic: a loopback peer is seldom the stuck remote the rule is about.
        confidence: isLoopbackUrl(site.url) ? 'possible' : 'certain',
        fixes:
          kind === 'http'
            ? []
            : [addOptionProperty(rc.file, node, index, property, `Add ${property}`)],
      });
    };
    visit(rc.file.sf);
  },
};

const UNSAFE_METHODS = /^(post|put|patch)$/i;

/**
 * The HTTP method a call uses when it is a non-idempotent one, and whether the callee is a known
 * client (`certain`) or only named like one (`client.post`, `api.put`: `likely`).
 */
function unsafeMethod(
  rc: RuleContext,
  call: ts.CallExpression,
): { method: string; confidence: Confidence } | undefined {
  const name = calleeName(call) ?? '';
  const kind = networkCallKind(rc.file, call);
  const path = calleePath(call) ?? '';
  const isClient =
    kind !== undefined || /(client|http|api)\b/i.test(path.slice(0, path.lastIndexOf('.')));
  if (!isClient) return undefined;
  const confidence: Confidence = kind !== undefined ? 'certain' : 'likely';
  if (UNSAFE_METHODS.test(name) && ts.isPropertyAccessExpression(call.expression))
    return { method: name.toUpperCase(), confidence };
  for (const arg of call.arguments) {
    const o = unwrapExpression(arg);
    if (!ts.isObjectLiteralExpression(o)) continue;
    for (const p of o.properties) {
      if (
        ts.isPropertyAssignment(p) &&
        ts.isIdentifier(p.name) &&
        p.name.text === 'method' &&
        ts.isStringLiteralLike(p.initializer) &&
        UNSAFE_METHODS.test(p.initializer.text)
      ) {
        return { method: p.initializer.text.toUpperCase(), confidence };
      }
    }
  }
  return undefined;
}

/** FOX005: retry on a non-idempotent call (POST/PUT/PATCH without an idempotency key). */
export const nonIdempotentRetry: Rule = {
  id: 'FOX005',
  name: 'retry-non-idempotent',
  description:
    'A retried task makes a non-idempotent call without an idempotency key; a retry can apply it twice.',
  defaultSeverity: 'warning',
  pattern: 'retry',
  needsTypes: false,
  check(rc) {
    for (const u of rc.units) {
      if (!u.task?.options.includes('retry')) continue;
      walkFunction(u.node, rc.unitNodes, (node) => {
        if (!ts.isCallExpression(node)) return;
        const unsafe = unsafeMethod(rc, node);
        if (!unsafe || /idempotency[-_]?key/i.test(node.getText(rc.file.sf))) return;
        const { method, confidence } = unsafe;
        rc.report({
          node,
          unit: u,
          confidence,
          message: `'${u.name}' retries, but this ${method} has no idempotency key; a retry after a lost response can apply it twice. Send an Idempotency-Key header or drop the retry.`,
        });
      });
    }
  },
};

const EXCLUDED_PACKAGES = /[\\/]node_modules[\\/](typescript|@types[\\/]node|@fox[\\/])/;

/** FOX008: a fox task calls an external dependency with neither breaker nor fallback. */
export const unguardedDependency: Rule = {
  id: 'FOX008',
  name: 'dependency-without-breaker',
  description:
    'A fox task calls an external dependency with neither a circuit breaker nor a fallback.',
  defaultSeverity: 'warning',
  pattern: 'breaker',
  needsTypes: true,
  check(rc) {
    const checker = rc.checker;
    for (const u of rc.units) {
      const t = u.task;
      if (!t || t.options.includes('breaker') || t.options.includes('fallback')) continue;
      const calls: Evidence[] = [];
      walkFunction(u.node, rc.unitNodes, (node) => {
        if (!ts.isCallExpression(node)) return;
        let external = networkCallKind(rc.file, node, checker) !== undefined;
        if (!external && checker) {
          const sig = checker.getResolvedSignature(node);
          const file = sig?.declaration?.getSourceFile().fileName ?? '';
          if (/[\\/]node_modules[\\/]/.test(file) && !EXCLUDED_PACKAGES.test(file)) {
            external =
              checker.getPropertyOfType(checker.getTypeAtLocation(node), 'then') !== undefined;
          }
        }
        if (external) {
          calls.push({
            kind: 'io',
            reason: 'external dependency call',
            text: rc.file.text(node),
            ...rc.file.lineColumn(node),
            weight: 1,
          });
        }
      });
      if (calls.length === 0) continue;
      rc.report({
        node: u.anchor,
        unit: u,
        message: `fox task '${u.name}' calls an external dependency (${calls[0]?.text}) with neither a breaker nor a fallback; a failing dependency will take every caller down with it.`,
        evidence: calls,
        fixes:
          u.taskCall && t.optionsNode
            ? [
                addOptionProperty(
                  rc.file,
                  u.taskCall,
                  0,
                  'breaker: { consecutive: 5 }',
                  'Add breaker: { consecutive: 5 }',
                ),
              ]
            : [],
      });
    }
  },
};
