import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { CpuFunctionView, Profiler } from '@fox/profiler';
import { median } from './report.js';
import { DEFAULT_CPU_SAMPLING_INTERVAL_US } from '../../sdk/src/telemetry/cpu-sampler.js';

/**
 * The CPU-sampling bench on the demo (`samples/demo`, run the way `npm start` runs it: the
 * compiled `dist/main.js` with `--enable-source-maps`, its service and load generator in one
 * process): throughput with sampling on against off, and where the samples land in its source.
 */

const here = dirname(fileURLToPath(import.meta.url));
const DEMO = join(here, '..', '..', 'samples', 'demo');
const PRELOAD = join(here, 'cpu-sampling-usage-preload.mjs');

interface DemoRun {
  requests: number;
  wallMs: number;
  cpuMs: number;
  /** What the profiler kept of this process's CPU windows (sampling on only). */
  functions: CpuFunctionView[];
}

/** One bounded, headless demo run exporting to `profiler`. */
async function runDemo(profiler: Profiler, sampling: 'on' | 'off', ms: number): Promise<DemoRun> {
  // Sampling on is the default: no FOX_CPU_SAMPLING at all, as a user runs it.
  const { FOX_CPU_SAMPLING: _inherited, ...rest } = process.env;
  const env = { ...rest, NODE_OPTIONS: '', FOX_PROFILER: profiler.url };
  const t0 = performance.now();
  let pid = 0;
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = execFile(
        process.execPath,
        [
          '--import',
          PRELOAD,
          '--enable-source-maps',
          join(DEMO, 'dist', 'main.js'),
          '--duration',
          `${ms}ms`,
        ],
        {
          cwd: DEMO,
          env: sampling === 'on' ? env : { ...env, FOX_CPU_SAMPLING: 'off' },
          maxBuffer: 16 << 20,
        },
        (err, out, errOut) =>
          err
            ? reject(new Error(`${err.message}\n${errOut}`))
            : resolve({ stdout: out, stderr: errOut }),
      );
      pid = child.pid ?? 0;
    },
  );
  const wallMs = performance.now() - t0;
  const requests = Number(/(\d+) requests, \d+ failed/.exec(stdout)?.[1] ?? NaN);
  const cpuMs = Number(/"foxBenchCpuMs":([\d.]+)/.exec(stderr)?.[1] ?? NaN);
  if (!Number.isFinite(requests) || !Number.isFinite(cpuMs)) {
    throw new Error(`the demo printed no request count or CPU time:\n${stdout}\n${stderr}`);
  }
  // The profiler names processes by the exporter's id; the pid finds this run's.
  const id = profiler.state().processes.find((p) => p.pid === pid)?.id;
  const functions = id ? profiler.cpuFunctions({ processId: id, minutes: 60 }) : [];
  return { requests, wallMs, cpuMs, functions };
}

/** Function-like declarations of a source file: the line of each one's parameter list. */
interface Declaration {
  line: number;
  /** The name V8 would give it, or '' when it has none. */
  name: string;
}

function declarationsOf(file: string): Declaration[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: Declaration[] = [];
  const nameOf = (node: ts.SignatureDeclaration): string => {
    if (node.name && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name)))
      return node.name.text;
    // `const f = () => …` and `{ f: () => … }` get the binding's name from V8.
    const parent = node.parent;
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    return '';
  };
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const sig = node as ts.SignatureDeclaration;
      // V8 places a function at its parameter list (the sdk reports that line).
      const open = sig.parameters.pos;
      const lines = new Set([
        sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
        sf.getLineAndCharacterOfPosition(open).line + 1,
      ]);
      for (const line of lines) out.push({ line, name: nameOf(sig) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Is a sampled record on the right function? Its file must be a source file of the demo (not
 * `dist/`) and its line the declaration line of a function there (start or parameter list),
 * which is how the language server matches it. The name V8 gives comes from the compiled code
 * (esbuild renames `placeOrder` to `placeOrder2` next to an export of the same name; callbacks
 * get inferred names like `route.then`): when it names a function of the file, that function
 * must be the one declared at the line, else the record counts as misplaced.
 */
function onTheRightFunction(
  f: CpuFunctionView,
  cache: Map<string, Declaration[] | undefined>,
): boolean {
  if (!f.file.startsWith('src/') || !f.file.endsWith('.ts')) return false;
  if (!cache.has(f.file)) {
    const path = join(DEMO, f.file);
    cache.set(f.file, existsSync(path) ? declarationsOf(path) : undefined);
  }
  const decls = cache.get(f.file) ?? [];
  const here = decls.filter((d) => d.line === f.line);
  if (here.length === 0) return false;
  const name = (f.name.split('.').pop() ?? '').replace(/\d+$/, '');
  const named = decls.some((d) => d.name === name && name !== '');
  return !named || here.some((d) => d.name === name);
}

export interface DemoSamplingResult {
  rows: Record<string, string>[];
  verdicts: string[];
  rounds: number;
  durationMs: number;
}

/**
 * Interleaved rounds of the demo with sampling off and on (the order alternates per round),
 * then the mapping accuracy of every sampled record of the "on" runs, by self time.
 */
export async function runDemoSampling(
  profiler: Profiler,
  rounds = 5,
  durationMs = 4000,
): Promise<DemoSamplingResult> {
  const off: DemoRun[] = [];
  const on: DemoRun[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const v of order) (v === 'on' ? on : off).push(await runDemo(profiler, v, durationMs));
  }
  const perCpu = (x: DemoRun) => x.requests / (x.cpuMs / 1000);
  const perWall = (x: DemoRun) => x.requests / (durationMs / 1000);
  const ratio = (f: (x: DemoRun) => number) => median(on.map((x, i) => f(x) / f(off[i]!)));
  const row = (label: string, xs: DemoRun[], wallRatio: string, cpuRatio: string) => ({
    workload: 'demo (npm start, 8 load loops)',
    variant: label,
    'ops / CPU s': median(xs.map(perCpu)).toFixed(0),
    'ops / wall s': median(xs.map(perWall)).toFixed(0),
    '× sampling off': `${wallRatio} (per CPU s ${cpuRatio})`,
    'inspector loaded': label.includes('off') ? 'no' : 'yes',
    windows: '',
    'cut ms / window': '',
  });
  const wall = ratio(perWall);
  const cpu = ratio(perCpu);
  const rows = [
    row('connected, sampling off', off, '1.000', '1.000'),
    row(
      `connected, sampling ${DEFAULT_CPU_SAMPLING_INTERVAL_US} µs (default)`,
      on,
      wall.toFixed(3),
      cpu.toFixed(3),
    ),
  ];

  const cache = new Map<string, Declaration[] | undefined>();
  let totalMs = 0;
  let rightMs = 0;
  const wrong = new Map<string, number>();
  for (const f of on.flatMap((x) => x.functions)) {
    totalMs += f.selfMs;
    if (onTheRightFunction(f, cache)) rightMs += f.selfMs;
    else {
      const key = `${f.name} ${f.file}:${f.line}`;
      wrong.set(key, (wrong.get(key) ?? 0) + f.selfMs);
    }
  }
  const accuracy = totalMs > 0 ? rightMs / totalMs : 0;
  const worst = [...wrong].sort((a, b) => b[1] - a[1]).slice(0, 3);
  rows.push({
    workload: 'mapping accuracy',
    variant: 'demo (dist/ + --enable-source-maps)',
    'ops / CPU s': `${totalMs.toFixed(0)} ms sampled`,
    'ops / wall s': `${(accuracy * 100).toFixed(2)}% on the right function`,
    '× sampling off':
      worst.length === 0
        ? 'nothing misplaced'
        : `misplaced: ${worst.map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join('; ')}`,
    'inspector loaded': 'yes',
    windows: '',
    'cut ms / window': '',
  });
  const cost = (r: number) => `${((1 - r) * 100).toFixed(1)}%`;
  return {
    rows,
    rounds,
    durationMs,
    verdicts: [
      `demo: requests per second with sampling = ${wall.toFixed(3)}× sampling off (cost ${cost(wall)}, target ≤ 5%): ${1 - wall <= 0.05 ? 'PASS' : 'FAIL'}`,
      `demo: requests per CPU second with sampling = ${cpu.toFixed(3)}× sampling off (CPU cost per request ${cost(cpu)}, target ≤ 5%): ${1 - cpu <= 0.05 ? 'PASS' : 'FAIL'}`,
      `mapping (demo): ${(accuracy * 100).toFixed(2)}% of sampled project time on the right function and line (target ≥ 95%): ${accuracy >= 0.95 && totalMs > 0 ? 'PASS' : 'FAIL'}`,
    ],
  };
}
