import { FoxValidationError, type FoxValidationIssue } from '../errors/errors.js';

/**
 * A value schema: any zod schema (v3 or v4), or any library implementing Standard Schema
 * (`~standard.validate`). Fox does not need the user's zod to be the same copy as its own.
 */
export interface ValueSchema {
  safeParse?: (value: unknown) => {
    success: boolean;
    data?: unknown;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  };
  '~standard'?: {
    validate: (value: unknown) => StandardResult | Promise<StandardResult>;
  };
}

interface StandardResult {
  value?: unknown;
  issues?: readonly { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] }[];
}

export function isValueSchema(value: unknown): value is ValueSchema {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const v = value as ValueSchema;
  return typeof v.safeParse === 'function' || typeof v['~standard']?.validate === 'function';
}

type Checked = { ok: true; value: unknown } | { ok: false; issues: FoxValidationIssue[] };

/** Validates one value; sync for zod, possibly async for other Standard Schema libraries. */
function check(
  schema: ValueSchema,
  value: unknown,
  prefix: (string | number)[],
): Checked | Promise<Checked> {
  if (schema.safeParse) {
    const r = schema.safeParse(value);
    if (r.success) return { ok: true, value: r.data };
    return {
      ok: false,
      issues: (r.error?.issues ?? []).map((i) => issue(prefix, i.path, i.message)),
    };
  }
  const result = schema['~standard']!.validate(value);
  const settle = (r: StandardResult): Checked =>
    r.issues
      ? { ok: false, issues: r.issues.map((i) => issue(prefix, i.path ?? [], i.message)) }
      : { ok: true, value: r.value };
  return result instanceof Promise ? result.then(settle) : settle(result);
}

function issue(
  prefix: (string | number)[],
  path: readonly (PropertyKey | { key: PropertyKey })[],
  message: string,
): FoxValidationIssue {
  const tail = path.map((p) => {
    const key = typeof p === 'object' && p !== null ? p.key : p;
    return typeof key === 'number' ? key : String(key);
  });
  return { path: [...prefix, ...tail], message };
}

/**
 * Checks a call's arguments. `input` is one schema (for the first argument, the common case of
 * a single parameter) or an array with one schema per argument. Resolves to the parsed
 * arguments (zod transforms and defaults apply) or rejects with FoxValidationError.
 */
export function makeInputCheck(
  taskId: string,
  input: ValueSchema | readonly (ValueSchema | undefined)[],
): (args: unknown[]) => unknown[] | Promise<unknown[]> {
  const schemas = Array.isArray(input) ? input : [input];
  return (args) => {
    const parsed = args.slice();
    const issues: FoxValidationIssue[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < schemas.length; i++) {
      const schema = schemas[i];
      if (!schema) continue;
      const apply = (r: Checked) => {
        if (r.ok) parsed[i] = r.value;
        else issues.push(...r.issues);
      };
      const r = check(schema, args[i], [i]);
      if (r instanceof Promise) pending.push(r.then(apply));
      else apply(r);
    }
    const finish = () => {
      if (issues.length > 0) throw new FoxValidationError(taskId, 'input', issues);
      return parsed;
    };
    return pending.length > 0 ? Promise.all(pending).then(finish) : finish();
  };
}

/** Checks a call's result against `output`; returns the parsed result or throws. */
export function makeOutputCheck(
  taskId: string,
  output: ValueSchema,
): (value: unknown) => unknown | Promise<unknown> {
  return (value) => {
    const r = check(output, value, []);
    const finish = (c: Checked) => {
      if (!c.ok) throw new FoxValidationError(taskId, 'output', c.issues);
      return c.value;
    };
    return r instanceof Promise ? r.then(finish) : finish(r);
  };
}
