// Builds the live UI bundle (profiler/dist/ui/fox-ui.js + fox-ui.css) with esbuild. The root
// build can call the same options; see uiBuildOptions in src/server/ui-assets.ts.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));

await esbuild.build({
  entryPoints: [`${root}/src/ui/browser-main.ts`],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: false,
  outfile: `${root}/dist/ui/fox-ui.js`,
  logLevel: 'warning',
});
// The CLI as a standalone entry: node profiler/dist/cli.js -- node app.js
await esbuild.build({
  entryPoints: [`${root}/src/cli/run-profile.ts`],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  conditions: ['source'],
  sourcemap: true,
  outfile: `${root}/dist/cli.js`,
  logLevel: 'warning',
});
