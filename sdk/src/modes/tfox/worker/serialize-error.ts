import type { SerializedError } from '../revive-error.js';

/**
 * An error thrown in a worker as data the parent re-creates (`reviveError`): name, message, the
 * worker's stack, own enumerable fields that clone, `fox` for Fox's errors (the brand), the
 * nearest built-in class, and `cause` (and an AggregateError's `errors`) the same way.
 */

/** `Symbol.for` key of Fox's error brand (`FOX_ERROR_BRAND`; not imported: this runs in the worker bundle). */
const FOX_ERROR = Symbol.for('fox.error');
const BUILTIN_ERRORS = new Set([
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'AggregateError',
  'DOMException',
]);
/** Deeper causes are not sent; the bound also ends cyclic chains. */
const MAX_ERROR_DEPTH = 8;
const MAX_AGGREGATED = 32;

function isError(v: unknown): v is Error {
  return v instanceof Error || Object.prototype.toString.call(v) === '[object Error]';
}

/**
 * The nearest built-in class in the error's prototype chain, so the parent re-creates it as that
 * class (a user's class extending TypeError is still instanceof TypeError there).
 */
function builtinOf(err: Error): string | undefined {
  for (let p = Object.getPrototypeOf(err) as object | null; p; p = Object.getPrototypeOf(p)) {
    const c = Object.prototype.hasOwnProperty.call(p, 'constructor')
      ? (p as { constructor: unknown }).constructor
      : undefined;
    if (
      typeof c === 'function' &&
      BUILTIN_ERRORS.has(c.name) &&
      (globalThis as Record<string, unknown>)[c.name] === c
    )
      return c.name;
  }
  return undefined;
}

/** A thrown value as data; a non-error as `{ value }` (its string when it cannot be cloned). */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (isError(err)) {
    const props: Record<string, unknown> = {};
    for (const k of Object.keys(err)) {
      if (k === 'cause') continue;
      try {
        props[k] = structuredClone((err as unknown as Record<string, unknown>)[k]);
      } catch {
        // Not cloneable: dropped.
      }
    }
    const out: SerializedError = { name: err.name, message: err.message, stack: err.stack, props };
    if ((err as unknown as Record<symbol, unknown>)[FOX_ERROR] === true) out.fox = true;
    const builtin = builtinOf(err);
    if (builtin) out.builtin = builtin;
    if (depth < MAX_ERROR_DEPTH) {
      if ('cause' in err) out.cause = serializeError(err.cause, depth + 1);
      const errors = (err as { errors?: unknown }).errors;
      if (builtin === 'AggregateError' && Array.isArray(errors))
        out.errors = errors.slice(0, MAX_AGGREGATED).map((e) => serializeError(e, depth + 1));
    }
    return out;
  }
  try {
    return { value: structuredClone(err) };
  } catch {
    return { value: String(err) };
  }
}
