import { existsSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';

/**
 * Task ids are shared by the sdk, the analyser and the profiler, so the rule is exact:
 *
 *   `<path of the original source file relative to the project root, '/' separators>#<name>`
 *
 * - the project root is the nearest ancestor folder of the source file holding a
 *   `package.json` (or `fox.configure({ root })` / `FOX_PROJECT_ROOT` when set);
 * - `<name>` is, for `const x = fox(opts, fn)`, the variable `x` (`default` for
 *   `export default fox(…)`), else the function's own name; for a decorated method,
 *   `Class.method` (static methods too);
 * - the `id` option replaces the whole id.
 */

const rootCache = new Map<string, string>();

/** Nearest ancestor of `file` with a package.json; the file's folder when there is none. */
export function projectRootOf(file: string): string {
  const start = dirname(file);
  let dir = start;
  const visited: string[] = [];
  while (true) {
    const cached = rootCache.get(dir);
    if (cached !== undefined) return remember(visited, cached);
    visited.push(dir);
    if (existsSync(`${dir}${sep}package.json`)) return remember(visited, dir);
    const parent = dirname(dir);
    if (parent === dir) return remember(visited, start);
    dir = parent;
  }
}

function remember(dirs: string[], root: string): string {
  for (const d of dirs) rootCache.set(d, root);
  return root;
}

/** `file` relative to `root` with forward slashes. */
export function relativeSourcePath(file: string, root: string): string {
  const rel = relative(root, file);
  return (rel === '' ? file : rel).split(sep).join('/');
}

/** Offset in `source` of a 1-based line and column. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = source.indexOf('\n', offset);
    if (next < 0) return source.length;
    offset = next + 1;
  }
  return Math.min(offset + column - 1, source.length);
}

const IDENT = '[A-Za-z_$][\\w$]*';
/** `const x = ` / `let x: T = ` right before the call (the annotation may not hold `=` or `;`). */
const DECLARATION = new RegExp(
  `^(?:const|let|var)\\s+(${IDENT})\\s*(?::[^=;]*)?=\\s*(?:await\\s+)?$`,
);
/** `x = ` / `obj.x = ` / `x: ` (object property) on the same line, right before the call. */
const ASSIGNMENT = new RegExp(`(?:^|[\\s;{},.(])(${IDENT})\\s*[=:]\\s*(?:await\\s+)?$`);
const DEFAULT_EXPORT = /\bexport\s+default\s+$/;

/**
 * The binding a `fox(...)` call at `offset` is assigned to: `x` in `const x = fox(…)`,
 * `x = fox(…)` or `{ x: fox(…) }`, `default` in `export default fox(…)`; undefined otherwise.
 */
export function bindingNameAt(source: string, offset: number): string | undefined {
  const before = stripComments(source.slice(Math.max(0, offset - 400), offset));
  if (DEFAULT_EXPORT.test(before)) return 'default';
  // From the last declaration keyword: an earlier `let a: T` (no semicolon) must not match.
  let last = -1;
  for (const m of before.matchAll(/\b(?:const|let|var)\s/g)) last = m.index;
  const declared = last >= 0 ? DECLARATION.exec(before.slice(last)) : null;
  if (declared) return declared[1];
  const line = before.slice(before.lastIndexOf('\n') + 1);
  return ASSIGNMENT.exec(line)?.[1];
}

/** Replaces comments with spaces (keeping offsets), so their words never look like code. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
}

/**
 * Name of the innermost class whose body contains `offset`. A small scanner that skips
 * strings, template literals and comments and tracks braces: enough to find `class X … {`
 * around a decorator without a parser at run time.
 */
export function enclosingClassAt(source: string, offset: number): string | undefined {
  // Each open brace: the class it opens (or null), or 'tpl' for a template `${`.
  const braces: (string | null | 'tpl')[] = [];
  let pendingClass: string | null = null;
  let inTemplate = false;
  const n = Math.min(offset, source.length);
  let i = 0;
  while (i < n) {
    const c = source[i]!;
    if (inTemplate) {
      if (c === '\\') i += 2;
      else if (c === '`') {
        inTemplate = false;
        i++;
      } else if (c === '$' && source[i + 1] === '{') {
        braces.push('tpl');
        inTemplate = false;
        i += 2;
      } else i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '`') {
      inTemplate = true;
      i++;
    } else if (c === '{') {
      braces.push(pendingClass);
      pendingClass = null;
      i++;
    } else if (c === '}') {
      const top = braces.pop();
      if (top === 'tpl') inTemplate = true;
      i++;
    } else if (c === 'c' && source.startsWith('class', i) && !isIdentChar(source[i - 1])) {
      const m = /^class\s+([A-Za-z_$][\w$]*)/.exec(source.slice(i, i + 200));
      if (m) {
        pendingClass = m[1]!;
        i += m[0].length;
      } else i += 5;
    } else i++;
  }
  for (let k = braces.length - 1; k >= 0; k--) {
    const b = braces[k];
    if (b !== null && b !== 'tpl' && b !== undefined) return b;
  }
  return undefined;
}

function isIdentChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\w$]/.test(ch);
}
