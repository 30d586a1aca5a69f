/**
 * The codec of the cache's lower tiers (SQLite and Redis): JSON, strictly. A value is stored only
 * when JSON gives it back equal: `null`, booleans, finite numbers, strings, arrays and plain
 * objects of those. Anything JSON would silently change (a `Date` becomes a string, `undefined`
 * and functions vanish, `NaN` becomes `null`, a `Map` becomes `{}`, a class loses its prototype)
 * or cannot encode (a `bigint`, a cycle) is refused with {@link FoxCacheValueError} at the first
 * fill, so a task never reads back something other than what it returned.
 */
import { FoxError } from '../../errors/errors.js';

/** The codec's name, as stated in the docs and the cache's stats. */
export const CACHE_CODEC = 'json';

/**
 * A result cannot be stored in the cache's SQLite or Redis tier because the JSON codec would
 * not give it back unchanged. Code `FOX_DATA_CLONE`, like any value that cannot cross a
 * process boundary. `path` names where in the value the problem is (`$.items[2].at`).
 */
export class FoxCacheValueError extends FoxError {
  readonly taskId: string;
  readonly path: string;

  constructor(taskId: string, path: string, reason: string) {
    super(
      'FOX_DATA_CLONE',
      `Task ${taskId}: the result cannot be cached in the sqlite/redis tiers (JSON codec): ` +
        `${path} ${reason}. Return plain JSON data from cached tasks, or use tiers: ['memory'].`,
    );
    this.taskId = taskId;
    this.path = path;
  }
}

/** Why `value` does not survive JSON, with where; undefined when it does. */
export function jsonProblem(value: unknown): { path: string; reason: string } | undefined {
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): { path: string; reason: string } | undefined => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return undefined;
      case 'number':
        return Number.isFinite(v) ? undefined : { path, reason: `is ${v} (JSON has no ${v})` };
      case 'object': {
        if (v === null) return undefined;
        if (seen.has(v)) return { path, reason: 'is a cycle' };
        const proto = Object.getPrototypeOf(v) as unknown;
        if (Array.isArray(v)) {
          seen.add(v);
          for (let i = 0; i < v.length; i++) {
            const p = visit(v[i], `${path}[${i}]`);
            if (p) return p;
          }
          seen.delete(v);
          return undefined;
        }
        if (proto !== Object.prototype && proto !== null) {
          const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          return { path, reason: `is a ${name} (only plain objects and arrays survive JSON)` };
        }
        seen.add(v);
        for (const [k, item] of Object.entries(v)) {
          const p = visit(item, `${path}.${k}`);
          if (p) return p;
        }
        seen.delete(v);
        return undefined;
      }
      default:
        return { path, reason: `is ${typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`}` };
    }
  };
  return visit(value, '$');
}

/** Encodes a result for the lower tiers; throws {@link FoxCacheValueError} when it cannot. */
export function encodeCacheValue(taskId: string, value: unknown): string {
  const problem = jsonProblem(value);
  if (problem) throw new FoxCacheValueError(taskId, problem.path, problem.reason);
  return JSON.stringify(value);
}

/** Decodes a stored value; throws (the caller counts it as corrupt) when it is not JSON. */
export function decodeCacheValue(text: string): unknown {
  return JSON.parse(text) as unknown;
}
