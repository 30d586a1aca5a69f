import { ts } from 'ts-morph';
import { classify, type Classification } from '../classify.js';
import { FileContext } from '../file-context.js';
import { collectUnits, isAsyncFunction, unwrapExpression, type FunctionUnit } from '../units.js';
import { isIterationCall, walkFunction } from '../walk.js';
import { moduleStateNames, StateCollector, type StateAccess } from './module-state.js';
import { relativeImports, syntacticTarget, type CallTarget } from './resolution.js';

/** One call a unit makes, with what decides how the callee's work counts for the caller. */
export interface CallSite {
  node: ts.CallExpression;
  /** Resolved from the syntax; undefined leaves it to the checker (when there is one). */
  target?: CallTarget;
  /** Inside a loop or an iteration callback of the caller: the callee runs per element. */
  inLoop: boolean;
  /** The call does not always run when the caller does (`if`, `?:`, `&&`, `catch`, a callback). */
  conditional: boolean;
}

/** What one unit does itself, and whom it calls. */
export interface UnitSummary {
  unit: FunctionUnit;
  /** Classification from the unit's own body (callees not included). */
  own: Classification;
  calls: CallSite[];
  /** Module-level mutable state the unit touches itself. */
  state: StateAccess[];
  /** Declared `async`: its blocking and CPU work are reported where they are, not at callers. */
  isAsync: boolean;
  /** A fox task that runs off the caller's event loop (any declared mode but sfox). */
  offLoop: boolean;
}

/** How a file's exports map to its units. */
export interface ExportTable {
  /** Exported name → unit name (`export { a as b }`, `export default a`, exported units). */
  local: Map<string, string>;
  /** Exported name → the module and name it is re-exported from. */
  reexports: Map<string, { specifier: string; name: string }>;
  /** `export * from '…'` specifiers. */
  star: string[];
}

/** Per-file summary the call graph is built from (cached per parsed file). */
export interface FileSummary {
  sf: ts.SourceFile;
  path: string;
  ctx: FileContext;
  units: UnitSummary[];
  unitNodes: Set<ts.Node>;
  byName: Map<string, UnitSummary>;
  exports: ExportTable;
}

/** Receivers whose methods are the platform's, never the project's. */
const PLATFORM =
  /^(console|Math|JSON|Object|Array|Promise|Number|String|Reflect|process|Buffer|Date)$/;

/** Might the checker resolve `call` to a project function (an instance method, a callback)? */
function mayBeProjectCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return true;
  if (!ts.isPropertyAccessExpression(callee)) return false;
  return !(ts.isIdentifier(callee.expression) && PLATFORM.test(callee.expression.text));
}

/** Does `node` run every time `fn` runs (loops count: "unconditional-ish")? */
function isConditional(node: ts.Node, fn: ts.Node): boolean {
  for (let child = node, p = node.parent; p && child !== fn; child = p, p = p.parent) {
    if (ts.isIfStatement(p) && child !== p.expression) return true;
    if (ts.isConditionalExpression(p) && child !== p.condition) return true;
    if (
      ts.isBinaryExpression(p) &&
      child === p.right &&
      (p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken ||
        p.operatorToken.kind === ts.SyntaxKind.BarBarToken ||
        p.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)
    )
      return true;
    if (ts.isCatchClause(p) || ts.isCaseClause(p) || ts.isDefaultClause(p)) return true;
    // A callback runs when something calls it back, not on the caller's own path.
    if (ts.isFunctionLike(child) && !(ts.isCallExpression(p) && isIterationCall(p))) return true;
  }
  return false;
}

function exportTable(sf: ts.SourceFile, units: readonly FunctionUnit[]): ExportTable {
  const table: ExportTable = { local: new Map(), reexports: new Map(), star: [] };
  for (const u of units) if (u.exported && !u.classNode) table.local.set(u.name, u.name);
  for (const stmt of sf.statements) {
    if (ts.isExportDeclaration(stmt) && !stmt.isTypeOnly) {
      const spec =
        stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier)
          ? stmt.moduleSpecifier.text
          : undefined;
      if (!stmt.exportClause) {
        if (spec?.startsWith('.')) table.star.push(spec);
      } else if (ts.isNamedExports(stmt.exportClause)) {
        for (const el of stmt.exportClause.elements) {
          const from = (el.propertyName ?? el.name).text;
          if (spec === undefined) table.local.set(el.name.text, from);
          else if (spec.startsWith('.'))
            table.reexports.set(el.name.text, { specifier: spec, name: from });
        }
      }
    } else if (ts.isExportAssignment(stmt) && !stmt.isExportEquals) {
      const e = unwrapExpression(stmt.expression);
      if (ts.isIdentifier(e)) table.local.set('default', e.text);
    }
  }
  return table;
}

/**
 * Summarises one parsed file: its units, each unit's own classification, the calls it makes
 * (resolved syntactically where the syntax tells), the module state it touches, and the file's
 * export table. Needs no program, so the editor's syntax phase can build it from a buffer.
 */
export function summarizeFile(sf: ts.SourceFile, path: string, file: string): FileSummary {
  const ctx = new FileContext(sf, path, file);
  const units = collectUnits(ctx);
  const unitNodes = new Set<ts.Node>(units.map((u) => u.node));
  const imports = relativeImports(sf);
  const stateNames = moduleStateNames(ctx);
  const summaries = units.map((unit): UnitSummary => {
    const calls: CallSite[] = [];
    // One walk for both: the calls and the module state.
    const state = stateNames.size > 0 ? new StateCollector(ctx, stateNames) : undefined;
    walkFunction(unit.node, unitNodes, (node, walk) => {
      state?.visit(node);
      // Calls in a closure the unit returns are not the unit's work (they run when it is called).
      if (!ts.isCallExpression(node) || walk.deferred) return;
      const target = syntacticTarget(ctx, unit, node, units, imports);
      // Calls that are certainly not project functions (`console.log`) need no entry.
      if (!target && !mayBeProjectCall(node)) return;
      calls.push({
        node,
        ...(target ? { target } : {}),
        inLoop: walk.loopDepth > 0,
        conditional: isConditional(node, unit.node),
      });
    });
    const mode = unit.task?.mode;
    return {
      unit,
      own: classify(ctx, unit, unitNodes),
      calls,
      state: state?.accesses() ?? [],
      isAsync: isAsyncFunction(unit.node),
      offLoop: unit.task !== undefined && mode !== 'sfox',
    };
  });
  return {
    sf,
    path,
    ctx,
    units: summaries,
    unitNodes,
    byName: new Map(summaries.map((s) => [s.unit.name, s])),
    exports: exportTable(sf, units),
  };
}
