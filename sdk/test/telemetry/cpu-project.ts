/**
 * A generated project for CPU-sampling accuracy: three TypeScript functions that each spin for a
 * known time (5, 10, 20 ms) in their own files, and a main module that calls them in turns
 * while the sdk's CPU sampler runs in process. Run from its TypeScript under tsx, or compiled
 * by esbuild file by file into `dist/` with `.map` files next to them (with or without Node's
 * `--enable-source-maps`), it prints the sampler's `cpu-profile` frames as JSON. The sdk
 * itself is loaded from its sources (through tsx) in every variant. Shared by the accuracy test
 * and the bench.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CpuProfileFrame } from '../../src/protocol/wire.js';

const SDK_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const require = createRequire(import.meta.url);

/** The busy functions and where they are declared (1-based line in their file). */
export const BUSY_FUNCTIONS = [
  { name: 'spin5', file: 'src/work/spin5.ts', line: 4, ms: 5 },
  { name: 'spin10', file: 'src/work/spin10.ts', line: 7, ms: 10 },
  { name: 'spin20', file: 'src/deep/spin20.ts', line: 10, ms: 20 },
] as const;

export type CpuProjectVariant = 'tsx' | 'compiled' | 'compiled+enable-source-maps';

export interface CpuProject {
  dir: string;
  remove(): void;
}

/** Writes the project into a fresh temporary folder. */
export function generateCpuProject(): CpuProject {
  const dir = mkdtempSync(join(tmpdir(), 'fox-cpu-project-'));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  write('package.json', JSON.stringify({ name: 'cpu-project', type: 'module', private: true }));
  for (const f of BUSY_FUNCTIONS) {
    // Padding lines put each declaration on its own known line.
    const pad = Array.from({ length: f.line - 1 }, (_, i) => `// line ${i + 1}`).join('\n');
    write(
      f.file,
      `${pad}
export function ${f.name}(): number {
  const end = performance.now() + ${f.ms};
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}
`,
    );
  }
  const sdk = (rel: string) => JSON.stringify(pathToFileURL(join(SDK_SRC, rel)).href);
  write(
    'src/main.ts',
    `import { startCpuSampler } from ${sdk('telemetry/cpu-sampler.ts')};
import { createCpuFrameLocator } from ${sdk('runtime/cpu-frame-locator.ts')};
import { projectRootOf, relativeSourcePath } from ${sdk('task/task-id.ts')};
import { spin5 } from './work/spin5.js';
import { spin10 } from './work/spin10.js';
import { spin20 } from './deep/spin20.js';

const durationMs = Number(process.env.CPU_PROJECT_MS ?? 2000);
const sampler = await startCpuSampler({
  locate: createCpuFrameLocator((f) => relativeSourcePath(f, projectRootOf(f))),
});
const frames = [];
const start = Date.now();
let lastCut = start;
let sink = 0;
while (Date.now() - start < durationMs) {
  sink += spin5() + spin10() + spin20();
  // A turn of the event loop between rounds, as a server would have.
  await new Promise((r) => setImmediate(r));
  if (Date.now() - lastCut >= 500) {
    lastCut = Date.now();
    const frame = sampler.cut();
    if (frame) frames.push(frame);
  }
}
const last = sampler.stop();
if (last) frames.push(last);
process.stdout.write(JSON.stringify({ frames, sink: sink > 0 }));
`,
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the project in a child process; resolves with its frames. */
export async function runCpuProject(
  project: CpuProject,
  variant: CpuProjectVariant,
  durationMs = 2000,
): Promise<CpuProfileFrame[]> {
  const tsx = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/loader.mjs'));
  let args: string[];
  if (variant === 'tsx') {
    args = ['--import', tsx.href, join(project.dir, 'src/main.ts')];
  } else {
    await compile(project.dir);
    const flags = variant === 'compiled' ? [] : ['--enable-source-maps'];
    args = [...flags, '--import', tsx.href, join(project.dir, 'dist/main.js')];
  }
  const stdout = await new Promise<string>((resolveRun, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: project.dir,
        // Measured, not covered: under V8 coverage (c8) optimised code keeps its inlined frames
        // attributed to callers (see cpu-sampler.ts).
        env: {
          ...process.env,
          CPU_PROJECT_MS: String(durationMs),
          NODE_OPTIONS: '',
          NODE_V8_COVERAGE: undefined,
        },
        maxBuffer: 64 << 20,
      },
      (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolveRun(out),
    );
  });
  return (JSON.parse(stdout) as { frames: CpuProfileFrame[] }).frames;
}

/** `src/**.ts` → `dist/**.js` + `.js.map`, one file each (imports kept as written). */
async function compile(dir: string): Promise<void> {
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  await esbuild.build({
    entryPoints: ['src/main.ts', ...BUSY_FUNCTIONS.map((f) => f.file)].map((f) => join(dir, f)),
    outdir: join(dir, 'dist'),
    outbase: join(dir, 'src'),
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'silent',
  });
}

export interface MappingAccuracy {
  /** Self time of all project functions, ms. */
  projectMs: number;
  /** Of which on the right busy function (file and declaration line), ms. */
  rightMs: number;
  /** rightMs / projectMs. */
  accuracy: number;
  /** Self time per busy function (by name), ms. */
  perFunction: Record<string, number>;
}

/**
 * The share of the project's sampled self time that landed on the right function (file and
 * declaration line). "Project" is every function the sampler kept: the sdk, node internals and
 * node_modules are left out by the sampler itself.
 */
export function mappingAccuracy(frames: readonly CpuProfileFrame[]): MappingAccuracy {
  let projectMs = 0;
  let rightMs = 0;
  const perFunction: Record<string, number> = {};
  for (const frame of frames) {
    for (const f of frame.functions) {
      // Anything else kept would be a mapping fault (a dist/ file, an absolute path): it counts.
      projectMs += f.selfMs;
      const busy = BUSY_FUNCTIONS.find((b) => b.file === f.file && b.line === f.line);
      if (busy) {
        rightMs += f.selfMs;
        perFunction[busy.name] = (perFunction[busy.name] ?? 0) + f.selfMs;
      }
    }
  }
  return { projectMs, rightMs, accuracy: projectMs > 0 ? rightMs / projectMs : 0, perFunction };
}
