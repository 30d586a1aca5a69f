// `npm run test:consumer`: proves that a project outside this repo can install and use every
// package from its `npm pack` tarball, as it would from the registry. Builds, packs the sdk, the
// language server and the profiler into a temp folder, creates a fresh TypeScript project in
// another (outside the workspace, so npm cannot see it), and there:
//   1. installs @fox/sdk alone: no better-sqlite3 is installed (no native build); the program
//      (`@fox()` standard decorators, `fox()` with policies) compiles with skipLibCheck false
//      and runs; the store says how to add the driver; `fox analyze` says what to install;
//      every entry (`@fox/sdk`, `@fox/sdk/protocol`, …) loads from ESM and CJS and compiles, and
//      the root holds what programs write, not the tools' internals;
//   2. adds @fox/language-server and @fox/profiler: `fox analyze` prints a recommendation,
//      `fox profile` runs the program and stores its tasks, the store opens (ESM and CJS);
// and packages the VS Code extension in a folder with no artifacts/ (a fresh clone).
// Only the registry and the tarballs are used. Prints each step's time; exits 1 on a failure.
// Options: --keep (leave the temp folder), --no-build (pack the dist/ an earlier build left).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const template = join(repo, 'scripts', 'consumer', 'app');
const keep = process.argv.includes('--keep');
const build = !process.argv.includes('--no-build');
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'fox-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const timings = [];
let checks = 0;

class CheckFailed extends Error {}

/** Runs a command; returns { status, stdout, stderr }. `show` streams its output instead. */
function run(cmd, args, { cwd = app, show = false, env = {} } = {}) {
  const result = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: show ? 'inherit' : 'pipe',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** A command that must exit with `expected` (default 0). */
function must(cmd, args, options = {}, expected = 0) {
  const r = run(cmd, args, options);
  check(
    r.status === expected,
    `${cmd} ${args.join(' ')} exited ${r.status}, expected ${expected}\n${r.stdout}\n${r.stderr}`,
  );
  return r;
}

function check(ok, message) {
  if (!ok) throw new CheckFailed(message);
  checks++;
}

function step(name, fn) {
  const t0 = Date.now();
  console.log(`\n== consumer: ${name}`);
  fn();
  const s = (Date.now() - t0) / 1000;
  timings.push([name, s]);
  console.log(`   ok (${s.toFixed(1)} s)`);
}

const npm = (args, options) => must('npm', args, options);
/** The project's own command (what `npx` runs, without npx's fallback to the registry). */
const bin = (name) => join(app, 'node_modules', '.bin', name);
const installed = (name) => existsSync(join(app, 'node_modules', name, 'package.json'));

/** The last line of stdout that parses as a JSON object. */
function lastJson(stdout) {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  check(line !== undefined, `no JSON line in:\n${stdout}`);
  return JSON.parse(line);
}

/** The sdk's entries: subpath → its conditions (paths without the leading `./`). */
const sdkEntries = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(join(repo, 'sdk', 'package.json'), 'utf8')).exports)
    .filter(([, conditions]) => typeof conditions === 'object')
    .map(([subpath, c]) => [
      subpath === '.' ? '@fox/sdk' : `@fox/sdk/${subpath.slice(2)}`,
      { import: c.import.slice(2), require: c.require.slice(2), types: c.types.slice(2) },
    ]),
);

/** A name each entry must export, so an entry that loads but is empty or wrong fails. */
const ENTRY_MARKERS = {
  '@fox/sdk': ['fox', 'FoxError', 'isFoxError', 'hasFoxCode', 'FoxStoreError', 'GuardianError'],
  '@fox/sdk/protocol': ['parseExporterFrame', 'WIRE_VERSION', 'parseTaskId'],
  '@fox/sdk/task-id': ['parseTaskId', 'formatTaskId'],
  '@fox/sdk/telemetry': ['LatencyHistogram', 'startExporter'],
  '@fox/sdk/store': ['openStore', 'writeRows'],
  '@fox/sdk/guardian': ['verifyAuditLog', 'auditPaths'],
  '@fox/sdk/chaos': ['parseExperiment', 'killAllChaos'],
  '@fox/sdk/testing': ['systemClock', 'createFakeClock'],
  '@fox/sdk/vault': ['PATTERNS', 'findPattern'],
  '@fox/sdk/cli': ['approvalsMain', 'auditMain', 'chaosMain'],
};

/**
 * What the root may share with the other entries: the errors a call can reject with (and their
 * guards), and the schema of what `fox.stats()` returns.
 */
const ROOT_SHARES = new Set([
  'GuardianError',
  'isGuardianError',
  'ChaosExperimentError',
  'ChaosInjectedError',
  'ChaosKillSwitchError',
  'StatsSnapshotSchema',
]);

/** Package name → tarball file (`@fox/sdk` → `fox-sdk-0.1.0.tgz`). */
function packed() {
  const byName = {};
  for (const f of readdirSync(tarballs)) {
    byName[f.replace(/^fox-/, '@fox/').replace(/-\d+\.\d+\.\d+\.tgz$/, '')] = f;
  }
  return byName;
}

/** The declaration files under `dir` that import `module` or reference its types. */
function declarationsImporting(dir, module) {
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.d.ts')) {
        const text = readFileSync(p, 'utf8');
        const pattern = new RegExp(
          `(from\\s+|import\\(|require\\(|reference types=)['"]${module}['"]`,
        );
        if (pattern.test(text)) found.push(p);
      }
    }
  };
  walk(dir);
  return found;
}

try {
  if (build) step('build', () => npm(['run', 'build'], { cwd: repo, show: true }));

  step('pack', () => {
    mkdirSync(tarballs);
    const workspaces = ['sdk', 'language-server', 'profiler'].flatMap((w) => ['--workspace', w]);
    const r = npm(['pack', ...workspaces, '--pack-destination', tarballs, '--json'], {
      cwd: repo,
    });
    for (const pkg of JSON.parse(r.stdout)) {
      const files = new Set(pkg.files.map((f) => f.path));
      const need = [
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/types/index.d.ts',
      ];
      if (pkg.name === '@fox/sdk') {
        need.push('bin/fox.js');
        for (const entry of Object.values(sdkEntries))
          need.push(entry.import, entry.require, entry.types);
      }
      if (pkg.name === '@fox/language-server') need.push('bin/fox-analyze.js');
      if (pkg.name === '@fox/profiler') need.push('dist/ui/fox-ui.js', 'dist/ui/fox-ui.css');
      for (const f of need) check(files.has(f), `${pkg.name}: the tarball has no ${f}`);
      check(
        ![...files].some((f) => f.endsWith('.tsbuildinfo')),
        `${pkg.name}: the tarball ships a .tsbuildinfo`,
      );
      console.log(
        `   ${pkg.filename}: ${pkg.entryCount} files, ${(pkg.size / 1024).toFixed(0)} kB`,
      );
    }
  });

  step('a fresh project with @fox/sdk alone (no native build)', () => {
    mkdirSync(app);
    cpSync(join(template, 'tsconfig.json'), join(app, 'tsconfig.json'));
    cpSync(join(template, 'src'), join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      // allowScripts as the README says: npm 11 warns that it will skip uncovered install
      // scripts, and better-sqlite3's builds the native module.
      JSON.stringify(
        {
          name: 'fox-consumer',
          private: true,
          type: 'module',
          allowScripts: { 'better-sqlite3': true },
        },
        null,
        2,
      ),
    );
    const { '@fox/sdk': sdk } = packed();
    npm(['install', '--no-audit', '--no-fund', join(tarballs, sdk)], { show: true });
    npm(['install', '--no-audit', '--no-fund', '-D', 'typescript@~5.9.3', '@types/node@^20'], {
      show: true,
    });
    check(installed('@fox/sdk'), '@fox/sdk is not installed');
    check(!installed('better-sqlite3'), 'installing @fox/sdk installed better-sqlite3');
    check(
      declarationsImporting(join(app, 'node_modules', '@fox', 'sdk', 'dist'), 'better-sqlite3')
        .length === 0,
      '@fox/sdk declarations import better-sqlite3',
    );
  });

  step('compile (skipLibCheck false) and run without the driver', () => {
    const tsc = must(bin('tsc'), ['-p', '.']);
    check(tsc.stdout.trim() === '', `tsc reported:\n${tsc.stdout}`);
    const out = lastJson(must('node', ['--enable-source-maps', 'dist/main.js']).stdout);
    console.log(`   ${JSON.stringify(out)}`);
    check(out.receipts === 20 && out.attempts === 21, 'the retry policy did not retry once');
    check(
      out.flow?.total === 30 && out.flow?.nodes === 3,
      `the flow gave ${JSON.stringify(out.flow)}`,
    );
    check(out.dfox === 'FOX_MISSING_PEER', `a dfox call without bullmq gave: ${out.dfox}`);
    check(out.key === 64, 'derive() returned no key');
    const ids = ['src/main.ts#Orders.place', 'src/main.ts#derive'];
    for (const id of ids) check(out.tasks.includes(id), `task ${id} missing: ${out.tasks}`);
    check(out.calls['src/main.ts#Orders.place'] === 20, 'Orders.place calls not counted');
    check(
      out.store.startsWith('unavailable:') && out.store.includes('npm i better-sqlite3'),
      `the store without the driver said: ${out.store}`,
    );
    // The CommonJS build loads, and finds no driver either.
    const cjs = must('node', [
      '-e',
      "try { require('@fox/sdk/store').openStore({ path: ':memory:' }); console.log('opened') } " +
        'catch (e) { console.log(e.code) }',
    ]);
    check(cjs.stdout.trim() === 'FOX_STORE', `require('@fox/sdk/store') said: ${cjs.stdout}`);
    const analyze = must(bin('fox'), ['analyze', '.'], {}, 2);
    check(
      analyze.stderr.includes('needs @fox/language-server'),
      `fox analyze without the package said: ${analyze.stderr}`,
    );
    // An installed package without its dist/ (what `npm pack` shipped before `files`) is a
    // broken install, and must not be reported as a missing one.
    const fake = join(app, 'node_modules', '@fox', 'language-server');
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, 'package.json'),
      JSON.stringify({ name: '@fox/language-server', type: 'module', exports: './dist/index.js' }),
    );
    const broken = run(bin('fox'), ['analyze', '.']);
    check(
      broken.status !== 0 &&
        !broken.stderr.includes('needs @fox/language-server') &&
        broken.stderr.includes('dist/index.js'),
      `fox analyze with a broken install said: ${broken.stderr}`,
    );
    rmSync(fake, { recursive: true });
  });

  step('every @fox/sdk entry from ESM and CJS; the root holds no internals', () => {
    const specs = Object.keys(sdkEntries);
    check(
      specs.length === Object.keys(ENTRY_MARKERS).length && specs.every((s) => s in ENTRY_MARKERS),
      `the sdk's entries are ${specs.join(', ')}: give each a marker in ENTRY_MARKERS`,
    );
    // Each entry's export names, loaded by import() and by require() in separate processes.
    const names = (format) => {
      const load =
        format === 'esm'
          ? 'async (s) => Object.keys(await import(s))'
          : 'async (s) => Object.keys(require(s))';
      const script =
        `const load = ${load}; const out = {};\n` +
        `for (const s of ${JSON.stringify(specs)}) out[s] = (await load(s)).sort();\n` +
        'console.log(JSON.stringify(out));';
      const args =
        format === 'esm'
          ? ['--input-type=module', '-e', script]
          : ['-e', `(async () => { ${script} })()`];
      return lastJson(must('node', args).stdout);
    };
    const esm = names('esm');
    const cjs = names('cjs');
    for (const spec of specs) {
      check(
        JSON.stringify(esm[spec]) === JSON.stringify(cjs[spec]),
        `${spec}: ESM exports ${esm[spec]}, CJS exports ${cjs[spec]}`,
      );
      for (const name of ENTRY_MARKERS[spec]) {
        check(esm[spec].includes(name), `${spec} does not export ${name}: ${esm[spec]}`);
      }
    }
    const elsewhere = new Set(specs.filter((s) => s !== '@fox/sdk').flatMap((s) => esm[s]));
    const internals = esm['@fox/sdk'].filter((n) => elsewhere.has(n) && !ROOT_SHARES.has(n));
    check(internals.length === 0, `the root exports what its entries do: ${internals}`);
    console.log(
      `   ${specs.map((s) => `${s.replace('@fox/sdk/', '')} ${esm[s].length}`).join(', ')}`,
    );
    // One error class across entries: the same object in ESM (shared chunks); in CJS each entry
    // is a bundle of its own, and instanceof still holds (branded errors).
    const same = must('node', [
      '--input-type=module',
      '-e',
      "const root = await import('@fox/sdk'); const chaos = await import('@fox/sdk/chaos');\n" +
        'console.log(root.ChaosInjectedError === chaos.ChaosInjectedError);',
    ]);
    check(same.stdout.trim() === 'true', `ESM entries hold two ChaosInjectedError classes`);
    const across = must('node', [
      '-e',
      "const { GuardianError, isGuardianError } = require('@fox/sdk');\n" +
        "const g = require('@fox/sdk/guardian');\n" +
        "const e = new g.GuardianError('GUARDIAN_EXPIRED', 'x');\n" +
        "console.log(e instanceof GuardianError && isGuardianError(e, 'GUARDIAN_EXPIRED'));",
    ]);
    check(
      across.stdout.trim() === 'true',
      `a CJS entry's error is not the root's: ${across.stdout}`,
    );
    // The entries' declarations compile in the project (NodeNext, skipLibCheck false).
    writeFileSync(
      join(app, 'src', 'entries.ts'),
      "import type { AggregatesFrame } from '@fox/sdk/protocol';\n" +
        "import { parseTaskId } from '@fox/sdk/task-id';\n" +
        "import { LatencyHistogram } from '@fox/sdk/telemetry';\n" +
        "import type { FoxStore } from '@fox/sdk/store';\n" +
        "import type { VerifyResult } from '@fox/sdk/guardian';\n" +
        "import { parseExperiment } from '@fox/sdk/chaos';\n" +
        "import type { Clock } from '@fox/sdk/testing';\n" +
        "import type { Pattern } from '@fox/sdk/vault';\n" +
        "import type { approvalsMain } from '@fox/sdk/cli';\n" +
        'export type Entries = [AggregatesFrame, FoxStore, VerifyResult, Clock, Pattern, typeof approvalsMain];\n' +
        "export const used = [parseTaskId('src/a.ts#f')?.name, new LatencyHistogram(), parseExperiment];\n",
    );
    const tsc = must(bin('tsc'), ['-p', '.']);
    check(tsc.stdout.trim() === '', `tsc reported:\n${tsc.stdout}`);
    rmSync(join(app, 'src', 'entries.ts'));
    rmSync(join(app, 'dist', 'entries.js'), { force: true });
  });

  step('add @fox/language-server and @fox/profiler (builds better-sqlite3)', () => {
    const names = packed();
    const pkgs = ['@fox/language-server', '@fox/profiler'].map((n) => join(tarballs, names[n]));
    npm(['install', '--no-audit', '--no-fund', '-D', ...pkgs], { show: true });
    check(installed('better-sqlite3'), 'better-sqlite3 was not installed with @fox/profiler');
    // The tools' @fox/sdk dependency must be the tarball's copy, not one from the registry.
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
    const sdks = Object.entries(lock.packages).filter(([p]) => p.endsWith('node_modules/@fox/sdk'));
    check(
      sdks.length === 1 && String(sdks[0][1].resolved).startsWith('file:'),
      `@fox/sdk resolved to ${JSON.stringify(sdks)}`,
    );
    for (const pkg of ['language-server', 'profiler']) {
      const dir = join(app, 'node_modules', '@fox', pkg, 'dist');
      const bad = declarationsImporting(dir, 'better-sqlite3');
      check(bad.length === 0, `@fox/${pkg} declarations import better-sqlite3: ${bad}`);
    }
    // The tools' public types compile in the consumer too.
    writeFileSync(
      join(app, 'src', 'tools.ts'),
      "import type { Profiler } from '@fox/profiler';\n" +
        "import type { FoxAnalyzer } from '@fox/language-server';\n" +
        'export type Tools = [Profiler, FoxAnalyzer];\n',
    );
    const tsc = must(bin('tsc'), ['-p', '.']);
    check(tsc.stdout.trim() === '', `tsc reported:\n${tsc.stdout}`);
    rmSync(join(app, 'src', 'tools.ts'));
    rmSync(join(app, 'dist', 'tools.js'), { force: true });
  });

  step('the store opens (ESM and CJS)', () => {
    const out = lastJson(must('node', ['dist/main.js']).stdout);
    check(out.store === 'ok', `the store with the driver said: ${out.store}`);
    const cjs = must('node', [
      '-e',
      "const s = require('@fox/sdk/store').openStore({ path: ':memory:' }); console.log(s.schemaVersion > 0); s.close()",
    ]);
    check(cjs.stdout.trim() === 'true', `require('@fox/sdk/store').openStore said: ${cjs.stdout}`);
  });

  step('fox analyze', () => {
    const json = JSON.parse(must(bin('fox'), ['analyze', '.', '--format', 'json']).stdout);
    const derive = 'src/main.ts#derive';
    check(
      json.functions.some(
        (f) => f.id === derive && f.kind === 'cpu' && f.recommendedMode === 'tfox',
      ),
      `derive() is not classified cpu → tfox:\n${JSON.stringify(json.functions)}`,
    );
    check(
      json.findings.some((f) => f.rule === 'FOX007' && f.functionId === derive),
      `no FOX007 finding for derive():\n${JSON.stringify(json.findings)}`,
    );
    const text = must(bin('fox'), ['analyze', '.', '--format', 'text']).stdout;
    console.log(text.trim().replace(/^/gm, '   '));
    check(
      /src\/main\.ts:\d+:\d+\s+warning\s+FOX007 .*use 'tfox'/.test(text),
      `no recommendation in:\n${text}`,
    );
  });

  step('fox profile', () => {
    const r = must(bin('fox'), [
      'profile',
      '--no-report',
      '--quiet',
      '--',
      'node',
      '--enable-source-maps',
      'dist/main.js',
    ]);
    check(/live UI at http:\/\/127\.0\.0\.1:\d+/.test(r.stdout), `no UI URL in:\n${r.stdout}`);
    check(lastJson(r.stdout).receipts === 20, 'the program did not run under fox profile');
    // The profiler stored the run: the program's tasks with their calls, read back via the sdk.
    const read = must('node', [
      '--input-type=module',
      '-e',
      "import { openStore } from '@fox/sdk/store';\n" +
        "const s = openStore({ path: '.fox/fox.db' });\n" +
        'console.log(JSON.stringify({ tasks: s.tasks().map((t) => t.id),\n' +
        "  calls: s.taskHistory('src/main.ts#Orders.place', 0).reduce((n, a) => n + a.calls, 0) }));\n" +
        's.close();',
    ]);
    const stored = lastJson(read.stdout);
    console.log(`   stored: ${JSON.stringify(stored)}`);
    check(stored.tasks.includes('src/main.ts#Orders.place'), 'the profiler did not see the task');
    check(stored.calls === 20, `the profiler stored ${stored.calls} calls of Orders.place`);
  });

  step('package the VS Code extension from a tree without artifacts/', () => {
    // A copy of what vsce packs (see extension/.vscodeignore), so the repo's artifacts/ is not
    // involved: the script itself must create the folder.
    const ext = join(work, 'clone', 'extension');
    for (const f of ['package.json', 'README.md', 'LICENSE', '.vscodeignore', 'media', 'dist']) {
      cpSync(join(repo, 'extension', f), join(ext, f), { recursive: true });
    }
    const bin = join(repo, 'node_modules', '.bin');
    npm(['run', 'package'], { cwd: ext, env: { PATH: `${bin}:${process.env.PATH}` } });
    const vsix = join(work, 'clone', 'artifacts', 'fox-vscode.vsix');
    check(existsSync(vsix), 'no artifacts/fox-vscode.vsix');
    const bytes = readFileSync(vsix).toString('latin1');
    for (const f of ['extension/dist/extension.cjs', 'extension/dist/server.cjs']) {
      check(bytes.includes(f), `the .vsix has no ${f}`);
    }
    console.log(`   fox-vscode.vsix: ${(statSync(vsix).size / 1024).toFixed(0)} kB`);
  });

  const total = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\nconsumer check passed: ${checks} checks in ${total} s`);
  for (const [name, s] of timings) console.log(`   ${s.toFixed(1).padStart(6)} s  ${name}`);
  if (!keep) rmSync(work, { recursive: true, force: true });
} catch (err) {
  console.error(`\nconsumer check FAILED: ${err instanceof CheckFailed ? err.message : err.stack}`);
  console.error(`(project kept in ${work})`);
  process.exitCode = 1;
}
