import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import {
  FoxAnalyzer,
  type AnalysisResult,
  type WorkKind,
} from '../../language-server/src/index.js';
import { generateProject } from './analyze-generate.js';
import { median, table, type BenchSection } from './report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpusDir = join(root, 'language-server', 'test', 'fixtures', 'corpus');
const KINDS: WorkKind[] = ['cpu', 'io', 'mixed', 'light'];

interface Labeled {
  set: string;
  id: string;
  expected: WorkKind;
  actual: WorkKind | undefined;
}

/** Pairs every `// expect: <kind>` marker with the first function after it. */
function labeledFunctions(result: AnalysisResult): Labeled[] {
  const out: Labeled[] = [];
  for (const file of result.files) {
    const lines = readFileSync(file.path, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = /\/\/ expect: (cpu|io|mixed|light)\b/.exec(line);
      if (!m) return;
      const fn = file.functions.filter((f) => f.line > i + 1).sort((a, b) => a.line - b.line)[0];
      out.push({
        set: file.file.split('/')[0] ?? '',
        id: fn?.id ?? `${file.file}:${i + 1}`,
        expected: m[1] as WorkKind,
        actual: fn?.kind,
      });
    });
  }
  return out;
}

interface Measured {
  ms: number;
  maxRssMb: number | undefined;
  status: number | null;
}

/** Wall time and peak RSS of a child process (`/usr/bin/time -v` when available). */
function measure(argv: string[]): Measured {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const cmd = timeBin ? [timeBin, '-v', ...argv] : argv;
  const start = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - start;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  return { ms, maxRssMb: rss ? Number(rss[1]) / 1024 : undefined, status: r.status };
}

async function bundleCli(): Promise<string> {
  const outfile = join(root, 'node_modules', '.cache', 'fox-bench', 'fox-analyze.mjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, 'language-server', 'src', 'cli', 'fox-analyze.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    conditions: ['source'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

interface SpeedRow {
  project: string;
  files: number;
  tscMs: number;
  foxMs: number;
  tscRss: number | undefined;
  foxRss: number | undefined;
}

/**
 * rxjs@7 (a devDependency) ships its TypeScript sources under `src/` and its compiler settings in
 * its root `tsconfig.json`, which has no `include`. Copies both into `work/rxjs` with an
 * `include` of the sources, so tsc and fox analyze see the same project.
 */
function rxjsProject(work: string): { dir: string; files: number } | undefined {
  const pkg = join(root, 'node_modules', 'rxjs');
  if (!existsSync(join(pkg, 'src', 'index.ts')) || !existsSync(join(pkg, 'tsconfig.json'))) {
    return undefined;
  }
  const dir = join(work, 'rxjs');
  cpSync(join(pkg, 'src'), join(dir, 'src'), { recursive: true });
  const config = JSON.parse(readFileSync(join(pkg, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  config.compilerOptions.incremental = false;
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ ...config, include: ['src/**/*.ts'], exclude: ['src/**/*.spec.ts'] }),
  );
  writeFileSync(join(dir, 'package.json'), '{"name":"rxjs-src","private":true}');
  const files = readdirSync(join(dir, 'src'), { recursive: true }).filter((f) =>
    String(f).endsWith('.ts'),
  ).length;
  return { dir, files };
}

function comparePair(
  name: string,
  dir: string,
  files: number,
  cli: string,
  runs: number,
): SpeedRow {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = join(tmpdir(), `fox-bench-${process.pid}.json`);
  const tscRuns: Measured[] = [];
  const foxRuns: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so machine noise hits both alike.
    tscRuns.push(measure([process.execPath, tsc, '-p', dir, '--noEmit']));
    foxRuns.push(
      measure([
        process.execPath,
        cli,
        dir,
        '--format',
        'json',
        '--output',
        out,
        '--fail-on',
        'none',
        '--no-progress',
      ]),
    );
  }
  rmSync(out, { force: true });
  const failed = foxRuns.find((r) => r.status !== 0);
  if (failed) throw new Error(`fox analyze exited ${failed.status} on ${name}`);
  const rss = (xs: Measured[]): number | undefined =>
    xs.every((x) => x.maxRssMb !== undefined) ? median(xs.map((x) => x.maxRssMb!)) : undefined;
  return {
    project: name,
    files,
    tscMs: median(tscRuns.map((r) => r.ms)),
    foxMs: median(foxRuns.map((r) => r.ms)),
    tscRss: rss(tscRuns),
    foxRss: rss(foxRuns),
  };
}

/** p95 of re-analysing one file (syntax + type-aware rules) after a one-line edit, in process. */
function reanalysisP95(dir: string, file: string, edits = 30): { p50: number; p95: number } {
  const analyzer = FoxAnalyzer.fromDirectory(dir);
  analyzer.analyzeAll(); // warm: program and checker built, as in a server that has been running
  const original = readFileSync(file, 'utf8');
  const times: number[] = [];
  for (let k = 0; k < edits; k++) {
    const text = original.replace('return acc;', `return acc + ${k};`);
    const start = performance.now();
    analyzer.setFileText(file, text);
    analyzer.analyzeFile(file, { phase: 'all' });
    times.push(performance.now() - start);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: median(times),
    p95: sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!,
  };
}

export interface AnalyzeBenchOptions {
  files?: number;
  runs?: number;
}

/**
 * Accuracy of the classifier on the labeled corpus, false-positive rate of each rule on clean
 * code, and speed and peak memory of `fox analyze` against `tsc --noEmit` on a generated project.
 */
export async function runAnalyzeBench(options: AnalyzeBenchOptions = {}): Promise<BenchSection> {
  const files = options.files ?? 1000;
  const runs = options.runs ?? 1;

  // ── accuracy ──
  const corpus = FoxAnalyzer.fromDirectory(corpusDir).analyzeAll();
  const labeled = labeledFunctions(corpus);
  const correct = labeled.filter((l) => l.actual === l.expected).length;
  const accuracy = correct / labeled.length;
  const bySet = (set: string): string => {
    const xs = labeled.filter((l) => l.set === set);
    return `${xs.filter((l) => l.actual === l.expected).length}/${xs.length}`;
  };
  const confusion = KINDS.map((expected) => ({
    'expected \\ actual': expected,
    ...Object.fromEntries(
      KINDS.map((actual) => [
        actual,
        String(labeled.filter((l) => l.expected === expected && l.actual === actual).length),
      ]),
    ),
  }));
  const misses = labeled.filter((l) => l.actual !== l.expected);

  // ── false positives on clean code ──
  const clean = corpus.files.filter((f) => f.file.startsWith('clean/'));
  const cleanFunctions = clean.reduce((n, f) => n + f.functions.length, 0);
  const fpRows = [
    'FOX001',
    'FOX002',
    'FOX003',
    'FOX004',
    'FOX005',
    'FOX006',
    'FOX007',
    'FOX008',
  ].map((rule) => {
    const n = clean.reduce((acc, f) => acc + f.findings.filter((x) => x.rule === rule).length, 0);
    return { rule, n, rate: n / Math.max(1, cleanFunctions) };
  });
  const worstFp = Math.max(...fpRows.map((r) => r.rate));

  // ── speed and memory ──
  const cli = await bundleCli();
  const work = mkdtempSync(join(tmpdir(), 'fox-analyze-bench-'));
  const speed: SpeedRow[] = [];
  let reanalysis: { p50: number; p95: number };
  try {
    const gen = generateProject(work, files);
    speed.push(comparePair(`generated (${files} files)`, work, files + 1, cli, runs));
    reanalysis = reanalysisP95(work, gen.files[5]!);
    const rxjs = rxjsProject(work);
    if (rxjs) speed.push(comparePair('rxjs@7 src', rxjs.dir, rxjs.files, cli, runs));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const hasRxjs = speed.length > 1;

  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const mb = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(0)} MB`);
  const tables = [
    `**Classification** (${labeled.length} labeled functions: ${bySet('labeled')} tuned set, ${bySet('holdout')} hold-out set)`,
    '',
    table(confusion),
    '',
    `**False positives on clean code** (${cleanFunctions} functions in \`corpus/clean\`)`,
    '',
    table(fpRows.map((r) => ({ rule: r.rule, findings: String(r.n), 'FP rate': pct(r.rate) }))),
    '',
    '**Speed and peak memory** (`fox analyze --format json` vs `tsc --noEmit`, separate processes)',
    '',
    table(
      speed.map((s) => ({
        project: s.project,
        'tsc time': `${(s.tscMs / 1000).toFixed(2)} s`,
        'fox analyze time': `${(s.foxMs / 1000).toFixed(2)} s`,
        'time ratio': `${(s.foxMs / s.tscMs).toFixed(2)}×`,
        'tsc peak RSS': mb(s.tscRss),
        'fox peak RSS': mb(s.foxRss),
        'memory ratio': s.tscRss && s.foxRss ? `${(s.foxRss / s.tscRss).toFixed(2)}×` : 'n/a',
      })),
    ),
    '',
    `Re-analysis of one file after a one-line edit (syntax + type-aware rules, warm project): p50 ${reanalysis.p50.toFixed(1)} ms, p95 ${reanalysis.p95.toFixed(1)} ms.`,
    ...(misses.length
      ? [
          '',
          `Misclassified: ${misses.map((m) => `${m.id} (expected ${m.expected}, got ${m.actual})`).join('; ')}`,
        ]
      : []),
  ];
  const verdicts = [
    `classification accuracy ${pct(accuracy)} (${correct}/${labeled.length}; target ≥ 95%): ${accuracy >= 0.95 ? 'PASS' : 'FAIL'}`,
    `worst per-rule false-positive rate on clean code ${pct(worstFp)} (target ≤ 5%): ${worstFp <= 0.05 ? 'PASS' : 'FAIL'}`,
    ...speed.flatMap((s) => [
      `${s.project}: fox analyze / tsc time = ${(s.foxMs / s.tscMs).toFixed(2)}× (target ≤ 1): ${s.foxMs <= s.tscMs ? 'PASS' : 'FAIL'}`,
      s.tscRss && s.foxRss
        ? `${s.project}: fox analyze / tsc peak memory = ${(s.foxRss / s.tscRss).toFixed(2)}× (target ≤ 1.5): ${s.foxRss <= 1.5 * s.tscRss ? 'PASS' : 'FAIL'}`
        : `${s.project}: peak memory not measured (/usr/bin/time missing)`,
    ]),
    `re-analysis after a one-line edit p95 ${reanalysis.p95.toFixed(1)} ms (target ≤ 150 ms): ${reanalysis.p95 <= 150 ? 'PASS' : 'FAIL'}`,
    ...(hasRxjs
      ? []
      : ['rxjs@7: skipped — node_modules/rxjs is missing (it is a devDependency: run npm ci)']),
  ];
  return {
    title: 'Analyser accuracy and speed',
    command: 'node --import tsx --conditions=source scripts/bench/analyze.ts',
    description: `Classification accuracy on a labeled corpus of realistic functions (\`language-server/test/fixtures/corpus\`, markers \`// expect: <kind>\`), per-rule false-positive rate on clean code, and \`fox analyze\` (esbuild bundle of the CLI) against \`tsc --noEmit\` on a generated ${files}-file project, ${runs} interleaved run(s), median; peak RSS from \`/usr/bin/time -v\`.`,
    table: tables.join('\n'),
    verdicts,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const filesArg = process.argv.indexOf('--files');
  const runsArg = process.argv.indexOf('--runs');
  const s = await runAnalyzeBench({
    ...(filesArg > 0 ? { files: Number(process.argv[filesArg + 1]) } : {}),
    ...(runsArg > 0 ? { runs: Number(process.argv[runsArg + 1]) } : {}),
  });
  console.log(
    [`## ${s.title}`, '', s.description, '', s.table, '', ...s.verdicts.map((v) => `- ${v}`)].join(
      '\n',
    ),
  );
}
