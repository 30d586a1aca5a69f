// Builds every package: esbuild bundles (ESM + CJS for the sdk), tsc declarations.
// Dependencies stay external; the bundles carry source maps so task ids map back to sources.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { writeWorkerSource } from './build-worker.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => join(root, ...p);

/**
 * `better-sqlite3` is native and optional: the sdk loads it at the first `openStore()` through
 * `sdk/src/store/driver.ts` (a program without it runs tasks and policies; a .vsix carries no
 * node_modules, so the extension's profiler falls back to memory). A static import anywhere in
 * a bundle would load it when the bundle loads and break both, so the build refuses one.
 */
const noEagerNativeModules = {
  name: 'no-eager-native-modules',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, ({ importer }) => ({
      errors: [
        {
          text:
            `${importer} imports better-sqlite3 statically; load it lazily through ` +
            `sdk/src/store/driver.ts (sqliteDriver()) so that it stays optional`,
        },
      ],
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
  conditions: ['source'],
  plugins: [noEagerNativeModules],
};

/**
 * `import.meta.url` in a CommonJS bundle: the bundle's own file URL (esbuild would leave it
 * empty). The sdk resolves its optional peer dependencies from it.
 */
const cjsImportMetaUrl = {
  define: { 'import.meta.url': '__foxImportMetaUrl' },
  banner: {
    js: "const __foxImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
  },
};

// VS Code loads extensions as CommonJS and provides `vscode` itself; everything else is bundled,
// with import.meta.url mapped to the bundle's own file: the extension, its language server (node
// IPC child) and the profiler panel's page (the profiler's UI over postMessage).
function extensionBuilds() {
  const cjs = {
    ...common,
    format: 'cjs',
    packages: undefined,
    external: ['vscode', 'esbuild', 'bufferutil', 'utf-8-validate'],
    ...cjsImportMetaUrl,
  };
  return [
    esbuild.build({
      ...cjs,
      entryPoints: [at('extension/src/extension.ts')],
      outfile: at('extension/dist/extension.cjs'),
    }),
    esbuild.build({
      ...cjs,
      entryPoints: [at('language-server/src/server/fox-language-server.ts')],
      outfile: at('extension/dist/server.cjs'),
    }),
    esbuild.build({
      entryPoints: [at('extension/src/webview/main.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110'],
      minify: true,
      sourcemap: true,
      conditions: ['source'],
      outfile: at('extension/dist/ui/webview.js'),
      logLevel: 'warning',
    }),
  ];
}

/**
 * The sdk's entry points, from its package.json `exports` (`.` → index, `./store` → store):
 * each is bundled to dist/<name>.js and dist/<name>.cjs.
 */
function sdkEntryPoints() {
  const { exports } = JSON.parse(readFileSync(at('sdk/package.json'), 'utf8'));
  const entries = {};
  for (const [subpath, conditions] of Object.entries(exports)) {
    if (typeof conditions !== 'object') continue;
    entries[subpath === '.' ? 'index' : subpath.slice(2)] = at('sdk', conditions.source);
  }
  return entries;
}

async function build() {
  for (const pkg of ['sdk', 'language-server', 'profiler', 'extension', 'samples/demo']) {
    rmSync(at(pkg, 'dist'), { recursive: true, force: true });
  }
  // The tfox worker's source string, bundled into the sdk (see scripts/build-worker.mjs).
  await writeWorkerSource();
  await Promise.all([
    // ESM entries share their modules through chunks (one copy of each in a process); each CJS
    // entry is whole, and copies share state through sdk/src/state/process-state.ts.
    esbuild.build({
      ...common,
      entryPoints: sdkEntryPoints(),
      format: 'esm',
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      outdir: at('sdk/dist'),
    }),
    esbuild.build({
      ...common,
      entryPoints: sdkEntryPoints(),
      format: 'cjs',
      ...cjsImportMetaUrl,
      outdir: at('sdk/dist'),
      outExtension: { '.js': '.cjs' },
    }),
    esbuild.build({
      ...common,
      entryPoints: [at('language-server/src/index.ts')],
      format: 'esm',
      outfile: at('language-server/dist/index.js'),
    }),
    esbuild.build({
      ...common,
      entryPoints: [at('profiler/src/index.ts')],
      format: 'esm',
      outfile: at('profiler/dist/index.js'),
    }),
    esbuild.build({
      ...common,
      entryPoints: [at('profiler/src/cli/run-profile.ts')],
      format: 'esm',
      outfile: at('profiler/dist/cli.js'),
    }),
    // The live UI: one browser bundle shared by the profiler's page and the VS Code webview.
    esbuild.build({
      entryPoints: [at('profiler/src/ui/browser-main.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110', 'firefox110', 'safari16'],
      minify: true,
      conditions: ['source'],
      outfile: at('profiler/dist/ui/fox-ui.js'),
      logLevel: 'warning',
    }),
    ...extensionBuilds(),
    // The demo is compiled per file (not bundled) so its task ids come from its own sources.
    esbuild.build({
      ...common,
      bundle: false,
      entryPoints: [at('samples/demo/src/*.ts')],
      format: 'esm',
      outdir: at('samples/demo/dist'),
    }),
  ]);
  // Declarations for every package (project references).
  execFileSync(
    process.execPath,
    [at('node_modules/typescript/bin/tsc'), '-b', at('tsconfig.json')],
    { stdio: 'inherit' },
  );
}

await build();
