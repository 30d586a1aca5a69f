import { ts } from 'ts-morph';
import { bindingNames, type FileContext } from './file-context.js';
import type { Evidence, FoxMode, WorkKind } from './types.js';
import { unwrapExpression, type FunctionUnit } from './units.js';
import {
  BLOCKING_IO,
  DB_CALLS,
  FS_ASYNC,
  HASHING,
  HTTP_CLIENTS,
  HTTP_METHODS,
  STREAMS,
  SYNC_CPU,
  isSyncGlob,
  networkCallKind,
} from './known-calls.js';
import {
  calleePath,
  calleeRoot,
  isIterationCall,
  isLoop,
  walkFunction,
  calleeName,
} from './walk.js';

/** Classification of one function. */
export interface Classification {
  kind: WorkKind;
  recommendedMode: FoxMode;
  evidence: Evidence[];
  cpuScore: number;
  ioScore: number;
}

const SUPER_LINEAR = /\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]/;

/** Operators that make a loop body arithmetic work rather than plumbing. */
const ARITH = new Set([
  ts.SyntaxKind.AsteriskToken,
  ts.SyntaxKind.SlashToken,
  ts.SyntaxKind.PercentToken,
  ts.SyntaxKind.AsteriskAsteriskToken,
  ts.SyntaxKind.LessThanLessThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  ts.SyntaxKind.CaretToken,
  ts.SyntaxKind.AmpersandToken,
  ts.SyntaxKind.BarToken,
  ts.SyntaxKind.PlusToken,
  ts.SyntaxKind.MinusToken,
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
  ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
]);

/** Does the subtree contain an `await` (outside nested functions)? */
function containsAwait(node: ts.Node): boolean {
  let found = false;
  const go = (n: ts.Node): void => {
    if (found) return;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) {
      found = true;
      return;
    }
    if (ts.isFunctionLike(n) && !ts.isArrowFunction(n)) return;
    ts.forEachChild(n, go);
  };
  go(node);
  return found;
}

/** The parts of a loop that run per iteration: an iteration call's arguments, else the loop. */
function loopParts(node: ts.Node): readonly ts.Node[] {
  if (ts.isForStatement(node)) return [node.statement];
  return isIterationCall(node) ? node.arguments : [node];
}

/** Arithmetic work and inner loops in a loop (or iteration callback) body. */
function loopWork(node: ts.Node): { ops: number; inner: boolean } {
  let ops = 0;
  let inner = false;
  const cursors = loopCursors(node);
  const go = (n: ts.Node): void => {
    // An inner loop that advances the outer loop's own cursor (`while (pos < s.length) { …
    // while (pos < s.length && s[pos] === ' ') pos++; }`) continues one pass over the input.
    if ((isLoop(n) || isIterationCall(n)) && !advancesCursor(n, cursors)) inner = true;
    // `i += limit` in a for header is stepping, and `i < off + len` a bound: not maths.
    if (ts.isForStatement(n.parent) && (n.parent.incrementor === n || n.parent.condition === n))
      return;
    // An error or log message is built on the failure path, not per element of the work.
    if (ts.isThrowStatement(n) || (ts.isCallExpression(n) && isLoggerCall(n))) return;
    if (
      ts.isBinaryExpression(n) &&
      ARITH.has(n.operatorToken.kind) &&
      !isOffset(n) &&
      !isCounter(n) &&
      !isHalving(n)
    )
      ops++;
    if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      n.operator !== ts.SyntaxKind.ExclamationToken
    ) {
      ops += 0.5;
    }
    if (ts.isCallExpression(n)) {
      const path = calleePath(n) ?? '';
      if (path.startsWith('Math.') || /\b(charCodeAt|codePointAt)$/.test(path)) ops++;
    }
    ts.forEachChild(n, go);
  };
  // `xs.flatMap(f).reduce(g)`: the receiver chain runs before, not inside, this loop.
  for (const part of loopParts(node)) ts.forEachChild(part, go);
  return { ops, inner };
}

/**
 * Classifies a function from its syntax: evidence for CPU work (hot or nested loops, sync
 * crypto/zlib, JSON in loops, super-linear regex, recursion) and for I/O (awaits, network, files,
 * streams, database calls, blocking `*Sync` I/O), then a kind and the mode that suits it.
 */
export function classify(
  ctx: FileContext,
  unit: FunctionUnit,
  skip: ReadonlySet<ts.Node>,
): Classification {
  const evidence: Evidence[] = [];
  const add = (
    kind: Evidence['kind'],
    node: ts.Node,
    reason: string,
    weight: number,
    certain = false,
  ): void => {
    const e: Evidence = { kind, reason, text: ctx.text(node), ...ctx.lineColumn(node), weight };
    evidence.push(certain ? { ...e, certain } : e);
  };
  const ownName = unit.name.includes('.')
    ? unit.name.slice(unit.name.lastIndexOf('.') + 1)
    : unit.name;
  let genericAwaits = 0;
  let jsonCounted = false;
  let hashCounted = false;
  let recursionCounted = false;
  const params = inputNames(unit.node);
  const countedLoops = new Set<ts.Node>();

  walkFunction(unit.node, skip, (node, state) => {
    // A closure the function returns (or an object method it builds) runs later, on its own.
    if (state.deferred) return;
    const inLoop = state.loopDepth > 0;
    if ((isLoop(node) || isIterationCall(node)) && !countedLoops.has(node)) {
      const body = isLoop(node) ? node.statement : node;
      if (ts.isForOfStatement(node) && node.awaitModifier) {
        add('io', node, 'for await over an async source', 2);
      } else if (!containsAwait(body) && state.loopDepth === 0) {
        const work = loopWork(node);
        // Mark inner loops so nested work counts once, on the outermost loop.
        for (const part of loopParts(node)) {
          ts.forEachChild(part, function mark(n) {
            if (isLoop(n) || isIterationCall(n)) countedLoops.add(n);
            ts.forEachChild(n, mark);
          });
        }
        // Work that grows with the input is what blocks the loop; a loop over a fixed table
        // (histogram buckets, a small config) is not worth a thread hop.
        const overInput = iteratesInput(node, params);
        if (isBisection(node)) {
          // Halving the range each step (binary search) is logarithmic in the input.
        } else if (overInput && work.inner && work.ops >= 1)
          add('cpu', node, 'nested loops over input', 3);
        else if (overInput && work.ops >= 3)
          add('cpu', node, 'arithmetic-heavy loop over input', 3);
        else if (work.inner || work.ops >= 1.5)
          add('cpu', node, overInput ? 'loop over input' : 'loop', 1);
      }
    }
    if (ts.isAwaitExpression(node)) {
      if (genericAwaits < 3) add('io', node, 'awaits asynchronous work', 1);
      genericAwaits++;
    }
    if (ts.isRegularExpressionLiteral(node) && SUPER_LINEAR.test(node.text)) {
      // On the function's input its backtracking is the caller's to trigger: certain.
      const onInput = regexSubject(node, params);
      add('cpu', node, 'super-linear (backtracking) regular expression', 3, onInput);
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
      if (
        /^(Float(32|64)|U?Int(8|16|32)|Uint8Clamped|Big(U)?Int64)Array$/.test(node.expression.text)
      ) {
        add('cpu', node, 'typed-array numeric work', 1);
      }
      if (node.expression.text === 'Promise' && containsTimer(node)) add('io', node, 'timer', 1);
    }
    if (!ts.isCallExpression(node)) return;
    const name = calleeName(node);
    const path = calleePath(node) ?? '';
    if (name === undefined) return;
    const sync = SYNC_CPU.get(name);
    if (sync) {
      // Once per element (a password check per user) multiplies the stall.
      if (inLoop) add('cpu', node, `${sync[1]} in a loop`, sync[0] + 2, true);
      else add('cpu', node, sync[1], sync[0], true);
    } else if (HASHING.has(name)) {
      // A digest or two of one payload is cheap; hashing per element scales with the input.
      if (inLoop) add('cpu', node, 'hashing in a loop', 3);
      else if (!hashCounted) add('cpu', node, 'hashing', 1.5);
      hashCounted ||= !inLoop;
    } else if (
      (path === 'JSON.parse' || path === 'JSON.stringify') &&
      (isDiagnostic(node) || isQuoting(node))
    ) {
      // Building an error or log message runs on the failure path, not per request; quoting a
      // value into a string (`\`[${JSON.stringify(key)}]\``) serialises a key, not a payload.
    } else if (path === 'JSON.parse' || path === 'JSON.stringify') {
      // One payload per call is ordinary request handling however many call sites build it;
      // only the first counts. Per element of a loop it scales with the input.
      if (inLoop) add('cpu', node, `${path} in a loop`, 3);
      else if (!jsonCounted) add('cpu', node, `${path} of a payload`, 1);
      jsonCounted ||= !inLoop;
    } else if (name === 'sort' && ts.isPropertyAccessExpression(node.expression)) {
      add('cpu', node, 'sorting', 1);
    } else if (
      name === ownName &&
      ((ts.isIdentifier(node.expression) && !unit.name.includes('.')) || path === `this.${ownName}`)
    ) {
      // Descending a tree (`walk(n.left); walk(n.right)`) is linear in the input: count it
      // once. Recursing on arithmetic (`fib(n - 1) + fib(n - 2)`) branches exponentially.
      const numeric = node.arguments.some((a) => ts.isBinaryExpression(unwrapExpression(a)));
      if (numeric || !recursionCounted) add('cpu', node, 'recursion', 2);
      recursionCounted = true;
    } else if (BLOCKING_IO.has(name) || isSyncGlob(ctx, node)) {
      add('blocking', node, `blocking I/O (${path})`, 2, true);
    } else if (networkCallKind(ctx, node)) {
      add('io', node, `network call (${path})`, 2);
    } else if (STREAMS.has(name)) {
      add('io', node, `stream (${name})`, 2);
    } else if (
      FS_ASYNC.has(name) &&
      (state.awaited ||
        isReturned(node) ||
        /\b(fs|fsp|promises)\b/.test(path) ||
        /^(node:)?fs(\/promises)?$/.test(ctx.packageImports.get(calleeRoot(node) ?? '') ?? ''))
    ) {
      add('io', node, `file I/O (${path})`, 2);
    } else if (
      DB_CALLS.has(name) &&
      ts.isPropertyAccessExpression(node.expression) &&
      (state.awaited || isReturned(node))
    ) {
      add('io', node, `database or broker call (${path})`, 2);
    } else if (
      HTTP_METHODS.has(name) &&
      ts.isPropertyAccessExpression(node.expression) &&
      state.awaited &&
      /(client|http|api)\b/i.test(path.slice(0, path.lastIndexOf('.')))
    ) {
      add('io', node, `HTTP client call (${path})`, 2);
    } else if (name === 'setTimeout' && !inLoop && isInsidePromise(node)) {
      // counted on the `new Promise` around it
    } else if (
      HTTP_CLIENTS.has(name) &&
      ts.isIdentifier(node.expression) &&
      ctx.packageImports.has(name)
    ) {
      add('io', node, `network call (${name})`, 2);
    }
  });

  return classificationOf(evidence);
}

/**
 * Kind, scores and mode from a list of evidence: the function's own, or its own plus what its
 * callees contribute (the project call graph adds those).
 */
export function classificationOf(evidence: Evidence[]): Classification {
  let cpuScore = 0;
  let ioScore = 0;
  for (const e of evidence) {
    if (e.kind === 'cpu') cpuScore += e.weight;
    else ioScore += e.weight;
  }
  // Several weak signs (a sort, one digest, a plain loop, a shallow recursion) add up on tiny
  // helpers; CPU-heavy takes one strong piece (a hot loop, a catalogue call, callee work) or
  // clearly more than the threshold.
  const strong = evidence.some((e) => e.kind === 'cpu' && (e.weight >= 3 || e.certain));
  const cpuHeavy = cpuScore >= 3 && (strong || cpuScore >= 4);
  const ioBound = ioScore >= 1;
  const kind: WorkKind = cpuHeavy ? (ioBound ? 'mixed' : 'cpu') : ioBound ? 'io' : 'light';
  return { kind, recommendedMode: modeFor(kind, evidence), evidence, cpuScore, ioScore };
}

function modeFor(kind: WorkKind, evidence: Evidence[]): FoxMode {
  switch (kind) {
    case 'cpu':
      return 'tfox';
    case 'mixed':
      return 'wfox';
    case 'light':
      return 'sfox';
    case 'io':
      // Files, streams and fan-out go to an I/O lane; request/DB-style calls to the limiter.
      return evidence.some(
        (e) => e.kind === 'blocking' || /^(file I\/O|stream|for await)/.test(e.reason),
      )
        ? 'mfox'
        : 'wfox';
  }
}

function isReturned(node: ts.Node): boolean {
  const p = node.parent;
  return ts.isReturnStatement(p) || ts.isArrowFunction(p);
}

function containsTimer(node: ts.Node): boolean {
  let found = false;
  const go = (n: ts.Node): void => {
    if (
      ts.isCallExpression(n) &&
      ts.isIdentifier(n.expression) &&
      /^set(Timeout|Immediate)$/.test(n.expression.text)
    ) {
      found = true;
    }
    if (!found) ts.forEachChild(n, go);
  };
  go(node);
  return found;
}

function isInsidePromise(node: ts.Node): boolean {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    if (ts.isNewExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === 'Promise')
      return true;
    if (ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p)) return false;
  }
  return false;
}

const REGEX_USES = /^(match|matchAll|replace|replaceAll|search|split)$/;

/**
 * Is the regex applied to the function's input: `re.test(input)` / `re.exec(input)`, or
 * `input.match(re)` (and `replace`, `split`, …) where the text mentions an input name?
 */
function regexSubject(re: ts.RegularExpressionLiteral, params: ReadonlySet<string>): boolean {
  const mentionsInput = (n: ts.Node): boolean =>
    (ts.isIdentifier(n) && params.has(n.text)) || (ts.forEachChild(n, mentionsInput) ?? false);
  const p = re.parent;
  if (
    ts.isPropertyAccessExpression(p) &&
    p.expression === re &&
    /^(test|exec)$/.test(p.name.text)
  ) {
    const call = p.parent;
    return ts.isCallExpression(call) && call.arguments.some(mentionsInput);
  }
  if (ts.isCallExpression(p) && p.arguments[0] === re) {
    const callee = p.expression;
    return (
      ts.isPropertyAccessExpression(callee) &&
      REGEX_USES.test(callee.name.text) &&
      mentionsInput(callee.expression)
    );
  }
  return false;
}

/** Does the loop's header (or the mapped receiver) mention one of the function's parameters? */
function iteratesInput(loop: ts.Node, params: ReadonlySet<string>): boolean {
  const header: ts.Node[] = [];
  if (ts.isForStatement(loop)) {
    if (loop.initializer) header.push(loop.initializer);
    if (loop.condition) header.push(loop.condition);
  } else if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) header.push(loop.expression);
  else if (ts.isWhileStatement(loop) || ts.isDoStatement(loop)) header.push(loop.expression);
  else if (ts.isCallExpression(loop) && ts.isPropertyAccessExpression(loop.expression)) {
    header.push(loop.expression.expression);
  }
  let found = false;
  const go = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && params.has(n.text)) found = true;
    else ts.forEachChild(n, go);
  };
  for (const h of header) go(h);
  // A while loop over its own cursor (`while (i < s.length)`) usually reads input too.
  return found;
}

/**
 * Names that carry the function's input: its parameters and, transitively, locals initialised
 * from them (`const body = await res.arrayBuffer()` after `const res = await fetch(url)`).
 */
function inputNames(fn: ts.FunctionLikeDeclaration): Set<string> {
  // `length = 10`: a count defaulting to a small constant bounds the loop, not the input.
  const small = (p: ts.ParameterDeclaration): boolean =>
    !!p.initializer && ts.isNumericLiteral(p.initializer) && Number(p.initializer.text) <= 64;
  const names = new Set(
    fn.parameters.filter((p) => !small(p)).flatMap((p) => bindingNames(p.name)),
  );
  const decls: ts.VariableDeclaration[] = [];
  const collect = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && n.initializer) decls.push(n);
    if (!ts.isFunctionDeclaration(n) && !ts.isClassLike(n)) ts.forEachChild(n, collect);
  };
  if (fn.body) ts.forEachChild(fn.body, collect);
  const mentions = (n: ts.Node): boolean => {
    if (ts.isIdentifier(n) && names.has(n.text)) return true;
    return ts.forEachChild(n, mentions) ?? false;
  };
  for (let changed = true, rounds = 0; changed && rounds < 4; rounds++) {
    changed = false;
    for (const d of decls) {
      const bound = bindingNames(d.name);
      if (bound.every((b) => names.has(b)) || !d.initializer || !mentions(d.initializer)) continue;
      for (const b of bound) names.add(b);
      changed = true;
    }
  }
  return names;
}

/** `k + 1` / `2 * i + 1` inside an index (`a[2 * i + 1]`): addressing, not computation. */
function isOffset(n: ts.BinaryExpression): boolean {
  let c: ts.Node = n;
  while (ts.isBinaryExpression(c.parent) || ts.isParenthesizedExpression(c.parent)) c = c.parent;
  const p = c.parent;
  return ts.isElementAccessExpression(p) && p.argumentExpression === c;
}

/** `count += 1`, `covered += hit ? 1 : 0`: counting, not computation. */
function isCounter(n: ts.BinaryExpression): boolean {
  const k = n.operatorToken.kind;
  if (k !== ts.SyntaxKind.PlusEqualsToken && k !== ts.SyntaxKind.MinusEqualsToken) return false;
  const r = unwrapExpression(n.right);
  return (
    ts.isNumericLiteral(r) ||
    (ts.isConditionalExpression(r) &&
      ts.isNumericLiteral(unwrapExpression(r.whenTrue)) &&
      ts.isNumericLiteral(unwrapExpression(r.whenFalse)))
  );
}

/** `(lo + hi) >> 1`, `… / 2`: a bisection step. */
function isHalving(n: ts.BinaryExpression): boolean {
  const r = unwrapExpression(n.right);
  if (!ts.isNumericLiteral(r)) return false;
  const k = n.operatorToken.kind;
  return (
    (k === ts.SyntaxKind.SlashToken && r.text === '2') ||
    ((k === ts.SyntaxKind.GreaterThanGreaterThanToken ||
      k === ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken) &&
      r.text === '1')
  );
}

/** A `while` loop that halves its range each step (binary search). */
function isBisection(loop: ts.Node): boolean {
  if (!ts.isWhileStatement(loop) && !ts.isDoStatement(loop)) return false;
  let found = false;
  const go = (n: ts.Node): void => {
    if (found || isLoop(n)) return;
    if (ts.isBinaryExpression(n) && isHalving(n)) found = true;
    else ts.forEachChild(n, go);
  };
  ts.forEachChild(loop.statement, go);
  return found;
}

/** Variables a `while` loop's condition tests and its body moves (`pos` in `pos < s.length`). */
function loopCursors(loop: ts.Node): Set<string> {
  const out = new Set<string>();
  if (!ts.isWhileStatement(loop) && !ts.isDoStatement(loop)) return out;
  const go = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) out.add(n.text);
    ts.forEachChild(n, go);
  };
  go(loop.expression);
  return out;
}

/** Does an inner loop move one of the outer loop's cursors (`pos += 1`, `pos++`)? */
function advancesCursor(inner: ts.Node, cursors: ReadonlySet<string>): boolean {
  if (cursors.size === 0 || !(ts.isWhileStatement(inner) || ts.isDoStatement(inner))) return false;
  let found = false;
  const go = (n: ts.Node): void => {
    if (found) return;
    const target =
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
        ? n.left
        : (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
            (n.operator === ts.SyntaxKind.PlusPlusToken ||
              n.operator === ts.SyntaxKind.MinusMinusToken)
          ? n.operand
          : undefined;
    if (target && ts.isIdentifier(target) && cursors.has(target.text)) found = true;
    else ts.forEachChild(n, go);
  };
  go(inner);
  return found;
}

/** `\`[${JSON.stringify(key)}]\`` or `'"' + …`: a value quoted into a string. */
function isQuoting(node: ts.CallExpression): boolean {
  const p = node.parent;
  if (ts.isTemplateSpan(p)) return true;
  return (
    ts.isBinaryExpression(p) &&
    p.operatorToken.kind === ts.SyntaxKind.PlusToken &&
    [p.left, p.right].some((s) => ts.isStringLiteral(s) || ts.isTemplateExpression(s))
  );
}

/** `logger.debug(…)`, `this.log.info(…)`, `console.warn(…)`, `this.debug(…)`. */
function isLoggerCall(call: ts.CallExpression): boolean {
  const path = calleePath(call) ?? '';
  return (
    LOGGER.test(path) ||
    /(^|\.)(log|logger|_logger|console)\.\w+$/i.test(path) ||
    /^this\.(debug|trace|verbose|log|info|warn|error)$/.test(path)
  );
}

const LOGGER =
  /^(console|log|logger|this\.log|this\.logger)\.|^(debug|info|warn|error|trace|fatal)$/;

/** Is the node part of an error or log message (a `throw`, a `catch`, a logger call)? */
function isDiagnostic(node: ts.Node): boolean {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    if (ts.isThrowStatement(p) || ts.isCatchClause(p)) return true;
    if (ts.isNewExpression(p) && ts.isIdentifier(p.expression) && /Error$/.test(p.expression.text))
      return true;
    if (ts.isCallExpression(p) && LOGGER.test(calleePath(p) ?? '')) return true;
    if (ts.isFunctionLike(p) || (ts.isBlock(p) && !ts.isCatchClause(p.parent))) return false;
  }
  return false;
}
