import { createHash } from 'node:crypto';

/**
 * Why `value` would not come back the same from JSON (a path and a reason), or undefined when it
 * would. Stricter than `JSON.stringify`, which silently turns NaN into null, drops functions and
 * undefined members, and makes strings of Dates: a resumed run would then hand its dependants a
 * different value than the first run did. `undefined` at the top is allowed (a node that returns
 * nothing) and recorded as such.
 */
export function jsonProblem(value: unknown, path = '$', depth = 0): string | undefined {
  if (depth > 200) return `${path} is nested too deeply`;
  if (value === undefined && depth === 0) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}`;
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) return `${path}[${i}] is undefined`;
          const p = jsonProblem(value[i], `${path}[${i}]`, depth + 1);
          if (p) return p;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        return `${path} is a ${name}, not a plain object`;
      }
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue; // dropped by JSON, and absent reads as undefined again
        const p = jsonProblem(v, `${path}.${k}`, depth + 1);
        if (p) return p;
      }
      return undefined;
    }
    default:
      return `${path} is a ${typeof value}`;
  }
}

/** JSON for a value that passed {@link jsonProblem}; `undefined` is recorded as `null` + flag. */
export function toDurableJson(value: unknown): string {
  return value === undefined ? '{"u":1}' : `{"v":${JSON.stringify(value)}}`;
}

export function fromDurableJson(text: string): unknown {
  const parsed = JSON.parse(text) as { v?: unknown };
  return 'v' in parsed ? parsed.v : undefined;
}

/** SHA-256 of the input's JSON with object keys sorted, so key order does not change it. */
export function inputHash(input: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(input === undefined ? null : input, sortedKeys))
    .digest('hex');
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, (value as Record<string, unknown>)[k]]),
  );
}
