import * as childProcess from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import ts from 'typescript';

/**
 * Known-dangerous patterns, located by a plain AST scan that shares nothing with the analyser:
 *
 * - blocking calls: the `*Sync` functions of node:fs, node:child_process, node:crypto and
 *   node:zlib, and bcrypt's `hashSync`/`compareSync`/`genSaltSync`, called by name (`fs.readFileSync`,
 *   an imported `readFileSync`, `this.fs.statSync`…) inside a function that is async or reachable
 *   from one (a name-based call graph over the whole project: a call `x.f()` or `f()` reaches every
 *   function or method named `f`; nested callbacks belong to the function they are written in);
 * - request-sized fan-outs: `Promise.all` / `Promise.allSettled` over `x.map(cb)` where `x` is a
 *   parameter, a property of one, or a local initialised from one.
 *
 * Test files are left out (a test's blocking call blocks no service). Each located site is then
 * judged by hand in dangerous.tsv; recall is the share of the true ones the analyser reports.
 */

export interface Site {
  kind: 'blocking' | 'fan-out';
  /** Absolute path. */
  path: string;
  line: number;
  column: number;
  /** The call's callee or the mapped expression. */
  text: string;
  /** Name of the enclosing named function. */
  context: string;
  /** Why the site counts as reachable from async code. */
  via: string;
}

const syncNames = (mod: object) => Object.keys(mod).filter((k) => k.endsWith('Sync'));
export const BLOCKING = new Set([
  ...syncNames(fs),
  ...syncNames(childProcess),
  ...syncNames(crypto),
  ...syncNames(zlib),
  'hashSync',
  'compareSync',
  'genSaltSync',
]);

const TEST_FILE = /(^|\/)(test|tests|__tests__|spec|testing)\/|\.(test|spec)\.[cm]?tsx?$/;

interface Fn {
  name: string;
  node: ts.Node;
  path: string;
  isAsync: boolean;
  calls: Set<string>;
  sites: Site[];
}

function nameOf(node: ts.Node): string | undefined {
  if (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isGetAccessor(node) ||
      ts.isSetAccessor(node)) &&
    node.name
  ) {
    return node.name.getText();
  }
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const p = node.parent;
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText();
    if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = p.left;
      return ts.isPropertyAccessExpression(left) ? left.name.text : left.getText();
    }
  }
  return undefined;
}

const isAsyncFn = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** Whether `expr` is a parameter of an enclosing function, a property of one, or a local set from one. */
function parameterDerived(expr: ts.Expression, hops = 2): boolean {
  let e: ts.Expression = expr;
  while (
    ts.isPropertyAccessExpression(e) ||
    ts.isElementAccessExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    (ts.isCallExpression(e) &&
      ts.isPropertyAccessExpression(e.expression) &&
      ['filter', 'slice', 'concat', 'flat', 'keys', 'values', 'entries'].includes(
        e.expression.name.text,
      ))
  ) {
    if (ts.isCallExpression(e)) e = (e.expression as ts.PropertyAccessExpression).expression;
    else if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) e = e.expression;
    else e = (e as ts.NonNullExpression | ts.ParenthesizedExpression | ts.AsExpression).expression;
  }
  if (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    ts.isIdentifier(e.expression.expression) &&
    e.expression.expression.text === 'Object' &&
    e.arguments[0]
  ) {
    return parameterDerived(e.arguments[0], hops);
  }
  if (ts.isArrayLiteralExpression(e)) {
    const spread = e.elements.find(ts.isSpreadElement);
    return spread ? parameterDerived(spread.expression, hops) : false;
  }
  if (!ts.isIdentifier(e)) return false;
  const name = e.text;
  // Walk outwards: a parameter of an enclosing function, or a local declared with an initialiser.
  for (let n: ts.Node | undefined = e.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      for (const p of n.parameters) {
        if (ts.isIdentifier(p.name) && p.name.text === name) return true;
        if (ts.isObjectBindingPattern(p.name) || ts.isArrayBindingPattern(p.name)) {
          if (p.name.getText().match(new RegExp(`\\b${name}\\b`))) return true;
        }
      }
    }
    if (ts.isBlock(n) || ts.isSourceFile(n)) {
      for (const st of n.statements) {
        if (!ts.isVariableStatement(st)) continue;
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer && hops > 0) {
            let init = d.initializer;
            if (ts.isAwaitExpression(init)) init = init.expression;
            return parameterDerived(init, hops - 1);
          }
        }
      }
    }
  }
  return false;
}

/** Scans every file; returns the sites in functions reachable from async code. */
export function scanDangerous(files: readonly string[]): Site[] {
  const fns: Fn[] = [];
  for (const path of files) {
    if (TEST_FILE.test(path)) continue;
    const sf = ts.createSourceFile(
      path,
      fs.readFileSync(path, 'utf8'),
      ts.ScriptTarget.Latest,
      true,
      path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
    );
    const top: Fn = {
      name: '<module>',
      node: sf,
      path,
      isAsync: false,
      calls: new Set(),
      sites: [],
    };
    fns.push(top);
    const visit = (node: ts.Node, owner: Fn): void => {
      let current = owner;
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const name = nameOf(node);
        const isAsync = isAsyncFn(node);
        // A named function (or any async one) is its own node of the call graph; an anonymous
        // synchronous callback runs as part of the function it is written in.
        if (name !== undefined || isAsync) {
          current = {
            name: name ?? `<async ${owner.name}>`,
            node,
            path,
            isAsync,
            calls: new Set(),
            sites: [],
          };
          fns.push(current);
        }
      }
      if (ts.isCallExpression(node)) {
        const callee = calleeName(node);
        if (callee) current.calls.add(callee);
        // A function passed by name as a callback is called from here too.
        for (const a of node.arguments) {
          if (ts.isIdentifier(a)) current.calls.add(a.text);
          else if (ts.isPropertyAccessExpression(a)) current.calls.add(a.name.text);
        }
        const pos = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        if (callee && BLOCKING.has(callee)) {
          current.sites.push({
            kind: 'blocking',
            path,
            line: pos.line + 1,
            column: pos.character + 1,
            text: node.expression.getText(sf),
            context: current.name,
            via: '',
          });
        }
        const e = node.expression;
        if (
          ts.isPropertyAccessExpression(e) &&
          ts.isIdentifier(e.expression) &&
          e.expression.text === 'Promise' &&
          (e.name.text === 'all' || e.name.text === 'allSettled') &&
          node.arguments[0] &&
          ts.isCallExpression(node.arguments[0]) &&
          ts.isPropertyAccessExpression(node.arguments[0].expression) &&
          node.arguments[0].expression.name.text === 'map' &&
          parameterDerived(node.arguments[0].expression.expression)
        ) {
          current.sites.push({
            kind: 'fan-out',
            path,
            line: pos.line + 1,
            column: pos.character + 1,
            text: node.arguments[0].expression.expression.getText(sf),
            context: current.name,
            via: 'fan-out',
          });
        }
      }
      ts.forEachChild(node, (c) => visit(c, current));
    };
    ts.forEachChild(sf, (c) => visit(c, top));
  }
  // Reachability from async functions over the name-based call graph.
  const byName = new Map<string, Fn[]>();
  for (const f of fns) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  const reachedFrom = new Map<Fn, string>();
  const queue: Fn[] = [];
  for (const f of fns) {
    if (f.isAsync) {
      reachedFrom.set(f, 'async');
      queue.push(f);
    }
  }
  while (queue.length) {
    const f = queue.shift()!;
    for (const c of f.calls) {
      for (const g of byName.get(c) ?? []) {
        if (!reachedFrom.has(g)) {
          reachedFrom.set(g, `called from async ${f.name}`);
          queue.push(g);
        }
      }
    }
  }
  const sites: Site[] = [];
  for (const f of fns) {
    const via = reachedFrom.get(f);
    for (const s of f.sites) {
      if (s.kind === 'fan-out') sites.push({ ...s, via: via ?? 'promise fan-out' });
      else if (via) sites.push({ ...s, via });
    }
  }
  return sites;
}
