import { ts } from 'ts-morph';
import { changeMode, markAsTask } from '../fixes.js';
import type { Classification } from '../classify.js';
import { confidenceByMargin } from '../confidence.js';
import type { Confidence, Evidence } from '../types.js';
import { walkFunction } from '../walk.js';
import type { AnalyzedUnit, Rule, RuleContext } from './rule.js';

const summary = (evidence: Evidence[], kinds: Evidence['kind'][]): string => {
  const reasons = [...new Set(evidence.filter((e) => kinds.includes(e.kind)).map((e) => e.reason))];
  return reasons.slice(0, 3).join(', ');
};

/** Score at which the classifier calls a function CPU-heavy (classify.ts). */
const CPU_THRESHOLD = 3;

/**
 * How sure "this function is CPU-heavy" is: certain with a catalogue call that blocks whatever
 * its input (sync crypto, zlib, `*Sync`), else by the score's margin over the threshold.
 */
export function cpuConfidence(c: Classification): Confidence {
  if (c.evidence.some((e) => e.kind === 'cpu' && e.certain)) return 'certain';
  return confidenceByMargin(c.cpuScore, CPU_THRESHOLD);
}

const isAsync = (u: AnalyzedUnit): boolean =>
  (ts.getModifiers(u.node) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);

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
      if (c.kind === 'cpu') {
        rc.report({
          node: u.anchor,
          unit: u,
          message: `'${u.name}' does CPU-heavy work on the event loop (${summary(c.evidence, ['cpu'])}); run it on a worker thread with tfox.`,
          confidence: cpuConfidence(c),
          evidence: c.evidence.filter((e) => e.kind === 'cpu'),
          fixes: u.task ? [] : [markAsTask(rc.file, u, 'tfox')],
        });
      } else if (isAsync(u)) {
        // A certain blocking call (*Sync I/O, sync crypto/zlib/transform) inside an async path
        // stalls every other request on the loop, even when the function is mostly I/O.
        walkFunction(u.node, rc.unitNodes, (node) => {
          if (!ts.isCallExpression(node)) return;
          const ev = c.evidence.find(
            (e) =>
              e.certain === true &&
              e.line === rc.file.lineColumn(node).line &&
              e.text === rc.file.text(node),
          );
          if (!ev) return;
          rc.report({
            node,
            unit: u,
            message: `${ev.reason} inside async '${u.name}' blocks the event loop; use the async API or run the function as tfox.`,
            evidence: [ev],
          });
        });
      }
    }
  },
};

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
        fixes: [changeMode(rc.file, t.modeNode, c.recommendedMode)],
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
function notCloneable(checker: ts.TypeChecker, type: ts.Type, depth = 0): string | undefined {
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
      const reasons = workerProblems(rc, u);
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

interface Problem {
  node: ts.Node;
  reason: string;
  fix?: ReturnType<typeof markAsTask>;
}

function workerProblems(rc: RuleContext, u: AnalyzedUnit): Problem[] {
  const out: Problem[] = [];
  const ctx = rc.file;
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
  const checker = rc.checker;
  const enclosingFn = u.taskCall ? enclosingFunction(u.taskCall) : undefined;
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
