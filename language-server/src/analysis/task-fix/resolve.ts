import { relative, sep } from 'node:path';
import { ts, type Project } from 'ts-morph';
import { FileContext } from '../file-context.js';
import { applyEdits, markAsTask, unitStatement } from '../fixes.js';
import type {
  FileEdits,
  FoxMode,
  QuickFix,
  ResolvedFix,
  TaskFixTarget,
  TextEdit,
} from '../types.js';
import { collectUnits, type FunctionUnit } from '../units.js';
import {
  awaitCallers,
  findFunctionReferences,
  hoistedCallBefore,
  usedBeforeDeclaration,
} from './callers.js';
import { returnsPromise, syntaxBlocker, typedBlocker } from './eligibility.js';
import { detectStyle, longestLine, reindent, type FileStyle } from './formatting.js';
import { sdkStandIn } from './sdk-stand-in.js';
import { addedDiagnostic } from './verify.js';

/** What resolving a task fix needs from the analyser (FoxAnalyzer has it). */
export interface TaskFixProject {
  readonly project: Project;
  rootOf(path: string): string;
  checker(): ts.TypeChecker;
  setFileText(path: string, text: string): unknown;
}

/** The name callers use for the unit, when it has one the language service can follow. */
function declaredName(unit: FunctionUnit): ts.Node | undefined {
  const node = unit.node;
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name;
  if (unit.variable && ts.isIdentifier(unit.variable.name)) return unit.variable.name;
  return undefined;
}

/**
 * The wrap edits in the function's file, re-indented by the formatter: one replacement of the
 * declaration when the formatter changed indentation, else the plain inserts. `longest` is the
 * longest line of the result, to choose between the one-line and the multi-line form.
 */
function formattedWrap(
  ctx: FileContext,
  unit: FunctionUnit,
  mode: FoxMode,
  style: FileStyle,
  multiline: boolean,
): { edits: TextEdit[]; longest: number } | undefined {
  const fix = markAsTask(ctx, unit, mode, { ...style, multiline });
  if (!fix) return undefined;
  const statement = unitStatement(unit);
  const start = statement.getStart(ctx.sf);
  const end = statement.getEnd();
  const offset = (p: TextEdit['range']['start']): number =>
    ctx.sf.getPositionOfLineAndCharacter(p.line, p.character);
  const inside = fix.edits.filter(
    (e) => offset(e.range.start) >= start && offset(e.range.end) <= end,
  );
  const outside = fix.edits.filter((e) => !inside.includes(e));
  const text = ctx.sf.text;
  const wrapped = applyEdits(text, inside);
  const wrappedEnd = end + wrapped.length - text.length;
  const formatted = reindent(ctx.path, wrapped, start, wrappedEnd, style);
  const formattedEnd = wrappedEnd + formatted.length - wrapped.length;
  const longest = longestLine(formatted, start, formattedEnd);
  if (formatted === wrapped) return { edits: fix.edits, longest };
  const replacement: TextEdit = {
    range: { start: ctx.position(start), end: ctx.position(end) },
    newText: formatted.slice(start, formattedEnd),
  };
  // Header edits (the import) first: one may insert exactly where the replacement starts.
  return { edits: [...outside, replacement], longest };
}

/** The wrap in the file's style, split over lines when one line would be too long. */
function wrapEdits(ctx: FileContext, unit: FunctionUnit, mode: FoxMode): TextEdit[] | undefined {
  const style = detectStyle(ctx.sf.text);
  const oneLine = formattedWrap(ctx, unit, mode, style, false);
  if (!oneLine) return undefined;
  const statement = unitStatement(unit);
  const before = longestLine(ctx.sf.text, statement.getStart(ctx.sf), statement.getEnd());
  if (oneLine.longest <= Math.max(style.maxLineLength, before)) return oneLine.edits;
  const split = formattedWrap(ctx, unit, mode, style, true);
  return split && split.longest < oneLine.longest ? split.edits : oneLine.edits;
}

const toRelative = (path: string, root: string): string =>
  (relative(root, path) || path).split(sep).join('/');

/**
 * The complete edit set that makes the function `target` names a fox task: the wrap in its file
 * (formatted like the file) and an `await` at every call in the project. Undefined edits are
 * never returned: when a caller cannot await, when the function cannot run where the mode puts
 * it, or when the edits would add a type error, the answer is `unavailable` with the reason.
 */
export function resolveTaskFix(
  analyzer: TaskFixProject,
  path: string,
  target: TaskFixTarget,
): ResolvedFix {
  const project = analyzer.project;
  const source = project.getSourceFile(path);
  if (!source) return { unavailable: `${path} is not part of the project` };
  const root = analyzer.rootOf(path);
  const checker = analyzer.checker();
  const ctx = new FileContext(source.compilerNode, path, toRelative(path, root));
  const unit = collectUnits(ctx).find((u) => u.id === target.functionId);
  if (!unit) return { unavailable: `'${target.functionId}' is no longer in ${ctx.file}` };
  if (unit.task) return { unavailable: `'${unit.name}' is a fox task already` };
  const blocker =
    syntaxBlocker(ctx, unit, target.mode) ?? typedBlocker(ctx, unit, target.mode, checker);
  if (blocker) return { unavailable: blocker };

  const name = declaredName(unit);
  const refs = name ? findFunctionReferences(project, path, name) : [];
  if (ts.isFunctionDeclaration(unit.node)) {
    const early = usedBeforeDeclaration(refs, unit.node);
    if (early)
      return {
        unavailable: `'${unit.name}' is used at module level before its declaration, which works for a function declaration but not for the const a wrap makes`,
      };
    const starter = hoistedCallBefore(unit.node);
    if (starter)
      return {
        unavailable: `module code above '${unit.name}' calls '${starter}', which may reach it before the const a wrap makes is initialised`,
      };
  }
  let callers: FileEdits[] = [];
  if (!returnsPromise(checker, unit.node)) {
    if (!name)
      return {
        unavailable: `'${unit.name}' is synchronous and has no name its callers could be found by`,
      };
    const ownBody = ts.isFunctionDeclaration(unit.node) ? unit.node.body : undefined;
    const awaited = awaitCallers(refs, unit.name, ownBody, root, checker);
    if ('unavailable' in awaited) return awaited;
    callers = awaited.edits;
  }

  const wrap = wrapEdits(ctx, unit, target.mode);
  if (!wrap) return { unavailable: `Fox cannot wrap this form of declaration of '${unit.name}'` };
  const byFile = new Map<string, TextEdit[]>([[path, wrap]]);
  for (const c of callers) byFile.set(c.path, [...(byFile.get(c.path) ?? []), ...c.edits]);
  const edits = [...byFile].map(([p, e]) => ({ path: p, edits: e }));

  const texts = new Map<string, string>();
  for (const e of edits) {
    const original = project.getSourceFileOrThrow(e.path).getFullText();
    try {
      texts.set(e.path, applyEdits(original, e.edits));
    } catch {
      return { unavailable: `the edits for '${unit.name}' overlap in ${toRelative(e.path, root)}` };
    }
  }
  const added = addedDiagnostic(
    project,
    texts,
    refs.map((r) => r.path),
    (p, t) => analyzer.setFileText(p, t),
    ctx.foxImport.localName ? undefined : sdkStandIn(project, path),
  );
  if (added) return { unavailable: `applying it would add a type error (${added})` };
  return { edits };
}

/**
 * A fix with its own complete edits (a lane around a fan-out, an option added to a call),
 * checked like a task fix: its edits applied in memory must add no diagnostic to the file, else
 * the answer is `unavailable` with the error it would add.
 */
export function resolvePlainFix(analyzer: TaskFixProject, fix: QuickFix): ResolvedFix {
  const project = analyzer.project;
  const source = project.getSourceFile(fix.path);
  if (!source) return { unavailable: `${fix.path} is not part of the project` };
  const root = analyzer.rootOf(fix.path);
  let text: string;
  try {
    text = applyEdits(source.getFullText(), fix.edits);
  } catch {
    return { unavailable: `the edits overlap in ${toRelative(fix.path, root)}` };
  }
  const introducesFox = fix.edits.some((e) => /\bfox\b/.test(e.newText));
  const ctx = new FileContext(source.compilerNode, fix.path, toRelative(fix.path, root));
  const added = addedDiagnostic(
    project,
    new Map([[fix.path, text]]),
    [],
    (p, t) => analyzer.setFileText(p, t),
    introducesFox && !ctx.foxImport.localName ? sdkStandIn(project, fix.path) : undefined,
  );
  if (added) return { unavailable: `applying it would add a type error (${added})` };
  return { edits: [{ path: fix.path, edits: fix.edits }] };
}
