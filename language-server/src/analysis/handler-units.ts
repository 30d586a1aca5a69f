import { formatTaskId } from '@fox/sdk/task-id';
import { ts } from 'ts-morph';
import { resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { findHandlerRegistrations, type HandlerRegistration } from './handler-registrations.js';
import type { HandlerRole } from './types.js';
import {
  isFoxCall,
  readTaskOptions,
  unwrapExpression,
  type FunctionNode,
  type FunctionUnit,
} from './units.js';

/** Nest's HTTP method decorators and the verb each stands for. */
const NEST_ROUTES = new Map([
  ['Get', 'GET'],
  ['Post', 'POST'],
  ['Put', 'PUT'],
  ['Patch', 'PATCH'],
  ['Delete', 'DELETE'],
  ['All', 'ALL'],
  ['Head', 'HEAD'],
  ['Options', 'OPTIONS'],
]);

/** Nest's listener and job decorators: the role and the label prefix of each. */
const NEST_LISTENERS = new Map<string, [HandlerRole['kind'], string]>([
  ['OnEvent', ['event', 'on']],
  ['MessagePattern', ['event', 'MessagePattern']],
  ['EventPattern', ['event', 'EventPattern']],
  ['Process', ['job', 'process']],
]);

function isInlineFunction(n: ts.Node): n is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(n) || ts.isFunctionExpression(n);
}

/** The function a handler argument holds, and the `fox(…)` call around it when there is one. */
function functionOf(
  ctx: FileContext,
  handler: ts.Node,
): { fn: FunctionNode; taskCall?: ts.CallExpression } | undefined {
  if (isInlineFunction(handler) || ts.isMethodDeclaration(handler)) return { fn: handler };
  if (isFoxCall(ctx, handler)) {
    const inner = handler.arguments[1] ? unwrapExpression(handler.arguments[1]) : undefined;
    if (inner && isInlineFunction(inner)) return { fn: inner, taskCall: handler };
  }
  return undefined;
}

/** The unit a handler given by name (`app.get('/x', listUsers)`) refers to, in this file. */
function unitByName(
  ctx: FileContext,
  id: ts.Identifier,
  units: readonly FunctionUnit[],
): FunctionUnit | undefined {
  const b = resolveBinding(ctx, id);
  if (b.kind !== 'local') return undefined;
  return units.find((u) => u.node === b.declaration || u.variable === b.declaration);
}

/** Where a finding about a whole inline handler points: a small node, never its whole body. */
function anchorOf(reg: HandlerRegistration, fn: FunctionNode, inlineCount: number): ts.Node {
  if (inlineCount === 1 && reg.labelNode) return reg.labelNode;
  if (ts.isArrowFunction(fn)) return fn.equalsGreaterThanToken;
  return fn.name ?? fn;
}

/** 1-based line of a node, for ids of registrations that name nothing stable. */
function lineOf(ctx: FileContext, node: ts.Node): number {
  return ctx.sf.getLineAndCharacterOfPosition(node.getStart(ctx.sf)).line + 1;
}

/**
 * Makes every function registered as a handler a unit, and marks units that already are ones
 * with their role. See `collectUnits` for the id scheme. `units` (today's units, with their ids)
 * is extended in place; new units come in source order, their ids de-duplicated against every
 * id in the file.
 */
export function addHandlerUnits(ctx: FileContext, units: FunctionUnit[]): void {
  const byNode = new Map<ts.Node, FunctionUnit>(units.map((u) => [u.node, u]));
  const fresh: FunctionUnit[] = [];
  for (const reg of findHandlerRegistrations(ctx)) {
    const label = reg.label ?? `${reg.base}@L${lineOf(ctx, reg.call)}`;
    const role = (inline: boolean): HandlerRole => ({ kind: reg.kind, label, inline });
    const inlineCount = reg.handlers.filter((h) => !ts.isIdentifier(h)).length;
    for (const handler of reg.handlers) {
      if (ts.isIdentifier(handler)) {
        const named = unitByName(ctx, handler, units);
        if (named) named.handler ??= role(false);
        continue;
      }
      const found = functionOf(ctx, handler);
      if (!found) continue;
      const existing = byNode.get(found.fn);
      if (existing) {
        existing.handler ??= role(true);
        continue;
      }
      // A named function expression keeps the id the task rule would give it once wrapped.
      const own = ts.isFunctionExpression(found.fn) ? found.fn.name?.text : undefined;
      const task = found.taskCall ? readTaskOptions(ctx, found.taskCall, 'wrap').task : undefined;
      const unit: FunctionUnit = {
        node: found.fn,
        name: own ?? label,
        id: '',
        anchor: anchorOf(reg, found.fn, inlineCount),
        exported: false,
        handler: role(true),
        ...(task && found.taskCall ? { task, taskCall: found.taskCall } : {}),
      };
      byNode.set(found.fn, unit);
      fresh.push(unit);
    }
  }
  assignIds(ctx, units, fresh);
  units.push(...fresh);
  for (const u of units) {
    if (!u.handler && u.classNode && ts.isMethodDeclaration(u.node)) {
      const role = nestRole(ctx, u.classNode, u.node);
      if (role) u.handler = role;
    }
  }
}

/**
 * `<file>#<name>`, and for a name already taken in the file `<file>#<name> (2)`, `(3)`, … in
 * source order: the n-th registration of the same route keeps its id whatever changes around it.
 */
function assignIds(
  ctx: FileContext,
  existing: readonly FunctionUnit[],
  fresh: FunctionUnit[],
): void {
  const taken = new Set(existing.map((u) => u.id));
  fresh.sort((a, b) => a.node.getStart(ctx.sf) - b.node.getStart(ctx.sf));
  for (const u of fresh) {
    const base = u.name;
    let name = base;
    for (let n = 2; taken.has(formatTaskId(ctx.file, name)); n++) name = `${base} (${n})`;
    u.name = name;
    u.id = formatTaskId(ctx.file, name);
    taken.add(u.id);
  }
}

/** Text of a decorator's first argument: a string, the `path` of an options object, or ''. */
function decoratorPath(call: ts.CallExpression): string | undefined {
  const arg = call.arguments[0] ? unwrapExpression(call.arguments[0]) : undefined;
  if (!arg) return '';
  if (ts.isStringLiteralLike(arg)) return arg.text;
  if (ts.isArrayLiteralExpression(arg)) {
    const parts = arg.elements.map((e) => (ts.isStringLiteralLike(e) ? e.text : undefined));
    return parts.every((p) => p !== undefined) ? parts.join(',') : undefined;
  }
  if (ts.isObjectLiteralExpression(arg)) {
    for (const p of arg.properties) {
      if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'path')
        return ts.isStringLiteralLike(p.initializer) ? p.initializer.text : undefined;
    }
    return '';
  }
  return undefined;
}

/** The decorator calls of a node by their callee's name. */
function decoratorCalls(node: ts.HasDecorators): Map<string, ts.CallExpression> {
  const out = new Map<string, ts.CallExpression>();
  for (const d of ts.getDecorators(node) ?? []) {
    const e = d.expression;
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) out.set(e.expression.text, e);
  }
  return out;
}

const isNestImport = (ctx: FileContext, call: ts.CallExpression): boolean => {
  const b = ts.isIdentifier(call.expression) ? resolveBinding(ctx, call.expression) : undefined;
  return b?.kind === 'module' && b.module.startsWith('@nestjs/');
};

/** `/users/:id` from a controller prefix and a method path, either possibly empty. */
function joinPaths(prefix: string, path: string): string {
  const parts = [prefix, path].map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '');
  return `/${parts.join('/')}`;
}

/**
 * The role of a NestJS method: `@Get(':id')` in `@Controller('users')` is `GET /users/:id`;
 * `@OnEvent('order.created')` is `on:order.created`. The method keeps its `Class.method` id.
 */
function nestRole(
  ctx: FileContext,
  cls: ts.ClassLikeDeclaration,
  method: ts.MethodDeclaration,
): HandlerRole | undefined {
  const own = decoratorCalls(method);
  const controller = decoratorCalls(cls).get('Controller');
  for (const [name, call] of own) {
    const verb = NEST_ROUTES.get(name);
    if (verb && (controller || isNestImport(ctx, call))) {
      const prefix = controller ? decoratorPath(controller) : '';
      const path = decoratorPath(call);
      if (prefix === undefined || path === undefined) return undefined;
      return { kind: 'route', label: `${verb} ${joinPaths(prefix, path)}`, inline: false };
    }
    const listener = NEST_LISTENERS.get(name);
    if (listener && isNestImport(ctx, call)) {
      const what = decoratorPath(call);
      const label = what ? `${listener[1]}:${what}` : listener[1];
      return { kind: listener[0], label, inline: false };
    }
  }
  return undefined;
}
