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
function foxImport(ctx: FileContext): { edits: TextEdit[]; header: string[] } {
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
  return { edits: [], header: ["import { fox } from '@fox/sdk';"] };
}

/** Local name to call `fox` by once the import fix is applied. */
const foxName = (ctx: FileContext): string => ctx.foxImport.localName ?? 'fox';

function withImport(ctx: FileContext, edits: TextEdit[], extraHeader: string[] = []): TextEdit[] {
  const imp = foxImport(ctx);
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
 */
export function markAsTask(
  ctx: FileContext,
  unit: FunctionUnit,
  mode: FoxMode,
): QuickFix | undefined {
  const opts = `{ mode: '${mode}' }`;
  const title = `Run as ${mode}: ${unit.node.kind === ts.SyntaxKind.MethodDeclaration ? `add @fox(${opts})` : `wrap in fox(${opts}, …)`}`;
  const node = unit.node;
  const needsExport = mode === 'tfox' && !unit.exported;
  if (ts.isMethodDeclaration(node)) {
    const edits = [
      insert(ctx, node.getStart(ctx.sf), `@${foxName(ctx)}(${opts})\n${ctx.indentOf(node)}`),
      ...asyncEdits(ctx, node),
    ];
    return { title, path: ctx.path, edits: withImport(ctx, edits) };
  }
  if (ts.isFunctionDeclaration(node)) {
    if (node.parent !== ctx.sf || (!node.name && !unit.exportDefault)) return undefined;
    const start = functionKeywordStart(ctx, node);
    const open = unit.exportDefault
      ? `${foxName(ctx)}(${opts}, `
      : `${needsExport ? 'export ' : ''}const ${node.name?.text ?? unit.name} = ${foxName(ctx)}(${opts}, `;
    return {
      title,
      path: ctx.path,
      edits: withImport(ctx, [insert(ctx, start, open), insert(ctx, node.getEnd(), ');')]),
    };
  }
  const variable = unit.variable;
  const init =
    variable?.initializer ??
    (unit.exportDefault && ts.isExportAssignment(unit.exportDefault)
      ? unit.exportDefault.expression
      : undefined);
  if (!init) return undefined;
  const edits = [
    insert(ctx, init.getStart(ctx.sf), `${foxName(ctx)}(${opts}, `),
    insert(ctx, init.getEnd(), ')'),
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
  return { title, path: ctx.path, edits: withImport(ctx, edits) };
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
 * because `foxLane` is generic over them.
 */
export function boundFanOut(ctx: FileContext, callback: ts.Expression, limit: number): QuickFix {
  // A function reference gets the element only: the lane call passes what the lambda names.
  const arity =
    ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)
      ? callback.parameters.length
      : 1;
  const names = ['item', 'index', 'array'].slice(0, Math.max(1, Math.min(3, arity)));
  const fresh = names.map((n) => (ctx.moduleNames.has(n) ? `${n}_` : n));
  const args = fresh.join(', ');
  const header = ctx.moduleNames.has(LANE_NAME)
    ? []
    : [
        '',
        `/** Bounded fan-out lane: at most ${limit} calls in flight, the rest wait in its queue. */`,
        `const ${LANE_NAME} = ${foxName(ctx)}(`,
        `  { mode: 'mfox', lane: 'fan-out', bulkhead: { limit: ${limit}, queue: 10_000 } },`,
        `  function ${LANE_NAME}<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {`,
        '    return fn(...args);',
        '  },',
        ');',
      ];
  const edits = [
    insert(ctx, callback.getStart(ctx.sf), `(${args}) => ${LANE_NAME}(`),
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
