import { ts } from 'ts-morph';
import type { FileContext } from './file-context.js';
import type { FoxMode, QuickFix, TextEdit } from './types.js';
import type { FunctionUnit } from './units.js';

/**
 * Quick fixes as minimal LSP text edits: every edit inserts or replaces a few tokens around the
 * code it fixes, never the whole file, so the user's formatting and comments survive.
 */

const insert = (ctx: FileContext, offset: number, newText: string): TextEdit => {
  const p = ctx.position(offset);
  return { range: { start: p, end: p }, newText };
};

const replace = (ctx: FileContext, node: ts.Node, newText: string): TextEdit => ({
  range: ctx.range(node),
  newText,
});

/** How generated code is written, to match the file it goes into. */
export interface TaskFixStyle {
  quote: "'" | '"';
  semicolons: boolean;
  /** One level of indentation (`'  '`, `'    '`, `'\t'`). */
  indentUnit: string;
  /** Put the options and the function on their own lines (for a long header line). */
  multiline: boolean;
}

const DEFAULT_STYLE: TaskFixStyle = {
  quote: "'",
  semicolons: true,
  indentUnit: '  ',
  multiline: false,
};

/** Where new top-of-file declarations go: after the last import, else before the first statement. */
function headerEdit(ctx: FileContext, lines: string[]): TextEdit | undefined {
  if (lines.length === 0) return undefined;
  const imports = ctx.sf.statements.filter(ts.isImportDeclaration);
  const last = imports[imports.length - 1];
  if (last) return insert(ctx, last.getEnd(), lines.map((l) => `\n${l}`).join(''));
  const first = ctx.sf.statements[0];
  // Above the first statement's doc comment (which belongs to it), below a file header comment.
  const comments = first
    ? (ts.getLeadingCommentRanges(ctx.sf.text, first.getFullStart()) ?? [])
    : [];
  const doc = comments.find((c) => ctx.sf.text.startsWith('/**', c.pos));
  const at = doc ? doc.pos : first ? first.getStart(ctx.sf) : 0;
  return insert(ctx, at, lines.map((l) => `${l}\n`).join('') + '\n');
}

/**
 * Edits that make `fox` importable: none when it already is; `fox, ` added to an existing value
 * import from `@fox/sdk`; else a new import line (returned in `header` so callers can put more
 * top-of-file lines in the same edit).
 */
function foxImport(
  ctx: FileContext,
  style: TaskFixStyle = DEFAULT_STYLE,
): { edits: TextEdit[]; header: string[] } {
  if (ctx.foxImport.localName) return { edits: [], header: [] };
  const decl = ctx.foxImport.declaration;
  const named = decl?.importClause?.namedBindings;
  if (named && ts.isNamedImports(named)) {
    const first = named.elements[0];
    return {
      edits: [
        first ? insert(ctx, first.getStart(ctx.sf), 'fox, ') : replace(ctx, named, '{ fox }'),
      ],
      header: [],
    };
  }
  const q = style.quote;
  return {
    edits: [],
    header: [`import { fox } from ${q}@fox/sdk${q}${style.semicolons ? ';' : ''}`],
  };
}

/** Local name to call `fox` by once the import fix is applied. */
const foxName = (ctx: FileContext): string => ctx.foxImport.localName ?? 'fox';

function withImport(
  ctx: FileContext,
  edits: TextEdit[],
  extraHeader: string[] = [],
  style: TaskFixStyle = DEFAULT_STYLE,
): TextEdit[] {
  const imp = foxImport(ctx, style);
  const header = headerEdit(ctx, [...imp.header, ...extraHeader]);
  return [...imp.edits, ...(header ? [header] : []), ...edits];
}

/** Start of `async`/`function` in a function declaration (after `export`/`default`). */
function functionKeywordStart(ctx: FileContext, fn: ts.FunctionDeclaration): number {
  const asyncMod = (ts.getModifiers(fn) ?? []).find((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  if (asyncMod) return asyncMod.getStart(ctx.sf);
  const kw = fn.getChildren(ctx.sf).find((c) => c.kind === ts.SyntaxKind.FunctionKeyword);
  return (kw ?? fn).getStart(ctx.sf);
}

/**
 * Makes a function a fox task in `mode`: `@fox({ mode })` above a method, or `fox({ mode }, …)`
 * around a function (a declaration becomes `const name = fox(…, function name …)`), plus the
 * import. `tfox` tasks are also exported, because the worker imports them by export name.
 * These edits are only the function's own part: the fix carries `resolve`, and
 * `FoxAnalyzer.resolveFix` returns the complete edit set (every caller awaited, formatted like
 * the file, type-checked) or why the fix is unsafe. `style` is the file's (see `detectStyle`).
 */
export function markAsTask(
  ctx: FileContext,
  unit: FunctionUnit,
  mode: FoxMode,
  style: TaskFixStyle = DEFAULT_STYLE,
): QuickFix | undefined {
  const q = style.quote;
  const opts = `{ mode: ${q}${mode}${q} }`;
  const title = `Run as ${mode}: ${unit.node.kind === ts.SyntaxKind.MethodDeclaration ? `add @fox(${opts})` : `wrap in fox(${opts}, …)`}`;
  const node = unit.node;
  const needsExport = mode === 'tfox' && !unit.exported;
  const resolve = { kind: 'mark-as-task', functionId: unit.id, mode } as const;
  const fix = (edits: TextEdit[]): QuickFix => ({
    title,
    path: ctx.path,
    edits: withImport(ctx, edits, [], style),
    resolve,
  });
  // A long header line is split: the options and the function become arguments on own lines.
  const indent = ctx.indentOf(unitStatement(unit));
  const args = style.multiline
    ? `\n${indent}${style.indentUnit}${opts},\n${indent}${style.indentUnit}`
    : `${opts}, `;
  const close = style.multiline ? `,\n${indent})` : ')';
  const semi = style.semicolons ? ';' : '';
  if (ts.isMethodDeclaration(node)) {
    return fix([
      insert(ctx, node.getStart(ctx.sf), `@${foxName(ctx)}(${opts})\n${ctx.indentOf(node)}`),
      ...asyncEdits(ctx, node),
    ]);
  }
  if (ts.isFunctionDeclaration(node)) {
    if (node.parent !== ctx.sf || (!node.name && !unit.exportDefault)) return undefined;
    const start = functionKeywordStart(ctx, node);
    const open = unit.exportDefault
      ? `${foxName(ctx)}(${args}`
      : `${needsExport ? 'export ' : ''}const ${node.name?.text ?? unit.name} = ${foxName(ctx)}(${args}`;
    return fix([insert(ctx, start, open), insert(ctx, node.getEnd(), `${close}${semi}`)]);
  }
  const variable = unit.variable;
  const init =
    variable?.initializer ??
    (unit.exportDefault && ts.isExportAssignment(unit.exportDefault)
      ? unit.exportDefault.expression
      : undefined);
  if (!init) return undefined;
  const edits = [
    insert(ctx, init.getStart(ctx.sf), `${foxName(ctx)}(${args}`),
    insert(ctx, init.getEnd(), close),
  ];
  const statement = variable?.parent.parent;
  if (
    needsExport &&
    statement &&
    ts.isVariableStatement(statement) &&
    statement.parent === ctx.sf
  ) {
    edits.unshift(insert(ctx, statement.getStart(ctx.sf), 'export '));
  }
  return fix(edits);
}

/**
 * The statement (or class member) a unit is declared by: where a wrapped form starts its lines,
 * and the span every wrap edit stays inside.
 */
export function unitStatement(unit: FunctionUnit): ts.Node {
  if (ts.isFunctionDeclaration(unit.node) || ts.isMethodDeclaration(unit.node)) return unit.node;
  return unit.variable?.parent.parent ?? unit.exportDefault ?? unit.node;
}

/**
 * A fox call always returns a promise, so a decorated method must be async: for a synchronous
 * method, adds `async` and wraps an explicit return type in `Promise<…>`. Callers that used the
 * value synchronously then get a type error at the place that must now `await` — honest, unlike
 * a decorator type that pretended the method stayed synchronous.
 */
function asyncEdits(ctx: FileContext, node: ts.MethodDeclaration): TextEdit[] {
  const isAsync = node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ?? false;
  if (isAsync || node.asteriskToken) return [];
  const edits = [insert(ctx, node.name.getStart(ctx.sf), 'async ')];
  const type = node.type;
  if (type && !/^(Promise|PromiseLike)</.test(type.getText(ctx.sf))) {
    edits.push(insert(ctx, type.getStart(ctx.sf), 'Promise<'), insert(ctx, type.getEnd(), '>'));
  }
  return edits;
}

/** Replaces the declared mode literal with `mode`. */
export function changeMode(
  ctx: FileContext,
  modeNode: ts.StringLiteralLike,
  mode: FoxMode,
): QuickFix {
  const quote = modeNode.getText(ctx.sf)[0] ?? "'";
  return {
    title: `Change mode to '${mode}'`,
    path: ctx.path,
    edits: [replace(ctx, modeNode, `${quote}${mode}${quote}`)],
  };
}

/**
 * Adds `property` to the options object argument at `index` of `call`: into the literal when it
 * is one, `{ ...opts, property }` around another expression, a new argument when it is missing.
 */
export function addOptionProperty(
  ctx: FileContext,
  call: ts.CallExpression,
  index: number,
  property: string,
  title: string,
): QuickFix | undefined {
  const arg = call.arguments[index];
  let edit: TextEdit;
  if (!arg) {
    const prev = call.arguments[index - 1];
    if (!prev || call.arguments.length !== index) return undefined;
    edit = insert(ctx, prev.getEnd(), `, { ${property} }`);
  } else if (ts.isObjectLiteralExpression(arg)) {
    const props = arg.properties;
    const last = props[props.length - 1];
    if (!last) edit = replace(ctx, arg, `{ ${property} }`);
    else {
      const multiline = arg.getText(ctx.sf).includes('\n');
      const sep = multiline ? `\n${ctx.indentOf(last)}` : ' ';
      edit = props.hasTrailingComma
        ? insert(ctx, props.end, `${sep}${property},`)
        : insert(ctx, last.getEnd(), `,${sep}${property}${multiline ? ',' : ''}`);
    }
  } else if (ts.isSpreadElement(arg)) {
    return undefined;
  } else {
    edit = replace(ctx, arg, `{ ...${arg.getText(ctx.sf)}, ${property} }`);
  }
  return { title, path: ctx.path, edits: [edit] };
}

/** Name of the module-level bounded lane the fan-out fix declares (and reuses). */
export const LANE_NAME = 'foxLane';

/**
 * Bounds a `Promise.all(items.map(cb))` fan-out: declares (once per file) an `mfox` task with a
 * bulkhead that runs one callback at a time per slot, and routes each element through it:
 * `items.map((item) => foxLane(cb, item))`. The callback's parameters keep their inferred types
 * because `foxLane` is generic over them, and their annotations: the new lambda repeats them, so
 * an element the callback's annotation narrowed (`(dir: string) => …` over `(string | undefined)[]`)
 * is accepted as before. The lane accepts a callback that may return a plain value or
 * `undefined` (`(p) => p.hook?.(ctx)`): it awaits whatever the callback returns.
 */
export function boundFanOut(ctx: FileContext, callback: ts.Expression, limit: number): QuickFix {
  // A function reference gets the element only: the lane call passes what the lambda names.
  const lambda =
    ts.isArrowFunction(callback) || ts.isFunctionExpression(callback) ? callback : undefined;
  const arity = lambda ? lambda.parameters.length : 1;
  // The callback's own parameter names where it has plain ones: a type error the code already
  // had reads the same after the fix (and the diff is easier to read).
  const names = ['item', 'index', 'array'].slice(0, Math.max(1, Math.min(3, arity))).map((n, i) => {
    const p = lambda?.parameters[i]?.name;
    return p && ts.isIdentifier(p) && p.text !== LANE_NAME ? p.text : n;
  });
  const fresh = names.map((n, i) =>
    ctx.moduleNames.has(n) && !lambda?.parameters[i] ? `${n}_` : n,
  );
  const args = fresh.join(', ');
  const params = fresh
    .map((n, i) => {
      const p = lambda?.parameters[i];
      if (!p || p.dotDotDotToken) return n;
      const type = p.type ? `: ${p.type.getText(ctx.sf)}` : '';
      return `${n}${p.questionToken && !p.initializer ? '?' : ''}${type}`;
    })
    .join(', ');
  const header = ctx.moduleNames.has(LANE_NAME)
    ? []
    : [
        '',
        `/** Bounded fan-out lane: at most ${limit} calls in flight, the rest wait in its queue. */`,
        `const ${LANE_NAME} = ${foxName(ctx)}(`,
        `  { mode: 'mfox', lane: 'fan-out', bulkhead: { limit: ${limit}, queue: 10_000 } },`,
        `  async function ${LANE_NAME}<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {`,
        '    return await fn(...args);',
        '  },',
        ');',
      ];
  const edits = [
    insert(ctx, callback.getStart(ctx.sf), `(${params}) => ${LANE_NAME}(`),
    insert(ctx, callback.getEnd(), `, ${args})`),
  ];
  return {
    title: `Bound the fan-out: run at most ${limit} at a time in an mfox lane`,
    path: ctx.path,
    edits: withImport(ctx, edits, header),
  };
}

/** Applies LSP edits to a text (edits sorted by position; same-position inserts keep their order). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }): number =>
    Math.min((lineStarts[p.line] ?? text.length) + p.character, text.length);
  const sorted = edits
    .map((e, i) => ({ e, i, start: offset(e.range.start), end: offset(e.range.end) }))
    .sort((a, b) => a.start - b.start || a.i - b.i);
  let out = '';
  let at = 0;
  for (const { e, start, end } of sorted) {
    if (start < at) throw new Error('overlapping edits');
    out += text.slice(at, start) + e.newText;
    at = end;
  }
  return out + text.slice(at);
}
