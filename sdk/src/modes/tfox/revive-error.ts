import { isFoxErrorCode } from '../../errors/errors.js';
import { blankFoxError } from '../../errors/registry.js';

/**
 * An error as a worker sends it (see worker/serialize-error.ts), or `{ value }` for a
 * thrown value that is not an error.
 */
export interface SerializedError {
  name?: string;
  message?: string;
  /** The stack in the worker. */
  stack?: string;
  /** Own enumerable fields that could be cloned (`code`, `taskId`, a user's own). */
  props?: Record<string, unknown>;
  /** Set for Fox's errors (they carry the Fox brand in the worker). */
  fox?: true;
  /** The nearest built-in class: `TypeError`, `AggregateError`, `DOMException`, … */
  builtin?: string;
  cause?: SerializedError;
  /** An AggregateError's errors (the first 32). */
  errors?: SerializedError[];
  value?: unknown;
}

/** Deeper causes were not sent; the bound also ends cyclic chains. */
const MAX_DEPTH = 8;

const BUILTINS: Record<string, new (message?: string) => Error> = {
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/**
 * Re-creates an error a worker sent: a Fox error as the class this copy of the sdk has for its
 * code (so guards and `instanceof` hold), a built-in as its class, anything else as an Error;
 * each with the worker's name, message, stack and fields, and its `cause` re-created the same
 * way. A thrown non-error comes back as the value.
 */
export function reviveError(data: unknown, depth = 0): unknown {
  const s = data as SerializedError;
  if (s === null || typeof s !== 'object') return s;
  if ('value' in s && s.message === undefined) return s.value;
  const message = s.message ?? 'error in worker';
  const code = s.props?.['code'];
  const err =
    s.fox && isFoxErrorCode(code) ? blankFoxError(code, message) : builtin(s, message, depth);
  if (s.name !== undefined && err.name !== s.name) {
    Object.defineProperty(err, 'name', { value: s.name, configurable: true, writable: true });
  }
  if (s.stack !== undefined) err.stack = s.stack;
  if (s.props) Object.assign(err, s.props);
  if ('cause' in s && depth < MAX_DEPTH) {
    // Like `new Error(message, { cause })`: an own, non-enumerable field.
    Object.defineProperty(err, 'cause', {
      value: reviveError(s.cause, depth + 1),
      configurable: true,
      writable: true,
    });
  }
  return err;
}

function builtin(s: SerializedError, message: string, depth: number): Error {
  if (s.builtin === 'AggregateError') {
    const errors = depth < MAX_DEPTH ? (s.errors ?? []).map((e) => reviveError(e, depth + 1)) : [];
    return new AggregateError(errors, message);
  }
  if (s.builtin === 'DOMException') return new DOMException(message, s.name);
  const Ctor = (s.builtin && BUILTINS[s.builtin]) || Error;
  return new Ctor(message);
}
