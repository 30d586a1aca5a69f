/** The function a call runs and the `this` it is called with. */
export interface FoundFunction {
  readonly fn: (...args: unknown[]) => unknown;
  readonly self: unknown;
}

type Scope = Record<string, unknown>;

/**
 * Finds a task's function in its module's namespace. `registered` is the function the worker's
 * copy of fox recorded for the task's decoration (by location key): it is looked for among the
 * exports and their members (a method's `this` is its object). Without one, `names` is the
 * export path (`['Cls', 'method']`), looked up in the namespace and then in its default export.
 */
export function findExport(
  ns: Scope,
  registered: unknown,
  names: readonly string[],
): FoundFunction | undefined {
  const scopes: Scope[] = [ns];
  const dflt = ns['default'];
  if (dflt && (typeof dflt === 'object' || typeof dflt === 'function')) scopes.push(dflt as Scope);
  if (registered) {
    for (const scope of scopes) {
      for (const key of Object.keys(scope)) {
        let v: unknown;
        try {
          v = scope[key];
        } catch {
          continue;
        }
        if (v === registered) return { fn: registered as FoundFunction['fn'], self: undefined };
        if (v && (typeof v === 'function' || typeof v === 'object')) {
          for (const m of Object.getOwnPropertyNames(v)) {
            let mv: unknown;
            try {
              mv = (v as Scope)[m];
            } catch {
              continue;
            }
            if (mv === registered) return { fn: registered as FoundFunction['fn'], self: v };
          }
        }
      }
    }
    return undefined;
  }
  for (const scope of scopes) {
    let self: unknown;
    let v: unknown = scope;
    for (const n of names) {
      if (v === null || v === undefined) break;
      self = v;
      v = (v as Scope)[n];
    }
    if (typeof v === 'function')
      return { fn: v as FoundFunction['fn'], self: names.length > 1 ? self : undefined };
  }
  return undefined;
}

/** The export names of a namespace, for an error message. */
export function describeExports(ns: Scope): string {
  const keys = Object.keys(ns);
  return keys.length ? keys.join(', ') : 'none';
}
