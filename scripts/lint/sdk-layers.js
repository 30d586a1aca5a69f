// The layers of sdk/src, bottom to top, and the ESLint rule that keeps imports pointing down.
//
// A file may import from its own layer and the layers listed before it; an import that runs back
// up a layer is a `no-restricted-imports` error. The pipeline layers follow the call path read
// from the function outwards: strategy (the mode that runs the user's function) → chaos (wraps
// the strategy) → policies (wrap chaos and the strategy) → telemetry → the task pipeline that
// composes them (input check, tracing, policies, chaos, strategy). Services the pipeline layers
// use (store, guardian) sit below them; the wiring that connects a runtime to all of it, and the
// package's public entries, sit on top.
//
// Imports are matched exactly: for every directory of sdk/src the rule lists the relative
// specifiers (`../policies/`, `./task.js`, …) that reach a higher layer from there. A file that
// is in no layer fails lint until it is added below. Dynamic `import()` is not checked.
//
// Why ESLint and not dependency-cruiser: the rule runs in the editor as the import is typed, in
// the `npm run lint` step CI already has, with no new dependency; the table below is plain data
// either tool could read, and relative specifiers are all sdk/src uses (no path aliases).
import { readdirSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcRoot = join(repoRoot, 'sdk', 'src');

/**
 * Bottom to top. A member is a folder (everything under it) or a file (`.ts`) of sdk/src; the
 * longest member that contains a file decides its layer.
 */
export const layers = [
  { name: 'base', members: ['errors', 'clock', 'protocol', 'events', 'state', 'vault'] },
  {
    name: 'task',
    why: 'what every layer shares about a call: Call, Attempt, task ids and globs, run context',
    members: [
      'task/call.ts',
      'task/call-site.ts',
      'task/task-id.ts',
      'task/task-glob.ts',
      'task/schema-check.ts',
      // Any other file of task/ is shared too, unless it is listed in 'pipeline'.
      'task',
      'context',
    ],
  },
  { name: 'store', members: ['store'] },
  { name: 'guardian', members: ['guardian'] },
  { name: 'strategy', members: ['modes'] },
  { name: 'chaos', members: ['chaos'] },
  { name: 'policies', members: ['policies'] },
  {
    name: 'telemetry',
    why: 'what leaves the process about what Fox does: spans, metrics, guardian webhooks',
    // Webhooks deliver with the retry policy, so they sit above policies, not with the guardian.
    members: ['telemetry', 'guardian/notifications'],
  },
  {
    name: 'pipeline',
    why: 'the task that composes input check → tracing → policies → chaos → strategy',
    members: ['task/task.ts', 'task/registry.ts', 'task/options.ts'],
  },
  {
    name: 'orchestration',
    why: 'what composes whole tasks: flows (task graphs) and the tuner (experiments on a task)',
    members: ['flow', 'tuner'],
  },
  { name: 'wiring', members: ['runtime', 'cli', 'testing'] },
  {
    name: 'entries',
    why: 'the public entry points re-export from any layer; nothing inside the sdk imports them',
    members: ['index.ts', 'guardian/index.ts', 'chaos/index.ts'],
  },
];

/** The index in `layers` of a path of sdk/src (`dir/*.ts` asks for a directory's files). */
function layerOf(file) {
  let best;
  for (const [index, layer] of layers.entries()) {
    for (const member of layer.members) {
      const matches = member.endsWith('.ts') ? file === member : file.startsWith(member + '/');
      if (matches && (!best || member.length > best.member.length)) best = { index, member };
    }
  }
  return best?.index;
}

/** The relative specifiers that reach `member` from `dir` (both relative to sdk/src). */
function specifierPattern(dir, member) {
  let rel = posix.relative(dir, member.endsWith('.ts') ? member.replace(/\.ts$/, '.js') : member);
  if (!rel.startsWith('.')) rel = './' + rel;
  const escaped = rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return member.endsWith('.ts') ? `^${escaped}$` : `^${escaped}/`;
}

function listSources(dir = srcRoot) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(path);
    return /\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function restrictions(dir, layerIndex) {
  return layers.slice(layerIndex + 1).flatMap((layer) =>
    layer.members.map((member) => ({
      regex: specifierPattern(dir, member),
      message:
        `sdk layering: the '${layers[layerIndex].name}' layer must not import '${member}' ` +
        `(layer '${layer.name}', higher up). See scripts/lint/sdk-layers.js and CONTRIBUTING.md.`,
    })),
  );
}

function block(files, dir, index) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: restrictions(dir, index) }],
    },
  };
}

/**
 * One block per directory of sdk/src (a glob, so files added later are covered, in the editor
 * too), then one per file whose layer differs from its directory's (later blocks win).
 */
function layerConfigs() {
  const files = listSources().map((path) => relative(srcRoot, path).split('\\').join('/'));
  const dirs = [...new Set(files.map((f) => posix.dirname(f)))];
  const dirLayer = new Map(dirs.map((dir) => [dir, layerOf(`${dir}/*.ts`)]));
  const configs = [];
  for (const dir of dirs) {
    const index = dirLayer.get(dir);
    if (index !== undefined) configs.push(block([`sdk/src/${dir}/*.ts`], dir, index));
  }
  const unassigned = [];
  for (const file of files) {
    const dir = posix.dirname(file);
    const index = layerOf(file);
    if (index === undefined) unassigned.push(`sdk/src/${file}`);
    else if (index !== dirLayer.get(dir)) configs.push(block([`sdk/src/${file}`], dir, index));
  }
  if (unassigned.length > 0) {
    configs.push({
      files: unassigned,
      rules: {
        'no-restricted-syntax': [
          'error',
          {
            selector: 'Program',
            message: 'sdk layering: this file is in no layer; add it to scripts/lint/sdk-layers.js',
          },
        ],
      },
    });
  }
  return configs;
}

export default [
  { files: ['sdk/src/**/*.ts'], languageOptions: { parser: tseslint.parser } },
  ...layerConfigs(),
];
