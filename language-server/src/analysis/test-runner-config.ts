import { ts } from 'ts-morph';

/** Which files a project's own test runner runs: globs and regular expressions over paths. */
export interface TestRunnerPatterns {
  /** Globs over paths relative to the project root (mocha `spec`, jest `testMatch`, vitest `test.include`). */
  globs: string[];
  /** RegExp sources (jest `testRegex`), matched against `/` + the relative path. */
  regexes: string[];
  /** The files they were read from, relative to the root (for messages and tests). */
  sources: string[];
}

const MOCHARC = ['.mocharc.json', '.mocharc.jsonc', '.mocharc.yml', '.mocharc.yaml'];
const MOCHARC_SCRIPT = ['.mocharc.js', '.mocharc.cjs', '.mocharc.mjs'];
const SCRIPT_EXTS = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'];
const JEST = [...SCRIPT_EXTS.map((e) => `jest.config.${e}`), 'jest.config.json'];
const VITEST = [
  ...SCRIPT_EXTS.map((e) => `vitest.config.${e}`),
  ...SCRIPT_EXTS.map((e) => `vite.config.${e}`),
];

/**
 * Reads the test-file patterns of the test runners configured at `root`: mocha (`.mocharc.*`,
 * `package.json#mocha`), jest (`jest.config.*`, `package.json#jest`) and vitest
 * (`vitest.config.*`, `vite.config.*`). Configs are read as text and never executed: JSON and
 * YAML by their keys, scripts by the string literals of their `spec` / `testMatch` /
 * `testRegex` / `test: { include }` properties, wherever those are written. A pattern built at
 * run time is not seen; the path conventions and the config's `testGlobs` still apply.
 */
export function readTestRunnerPatterns(
  root: string,
  readFile: (path: string) => string | undefined,
): TestRunnerPatterns {
  const dir = root.replace(/[\\/]+$/, '');
  const out: TestRunnerPatterns = { globs: [], regexes: [], sources: [] };
  const add = (source: string, found: { globs?: string[]; regexes?: string[] }): void => {
    const globs = (found.globs ?? []).flatMap(normaliseGlob);
    const regexes = (found.regexes ?? []).filter(isValidRegex);
    if (globs.length === 0 && regexes.length === 0) return;
    out.globs.push(...globs);
    out.regexes.push(...regexes);
    out.sources.push(source);
  };
  const pkg = readFile(`${dir}/package.json`);
  const pkgJson = pkg === undefined ? undefined : parseJsonLoose('package.json', pkg);
  if (isObject(pkgJson)) {
    const mocha = pkgJson['mocha'];
    if (isObject(mocha)) add('package.json#mocha', { globs: strings(mocha['spec']) });
    const jest = pkgJson['jest'];
    if (isObject(jest))
      add('package.json#jest', {
        globs: strings(jest['testMatch']),
        regexes: strings(jest['testRegex']),
      });
  }
  for (const name of MOCHARC) {
    const text = readFile(`${dir}/${name}`);
    if (text === undefined) continue;
    const spec = name.endsWith('json')
      ? strings(objectOr(parseJsonLoose(name, text))['spec'])
      : yamlList(text, 'spec');
    add(name, { globs: spec });
  }
  for (const name of MOCHARC_SCRIPT) {
    const text = readFile(`${dir}/${name}`);
    if (text !== undefined) add(name, { globs: scriptProperty(name, text, 'spec') });
  }
  for (const name of JEST) {
    const text = readFile(`${dir}/${name}`);
    if (text === undefined) continue;
    if (name.endsWith('.json')) {
      const json = objectOr(parseJsonLoose(name, text));
      add(name, { globs: strings(json['testMatch']), regexes: strings(json['testRegex']) });
    } else {
      add(name, {
        globs: scriptProperty(name, text, 'testMatch'),
        regexes: scriptProperty(name, text, 'testRegex'),
      });
    }
  }
  for (const name of VITEST) {
    const text = readFile(`${dir}/${name}`);
    if (text !== undefined) add(name, { globs: scriptProperty(name, text, 'include', 'test') });
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const objectOr = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/** A string or the strings of an array (other values: none). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** JSON with comments and trailing commas (as `.mocharc.jsonc` allows); undefined if unreadable. */
function parseJsonLoose(name: string, text: string): unknown {
  const { config, error } = ts.parseConfigFileTextToJson(name, text) as {
    config?: unknown;
    error?: unknown;
  };
  return error ? undefined : config;
}

/**
 * The values of a top-level YAML key: `spec: 'a'`, `spec: [a, b]`, or a `- item` list below it.
 * Enough for `.mocharc.yml`; anything fancier is not read.
 */
function yamlList(text: string, key: string): string[] {
  const lines = text.split(/\r?\n/);
  const unquote = (s: string): string => s.trim().replace(/^(['"])(.*)\1$/, '$2');
  const at = lines.findIndex((l) => new RegExp(`^${key}\\s*:`).test(l));
  if (at < 0) return [];
  const rest = lines[at]!.replace(new RegExp(`^${key}\\s*:`), '')
    .replace(/\s+#.*$/, '')
    .trim();
  if (rest.startsWith('[')) {
    return rest
      .replace(/^\[|\]$/g, '')
      .split(',')
      .map(unquote)
      .filter(Boolean);
  }
  if (rest) return [unquote(rest)];
  const items: string[] = [];
  for (const line of lines.slice(at + 1)) {
    const m = /^\s+-\s+(.+?)\s*$/.exec(line);
    if (!m) break;
    items.push(unquote(m[1]!));
  }
  return items;
}

/**
 * String (and RegExp) literals assigned to property `key` anywhere in a script config; with
 * `under`, only inside an object assigned to property `under` (vitest's `test: { include }`).
 */
function scriptProperty(name: string, text: string, key: string, under?: string): string[] {
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const literal = (e: ts.Expression): string | undefined => {
    if (ts.isStringLiteralLike(e)) return e.text;
    if (ts.isRegularExpressionLiteral(e)) return /^\/(.*)\/[a-z]*$/s.exec(e.text)?.[1];
    return undefined;
  };
  const propName = (p: ts.PropertyAssignment): string | undefined =>
    ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && propName(node) === key) {
      const parent = node.parent;
      const owner = parent.parent;
      const placed =
        under === undefined ||
        (ts.isObjectLiteralExpression(parent) &&
          ts.isPropertyAssignment(owner) &&
          propName(owner) === under);
      if (placed) {
        const v = node.initializer;
        const values = ts.isArrayLiteralExpression(v) ? [...v.elements] : [v];
        for (const e of values) {
          const s = literal(e);
          if (s !== undefined) out.push(s);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * A runner's glob in the analyser's glob dialect: no `./` or `<rootDir>/` prefix, a bare folder
 * as everything under it, and the extglobs jest's defaults use (`?(x)`, `+(a|b)`, `@(a|b)`) and
 * letter classes (`[jt]`) as alternations. Negated globs are dropped (they exclude, and the
 * analyser only adds test files).
 */
export function normaliseGlob(glob: string): string[] {
  let g = glob
    .trim()
    .replace(/^<rootDir>\//, '')
    .replace(/^\.\//, '');
  if (!g || g.startsWith('!')) return [];
  g = g.replace(/([?+@*])\(([^()]*)\)/g, (_m, op: string, body: string) => {
    const alternatives = body.split('|').join(',');
    return op === '?' || op === '*' ? `{,${alternatives}}` : `{${alternatives}}`;
  });
  g = g.replace(/\[([A-Za-z0-9]+)\]/g, (_m, set: string) => `{${[...set].join(',')}}`);
  if (!/[*?{}]/.test(g) && !/\.[A-Za-z0-9]+$/.test(g)) g = `${g.replace(/\/+$/, '')}/**`;
  return [g];
}

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
