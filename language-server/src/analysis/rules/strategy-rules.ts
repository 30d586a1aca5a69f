import { ts } from 'ts-morph';
import { changeMode, markAsTask } from '../fixes.js';
import type { Classification } from '../classify.js';
import { confidenceByMargin, leastSure } from '../confidence.js';
import type { FileContext } from '../file-context.js';
import { tfoxSwitchBlocker } from '../task-fix/eligibility.js';
import { offerTaskFix } from '../task-fix/offer.js';
import type { Confidence, Evidence, FoxMode, QuickFix } from '../types.js';
import { isAsyncFunction, type FunctionUnit } from '../units.js';
import { walkFunction } from '../walk.js';
import type { AnalyzedUnit, Rule } from './rule.js';
import { moduleStateProblems } from './worker-state.js';

const summary = (evidence: Evidence[], kinds: Evidence['kind'][]): string => {
  const reasons = [...new Set(evidence.filter((e) => kinds.includes(e.kind)).map((e) => e.reason))];
  return reasons.slice(0, 3).join(', ');
};

/** Score at which the classifier calls a function CPU-heavy (classify.ts). */
const CPU_THRESHOLD = 3;

/**
 * How sure "this function is CPU-heavy" is: certain with a catalogue call that blocks whatever
 * its input (sync crypto, zlib, `*Sync`), likely when such a call is only reached through a
 * conditional call of a callee, else by the score's margin over the threshold.
 */
export function cpuConfidence(c: Pick<Classification, 'evidence' | 'cpuScore'>): Confidence {
  const catalogue = c.evidence.filter((e) => e.kind === 'cpu' && e.certain);
  if (catalogue.some((e) => !e.conditional)) return 'certain';
  if (catalogue.length > 0) return 'likely';
  return confidenceByMargin(c.cpuScore, CPU_THRESHOLD);
}

/**
 * The CPU evidence FOX001 reports at a function: its own, and its callees' work when it calls
 * them in a loop (it multiplies their cost). A callee heavy on its own is reported where it is,
 * where the tfox fix goes; its callers are not reported again for the same work.
 */
function reportableCpu(c: Classification): { evidence: Evidence[]; cpuScore: number } {
  const evidence = c.evidence.filter((e) => e.kind === 'cpu' && (!e.via || e.inLoop));
  return { evidence, cpuScore: evidence.reduce((n, e) => n + e.weight, 0) };
}

/**
 * Confidence of one catalogue call (own or reached through callees): certain when it runs
 * whenever the function does, likely behind a conditional call. Heuristic evidence reached
 * through callees is never certain: it keeps the margin rule of `cpuConfidence`.
 */
const catalogueConfidence = (e: Evidence): Confidence => (e.conditional ? 'likely' : 'certain');

/** The "run as tfox" fix for a function that is no task yet, or why it is not offered. */
function taskFixOf(
  ctx: FileContext,
  u: AnalyzedUnit,
): { fixes: QuickFix[]; fixUnavailable?: string } {
  if (u.task) return { fixes: [] };
  // `app.post('/x', (req, res) => …)`: nothing names the function for the sdk, the worker or a
  // wrap, and `req`/`res` could not cross to a worker anyway.
  if (u.handler?.inline)
    return {
      fixes: [],
      fixUnavailable: `'${u.name}' is written inline where it is registered; move the work into a named function to run it as a task`,
    };
  const offer = offerTaskFix(ctx, u, 'tfox');
  return 'fix' in offer ? { fixes: [offer.fix] } : { fixes: [], fixUnavailable: offer.unavailable };
}

/**
 * Does the function itself start asynchronous I/O (a network call, a promise it returns)? Blocking
 * `*Sync` calls count as I/O for the classifier but make no wait, and a callee's I/O (evidence
 * with `via`) is the callee's.
 */
const waitsOnIo = (c: Classification): boolean => c.evidence.some((e) => e.kind === 'io' && !e.via);

/** FOX001: CPU-heavy work on the event loop → tfox. */
export const cpuOnEventLoop: Rule = {
  id: 'FOX001',
  name: 'cpu-on-event-loop',
  description: 'CPU-heavy work runs on the event loop; run it on a worker thread (tfox).',
  defaultSeverity: 'warning',
  pattern: 'tfox',
  needsTypes: false,
  check(rc) {
    for (const u of rc.units) {
      const mode = u.task?.mode;
      if (mode === 'tfox' || mode === 'sfox' || mode === 'auto') continue; // sfox: FOX007
      const c = u.classification;
      const own = reportableCpu(c);
      if (c.kind === 'cpu') {
        if (own.cpuScore < CPU_THRESHOLD) continue;
        rc.report({
          node: u.anchor,
          unit: u,
          message: `'${u.name}' does CPU-heavy work on the event loop (${summary(own.evidence, ['cpu'])}); run it on a worker thread with tfox.`,
          confidence: cpuConfidence(own),
          evidence: c.evidence.filter((e) => e.kind === 'cpu'),
          ...taskFixOf(rc.file, u),
        });
      } else if (isAsyncFunction(u.node) || (c.kind === 'mixed' && waitsOnIo(c))) {
        // A certain blocking call (*Sync I/O, sync crypto/zlib/transform) inside an async path
        // stalls every other request on the loop, even when the function is mostly I/O. With
        // the call graph, the call may be a helper's, named by the evidence's path.
        const where = isAsyncFunction(u.node)
          ? `async '${u.name}'`
          : `'${u.name}', which also waits on I/O,`;
        walkFunction(u.node, rc.unitNodes, (node) => {
          if (!ts.isCallExpression(node)) return;
          // Every blocking call reached at this node, not only the first: a helper that checks
          // `existsSync` then `statSync` blocks twice, and each call is one to replace. One
          // finding per call node (the rule reports a node once) names them all.
          const line = rc.file.lineColumn(node).line;
          const text = rc.file.text(node);
          const evs = c.evidence.filter(
            (e) => e.certain === true && e.line === line && e.text === text,
          );
          const ev = evs[0];
          if (!ev) return;
          const reasons = [...new Set(evs.map((e) => e.reason))];
          rc.report({
            node,
            unit: u,
            message:
              reasons.length === 1
                ? `${ev.reason} inside ${where} blocks the event loop; use the async API or run the function as tfox.`
                : `${reasons.join('; ')} inside ${where} block the event loop; use the async APIs or run the function as tfox.`,
            confidence: evs.some((e) => catalogueConfidence(e) === 'certain')
              ? 'certain'
              : catalogueConfidence(ev),
            evidence: evs,
          });
        });
        // The synchronous segments between awaits are heavy by the heuristics: the awaits do
        // not make that work any cheaper for the requests queued behind it.
        const heuristic = own.evidence.filter((e) => !e.certain);
        const score = heuristic.reduce((n, e) => n + e.weight, 0);
        if (c.kind === 'mixed' && score >= CPU_THRESHOLD) {
          rc.report({
            node: u.anchor,
            unit: u,
            message: `'${u.name}' waits on I/O but its synchronous part is CPU-heavy (${summary(heuristic, ['cpu'])}); move that part into a tfox task.`,
            confidence: leastSure(confidenceByMargin(score, CPU_THRESHOLD), 'likely'),
            evidence: heuristic,
          });
        }
      }
    }
  },
};

/** FOX007's "change the mode" fix, unless the new mode is tfox and FOX006 would then object. */
function modeFixOf(
  ctx: FileContext,
  u: AnalyzedUnit,
  modeNode: ts.StringLiteralLike,
  mode: FoxMode,
): { fixes: QuickFix[]; fixUnavailable?: string } {
  const blocker = mode === 'tfox' ? tfoxSwitchBlocker(ctx, u) : undefined;
  return blocker
    ? { fixes: [], fixUnavailable: blocker }
    : { fixes: [changeMode(ctx, modeNode, mode)] };
}

/** FOX007: declared mode does not fit the work (tfox on I/O-bound code, sfox on CPU-heavy code). */
export const modeMismatch: Rule = {
  id: 'FOX007',
  name: 'mode-mismatch',
  description:
    'The declared mode does not fit the work: tfox on I/O-bound code or sfox on CPU-heavy code.',
  defaultSeverity: 'warning',
  pattern: 'mode',
  needsTypes: false,
  check(rc) {
    for (const u of rc.units) {
      const t = u.task;
      const c = u.classification;
      if (!t?.mode || !t.modeNode) continue;
      let why: string | undefined;
      let confidence: Confidence = 'possible';
      if (t.mode === 'tfox' && c.kind === 'io') {
        why = `it is I/O-bound (${summary(c.evidence, ['io', 'blocking'])}); a worker thread only adds transfer cost`;
        // Some CPU evidence under the threshold may still be worth the hop: only doubt then.
        confidence = c.cpuScore === 0 ? 'likely' : 'possible';
      } else if (t.mode === 'sfox' && c.kind === 'cpu') {
        why = `it is CPU-heavy (${summary(c.evidence, ['cpu'])}) and sfox runs it on the event loop`;
        confidence = cpuConfidence(c);
      }
      if (!why) continue;
      rc.report({
        node: t.modeNode,
        unit: u,
        message: `'${u.name}' is declared '${t.mode}' but ${why}; use '${c.recommendedMode}'.`,
        confidence,
        evidence: c.evidence,
        ...modeFixOf(rc.file, u, t.modeNode, c.recommendedMode),
      });
    }
  },
};

const CLONEABLE_CLASSES = new Set([
  'Date',
  'RegExp',
  'Map',
  'Set',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Error',
  'Blob',
  'Buffer',
  'Array',
  'ReadonlyArray',
  'String',
  'Number',
  'Boolean',
  'BigInt',
]);

/** Why values of `type` cannot cross `postMessage` (structured clone), if they cannot. */
export function notCloneable(
  checker: ts.TypeChecker,
  type: ts.Type,
  depth = 0,
): string | undefined {
  if (depth > 3) return undefined;
  if (type.isUnion() || type.isIntersection()) {
    for (const t of type.types) {
      const why = notCloneable(checker, t, depth + 1);
      if (why) return why;
    }
    return undefined;
  }
  if (type.getCallSignatures().length > 0) return 'a function';
  if (type.flags & (ts.TypeFlags.ESSymbol | ts.TypeFlags.UniqueESSymbol)) return 'a symbol';
  const symbol = type.getSymbol();
  const name = symbol?.getName();
  if (
    name &&
    /^(Promise|WeakMap|WeakSet|WeakRef|AbortSignal|EventEmitter|Socket|Stream|Readable|Writable)$/.test(
      name,
    )
  ) {
    return `a ${name}`;
  }
  if (name && (CLONEABLE_CLASSES.has(name) || /Array$/.test(name))) return undefined;
  if (symbol && symbol.flags & ts.SymbolFlags.Class) {
    const hasMethods = type.getProperties().some((p) => (p.flags & ts.SymbolFlags.Method) !== 0);
    if (hasMethods) return `a ${name} instance (its methods and prototype are lost in a worker)`;
  }
  return undefined;
}

/** FOX006: a tfox task that cannot run in a worker thread. */
export const workerIncompatible: Rule = {
  id: 'FOX006',
  name: 'tfox-not-worker-safe',
  description:
    'A tfox task must be importable by a worker and self-contained: exported, no `this`, no captured module state or closures, cloneable arguments.',
  defaultSeverity: 'error',
  pattern: 'tfox',
  needsTypes: true,
  // A task that cannot load in a worker fails in the test suite too.
  correctness: true,
  check(rc) {
    for (const u of rc.units) {
      if (u.task?.mode !== 'tfox') continue;
      const reasons = [
        ...workerProblems(rc.file, u, rc.checker),
        ...moduleStateProblems(rc.file, u),
      ];
      for (const r of reasons) {
        rc.report({
          node: r.node,
          unit: u,
          message: `tfox task '${u.name}' cannot run in a worker thread: ${r.reason}.`,
          fixes: r.fix ? [r.fix] : [],
        });
      }
    }
  },
};

/** One reason a function cannot run as a tfox task in a worker thread. */
export interface WorkerProblem {
  node: ts.Node;
  reason: string;
  fix?: ReturnType<typeof markAsTask>;
}

/**
 * Why `u` cannot run in a worker thread as a tfox task: not exported, `this`, module state,
 * closures, and (with the checker) parameters that structured clone cannot copy. The quick fixes
 * that make a function a tfox task ask the same question before offering themselves.
 */
export function workerProblems(
  ctx: FileContext,
  u: FunctionUnit,
  checker?: ts.TypeChecker,
): WorkerProblem[] {
  const out: WorkerProblem[] = [];
  if (!u.exported) {
    const stmt = u.classNode ?? u.variable?.parent.parent;
    const top =
      stmt &&
      stmt.parent === ctx.sf &&
      (ts.isVariableStatement(stmt) || ts.isClassDeclaration(stmt));
    const at = stmt ? stmt.getStart(ctx.sf) : 0;
    out.push({
      node: u.anchor,
      reason: `it is not exported (the worker imports ${u.classNode ? 'its class' : 'it'} by export name)`,
      ...(top
        ? {
            fix: {
              title: 'Export it',
              path: ctx.path,
              edits: [
                { range: { start: ctx.position(at), end: ctx.position(at) }, newText: 'export ' },
              ],
            },
          }
        : {}),
    });
  }
  // A task's closure is the function around its fox call; a task-to-be's, the one around it.
  const enclosingFn = enclosingFunction(u.taskCall ?? u.node);
  const reported = new Set<string>();
  walkFunction(u.node, new Set(), (node) => {
    if (node.kind === ts.SyntaxKind.ThisKeyword && !reported.has('this')) {
      reported.add('this');
      out.push({ node, reason: 'it uses `this`, but the worker has no instance' });
    }
    if (!ts.isIdentifier(node) || reported.has(node.text)) return;
    if (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) return;
    if (ts.isPropertyAssignment(node.parent) && node.parent.name === node) return;
    const decl = checker?.getSymbolAtLocation(node)?.declarations?.[0];
    if (decl && ts.isVariableDeclaration(decl)) {
      const list = decl.parent;
      const stmt = list.parent;
      const mutable = (list.flags & ts.NodeFlags.Const) === 0;
      if (ts.isVariableStatement(stmt) && stmt.parent === ctx.sf && mutable) {
        reported.add(node.text);
        out.push({
          node,
          reason: `it reads module state '${node.text}', which each worker has its own copy of`,
        });
      } else if (enclosingFn && isInside(decl, enclosingFn) && !isInside(decl, u.node)) {
        reported.add(node.text);
        out.push({
          node,
          reason: `it captures '${node.text}' from an enclosing function (closures do not cross threads)`,
        });
      }
    } else if (!checker && ctx.moduleMutables.has(node.text)) {
      reported.add(node.text);
      out.push({
        node,
        reason: `it reads module state '${node.text}', which each worker has its own copy of`,
      });
    }
  });
  if (checker) {
    for (const p of u.node.parameters) {
      const why = notCloneable(checker, checker.getTypeAtLocation(p));
      if (why)
        out.push({
          node: p,
          reason: `parameter '${p.name.getText(ctx.sf)}' is ${why}, which cannot be cloned to a worker`,
        });
    }
  }
  return out;
}

function enclosingFunction(node: ts.Node): ts.Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return p;
  return undefined;
}

function isInside(node: ts.Node, container: ts.Node): boolean {
  return (
    node.pos >= container.pos &&
    node.end <= container.end &&
    node.getSourceFile() === container.getSourceFile()
  );
}
