/**
 * Whether a value survives `JSON.stringify` → `JSON.parse` unchanged in meaning. Jobs live in
 * Redis as JSON, so anything that would silently change on the way (a Date becoming a string,
 * a Map becoming `{}`, NaN becoming null, an undefined array slot becoming null) is refused at
 * the call rather than discovered in the worker.
 */

/** The first value that does not survive JSON: where it is and why. */
export interface JsonProblem {
  /** `.a[2].b` relative to the checked value. */
  path: string;
  why: string;
}

const MAX_DEPTH = 200;

/** Undefined when `value` round-trips through JSON; otherwise the first problem found. */
export function findJsonProblem(value: unknown): JsonProblem | undefined {
  return walk(value, '', new Set(), 0);
}

function walk(v: unknown, path: string, seen: Set<object>, depth: number): JsonProblem | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(v) ? undefined : { path, why: `is ${v}, which JSON turns into null` };
    case 'undefined':
      return { path, why: 'is undefined, which JSON drops or turns into null' };
    case 'bigint':
      return { path, why: 'is a BigInt, which JSON cannot encode' };
    case 'function':
      return { path, why: 'is a function' };
    case 'symbol':
      return { path, why: 'is a symbol' };
    case 'object':
      break;
  }
  if (v === null) return undefined;
  const obj = v as object;
  if (depth > MAX_DEPTH) return { path, why: `nests deeper than ${MAX_DEPTH} levels` };
  if (seen.has(obj)) return { path, why: 'is a cycle (it contains itself)' };
  if (Array.isArray(obj)) {
    seen.add(obj);
    for (let i = 0; i < obj.length; i++) {
      // A hole or undefined slot would arrive as null.
      const p = walk(obj[i], `${path}[${i}]`, seen, depth + 1);
      if (p) return p;
    }
    seen.delete(obj);
    return undefined;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return { path, why: `is a ${name}, which JSON turns into a plain object or string` };
  }
  seen.add(obj);
  for (const key of Object.keys(obj)) {
    const child = (obj as Record<string, unknown>)[key];
    // An undefined property is dropped by JSON, which reads back the same.
    if (child === undefined) continue;
    const p = walk(child, `${path}.${key}`, seen, depth + 1);
    if (p) return p;
  }
  seen.delete(obj);
  return undefined;
}
