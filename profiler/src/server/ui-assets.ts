import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The browser bundle of the live UI (see `profiler/build-ui.mjs`). */
export interface UiAssets {
  js: string;
  css: string;
}

/** The `@fox/profiler` package directory, from wherever this module runs (sources or dist). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@fox/profiler') {
          return dir;
        }
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot locate the @fox/profiler package directory');
}

/** Where the build puts the bundle, relative to the package root. */
export const UI_BUNDLE_JS = 'dist/ui/fox-ui.js';
export const UI_BUNDLE_CSS = 'dist/ui/fox-ui.css';
export const UI_ENTRY = 'src/ui/browser-main.ts';

let cached: Promise<UiAssets> | undefined;

/**
 * The built bundle from `dist/ui`, or one bundled now with esbuild, in memory, when this module
 * runs from its TypeScript sources (tests, `--conditions=source`): a `dist/ui` left by an
 * earlier build would otherwise serve a UI older than the code around it.
 */
export function loadUiAssets(): Promise<UiAssets> {
  return (cached ??= (async () => {
    const root = packageRoot();
    const js = join(root, UI_BUNDLE_JS);
    const css = join(root, UI_BUNDLE_CSS);
    const fromSources = import.meta.url.endsWith('.ts');
    if (!fromSources && existsSync(js) && existsSync(css)) {
      return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
    }
    const esbuild = await import('esbuild');
    const result = await esbuild.build(uiBuildOptions(root, false));
    const text = (ext: string): string =>
      result.outputFiles?.find((f) => f.path.endsWith(ext))?.text ?? '';
    return { js: text('.js'), css: text('.css') };
  })().catch((err: unknown) => {
    cached = undefined;
    throw err;
  }));
}

/** The esbuild options of the UI bundle (the root build uses the same). */
export function uiBuildOptions(root: string, write: boolean) {
  return {
    entryPoints: [join(root, UI_ENTRY)],
    bundle: true,
    format: 'iife' as const,
    platform: 'browser' as const,
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    // The sdk's TypeScript (`@fox/sdk/task-id`), so the bundle never waits on the sdk's build.
    conditions: ['source'],
    outfile: join(root, UI_BUNDLE_JS),
    write,
    logLevel: 'warning' as const,
  };
}
