import { formatTaskId, parseTaskId } from '@fox/sdk/task-id';
import { ts } from 'ts-morph';
import type { FileContext } from './file-context.js';
import { addHandlerUnits } from './handler-units.js';
import type { HandlerRole, TaskDeclaration } from './types.js';

export type FunctionNode =
  ts.FunctionDeclaration | ts.MethodDeclaration | ts.ArrowFunction | ts.FunctionExpression;

/** A function the analyser treats as one unit of work (a task or a task-to-be). */
export interface FunctionUnit {
  node: FunctionNode;
  /**
   * `name`, `Class.method` or `default`: the part of the id after `#`; for an inline handler
   * its registration (`POST /users`, `process.on:SIGTERM`), see `collectUnits`.
   */
  name: string;
  id: string;
  /** Node a finding about the whole function points at (its name when it has one). */
  anchor: ts.Node;
  exported: boolean;
  /** The class the method belongs to. */
  classNode?: ts.ClassLikeDeclaration;
  /** The variable declaration whose initializer is the function (or the fox call around it). */
  variable?: ts.VariableDeclaration;
  /** `export default <function>` / `export default fox(…)`. */
  exportDefault?: ts.Node;
  task?: TaskDeclaration;
  /** The `fox(...)` call or the `@fox(...)` decorator call. */
  taskCall?: ts.CallExpression;
  /** The route, listener or job the function is registered as, when it is one. */
  handler?: HandlerRole;
}

/** Does the node carry the modifier (`export`, `default`, `async`…)? */
function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** Is the function declared `async`? */
export function isAsyncFunction(node: ts.Node): boolean {
  return hasModifier(node, ts.SyntaxKind.AsyncKeyword);
}

export function isFunctionExpressionLike(
  node: ts.Node,
): node is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

/** Strips parentheses, `as`, `satisfies` and `!` around an expression. */
export function unwrapExpression(node: ts.Expression): ts.Expression {
  let e = node;
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** Reads the options literal of a `fox(opts, fn)` call or `@fox(opts)` decorator. */
export function readTaskOptions(
  ctx: FileContext,
  call: ts.CallExpression,
  via: 'decorator' | 'wrap',
): { task: TaskDeclaration; explicitId?: string } {
  const first = call.arguments[0] ? unwrapExpression(call.arguments[0]) : undefined;
  const task: TaskDeclaration = { via, options: [] };
  let explicitId: string | undefined;
  if (first && ts.isObjectLiteralExpression(first)) {
    task.optionsNode = first;
    for (const p of first.properties) {
      const key =
        p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (!key) continue;
      task.options.push(key);
      if (ts.isPropertyAssignment(p) && ts.isStringLiteralLike(p.initializer)) {
        if (key === 'mode') {
          task.mode = p.initializer.text;
          task.modeNode = p.initializer;
        }
        if (key === 'id') explicitId = p.initializer.text;
      }
    }
  }
  void ctx;
  return explicitId === undefined ? { task } : { task, explicitId };
}

/** Is `call` a call of the sdk's `fox` (by its local name in this file)? */
export function isFoxCall(ctx: FileContext, node: ts.Node): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    (ctx.foxImport.localNames.size === 0
      ? node.expression.text === 'fox'
      : ctx.foxImport.localNames.has(node.expression.text))
  );
}

/**
 * Collects the units of a file: top-level functions, functions assigned to top-level variables,
 * class methods (and arrow-function properties), `export default` functions, the function
 * argument of every `fox(opts, fn)` call, and every function registered as a handler (routes,
 * listeners, job processors: see `handler-registrations.ts`).
 *
 * Ids are `<file relative to the nearest package.json>#<name>`:
 * - wherever the sdk's task-id rule applies (see `sdk/src/task/task-id.ts`), its id, or the id
 *   the function will have once it is a task: `name`, `Class.method`, `default`, or the `id`
 *   option. A named function keeps that id when it is also a handler (`app.get('/x', list)`,
 *   a Nest `@Get()` method, `app.get('/x', function list() {…})`); its role is in `handler`.
 * - a handler written inline without a name is named by its registration, from the code's own
 *   literals, so that it keeps its id when lines above it change: `GET /users/:id` (method and
 *   path; `USE /api`, `USE` for middleware; `GET,POST /x` for several methods),
 *   `process.on:SIGTERM` / `socket.once:message` (receiver, method, event), `Worker:emails` and
 *   `emailQueue.process:send` (queue jobs), `http.createServer`. A path or event that is not a
 *   literal is quoted from the source when short (`GET paths.users`); only when nothing names
 *   the registration does the id fall back to its line: `emitter.on@L42`.
 * - a name already taken in the file gets ` (2)`, ` (3)`, … in source order (two middlewares
 *   of one route, one event listened to twice): deterministic, and stable unless a handler of
 *   the same name is added or removed before it.
 */
export function collectUnits(ctx: FileContext): FunctionUnit[] {
  const units: FunctionUnit[] = [];
  const seen = new Set<ts.Node>();
  const exportedNames = new Set<string>();
  for (const stmt of ctx.sf.statements) {
    if (ts.isExportDeclaration(stmt) && !stmt.moduleSpecifier && stmt.exportClause) {
      if (ts.isNamedExports(stmt.exportClause)) {
        for (const el of stmt.exportClause.elements)
          exportedNames.add((el.propertyName ?? el.name).text);
      }
    }
    if (ts.isExportAssignment(stmt) && !stmt.isExportEquals && ts.isIdentifier(stmt.expression)) {
      exportedNames.add(stmt.expression.text);
    }
  }
  const add = (unit: Omit<FunctionUnit, 'id'>, explicitId?: string): void => {
    if (seen.has(unit.node)) return;
    seen.add(unit.node);
    units.push({ ...unit, id: explicitId ?? formatTaskId(ctx.file, unit.name) });
  };
  /** Function declarations referenced by `fox(opts, name)`: name → the call. */
  const wrappedByName = new Map<string, { call: ts.CallExpression; binding?: string }>();

  const fromFoxCall = (
    call: ts.CallExpression,
    binding: string | undefined,
    extra: Partial<FunctionUnit>,
  ): void => {
    const fnArg = call.arguments[1] ? unwrapExpression(call.arguments[1]) : undefined;
    const { task, explicitId } = readTaskOptions(ctx, call, 'wrap');
    if (fnArg && ts.isIdentifier(fnArg)) {
      wrappedByName.set(fnArg.text, binding === undefined ? { call } : { call, binding });
      return;
    }
    if (!fnArg || !isFunctionExpressionLike(fnArg)) return;
    const own = ts.isFunctionExpression(fnArg) ? fnArg.name?.text : undefined;
    // With neither a name nor an `id` the sdk cannot name it either.
    const name = binding ?? own ?? (explicitId && (parseTaskId(explicitId)?.name ?? explicitId));
    if (name === undefined) return;
    add(
      {
        node: fnArg,
        name,
        anchor: extra.variable?.name ?? fnArg,
        exported: extra.exported ?? false,
        task,
        taskCall: call,
        ...extra,
      },
      explicitId,
    );
  };

  const visitClass = (cls: ts.ClassLikeDeclaration, exported: boolean): void => {
    const className = cls.name?.text;
    if (!className) return;
    for (const member of cls.members) {
      const memberName =
        member.name && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name))
          ? member.name.text
          : member.name && ts.isStringLiteral(member.name)
            ? member.name.text
            : undefined;
      if (!memberName) continue;
      if (ts.isMethodDeclaration(member) && member.body) {
        const deco = (ts.getDecorators(member) ?? []).find(
          (d) => ts.isCallExpression(d.expression) && isFoxCall(ctx, d.expression),
        );
        const call = deco?.expression as ts.CallExpression | undefined;
        const read = call ? readTaskOptions(ctx, call, 'decorator') : undefined;
        add(
          {
            node: member,
            name: `${className}.${memberName}`,
            anchor: member.name,
            exported,
            classNode: cls,
            ...(read ? { task: read.task, taskCall: call } : {}),
          },
          read?.explicitId,
        );
      } else if (
        ts.isPropertyDeclaration(member) &&
        member.initializer &&
        isFunctionExpressionLike(unwrapExpression(member.initializer))
      ) {
        add({
          node: unwrapExpression(member.initializer) as ts.ArrowFunction,
          name: `${className}.${memberName}`,
          anchor: member.name,
          exported,
          classNode: cls,
        });
      }
    }
  };

  const visitStatements = (statements: ts.NodeArray<ts.Statement>): void => {
    for (const stmt of statements) {
      const exported = hasModifier(stmt, ts.SyntaxKind.ExportKeyword);
      const isDefault = hasModifier(stmt, ts.SyntaxKind.DefaultKeyword);
      if (ts.isFunctionDeclaration(stmt) && stmt.body) {
        // The id-to-be is the id the function gets once the quick fix wraps it:
        // `export default function f` becomes `export default fox(…)`, named `default`.
        const name = isDefault ? 'default' : stmt.name?.text;
        if (name === undefined) continue;
        add({
          node: stmt,
          name,
          anchor: stmt.name ?? stmt,
          exported: exported || exportedNames.has(name),
          ...(isDefault ? { exportDefault: stmt } : {}),
        });
      } else if (ts.isClassDeclaration(stmt)) {
        visitClass(
          stmt,
          exported || (stmt.name !== undefined && exportedNames.has(stmt.name.text)),
        );
      } else if (ts.isVariableStatement(stmt)) {
        for (const decl of stmt.declarationList.declarations) {
          if (!ts.isIdentifier(decl.name) || !decl.initializer) continue;
          const init = unwrapExpression(decl.initializer);
          const varExported = exported || exportedNames.has(decl.name.text);
          if (isFoxCall(ctx, init)) {
            fromFoxCall(init, decl.name.text, { variable: decl, exported: varExported });
          } else if (isFunctionExpressionLike(init)) {
            add({
              node: init,
              name: decl.name.text,
              anchor: decl.name,
              exported: varExported,
              variable: decl,
            });
          } else if (ts.isClassExpression(init)) {
            visitClass(init, varExported);
          }
        }
      } else if (ts.isExportAssignment(stmt) && !stmt.isExportEquals) {
        const expr = unwrapExpression(stmt.expression);
        if (isFoxCall(ctx, expr))
          fromFoxCall(expr, 'default', { exported: true, exportDefault: stmt });
        else if (isFunctionExpressionLike(expr)) {
          add({ node: expr, name: 'default', anchor: stmt, exported: true, exportDefault: stmt });
        }
      } else if (ts.isModuleDeclaration(stmt) && stmt.body && ts.isModuleBlock(stmt.body)) {
        visitStatements(stmt.body.statements);
      }
    }
  };
  visitStatements(ctx.sf.statements);

  // fox(...) calls anywhere else (inside functions, assignments, arguments).
  for (const node of ctx.callLikes()) {
    if (isFoxCall(ctx, node)) {
      const parent = node.parent;
      let binding: string | undefined;
      if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
        binding = parent.name.text;
      else if (
        ts.isBinaryExpression(parent) &&
        parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        parent.right === node
      ) {
        const left = parent.left;
        if (ts.isIdentifier(left)) binding = left.text;
        else if (ts.isPropertyAccessExpression(left)) binding = left.name.text;
      }
      const fn = node.arguments[1] ? unwrapExpression(node.arguments[1]) : undefined;
      if (fn && !seen.has(fn)) {
        fromFoxCall(node, binding, ts.isVariableDeclaration(parent) ? { variable: parent } : {});
      }
    }
  }

  // `fox(opts, name)` wrapping a function declared elsewhere in the file.
  for (const unit of units) {
    if (!ts.isFunctionDeclaration(unit.node) || !unit.node.name) continue;
    const wrap = wrappedByName.get(unit.node.name.text);
    if (!wrap) continue;
    const { task, explicitId } = readTaskOptions(ctx, wrap.call, 'wrap');
    unit.task = task;
    unit.taskCall = wrap.call;
    unit.name = wrap.binding ?? unit.name;
    unit.id = explicitId ?? formatTaskId(ctx.file, unit.name);
  }
  addHandlerUnits(ctx, units);
  return units;
}
