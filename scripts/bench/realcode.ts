import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { FoxAnalyzer } from '../../language-server/src/analysis/project.js';
import type {
  FileAnalysis,
  Finding,
  FunctionReport,
} from '../../language-server/src/analysis/types.js';
import { scanDangerous, type Site } from './analyze/dangerous.js';
import { checkFixes, typeRootsOf, type FixCheck } from './analyze/fixcheck.js';
import { JudgementIndex, readTsv, type Row } from './analyze/judgements.js';
import {
  benchDir,
  cacheRoot,
  install,
  locate,
  readProjects,
  type Installed,
} from './analyze/projects.js';
import { median, table, type BenchSection } from './report.js';

/**
 * `npm run bench -- analyze` (alias `realcode`): the analyser on real code nobody here wrote —
 * the pinned npm packages of language-server/bench/realcode/projects.json — measured as issue 16
 * asks:
 *
 * 1. precision per rule (warnings, and all findings) and per confidence, every finding matched
 *    to a hand judgement (judgements.tsv); unjudged findings are listed, never counted as right;
 * 2. classification accuracy on a hand-judged sample of non-trivial functions
 *    (classifications.tsv);
 * 3. recall on known-dangerous sites located by an AST scan independent of the analyser and
 *    judged by hand (dangerous.tsv);
 * 4. duplicates (findings sharing rule, file, line and column);
 * 5. fixes: every offered fix applied to an in-memory copy, new type errors counted;
 * 6. time (CPU) and peak memory of analyzeAll against TypeScript's syntax-only pass and its full
 *    checker on the largest project, each measurement in its own child process, interleaved.
 */

/** A function worth judging: at least 5 statements, or a loop, or at least 3 calls. */
export const NON_TRIVIAL = 'non-trivial: ≥ 5 statements, or a loop, or ≥ 3 calls';

const TEST_FILE = /(^|\/)(test|tests|__tests__|spec|testing)\/|\.(test|spec)\.[cm]?tsx?$/;

interface Tally {
  n: number;
  tp: number;
  unjudged: number;
}
const empty = (): Tally => ({ n: 0, tp: 0, unjudged: 0 });
const add = (t: Tally, verdict: string | undefined) => {
  t.n++;
  if (verdict === 'tp') t.tp++;
  if (verdict === undefined) t.unjudged++;
};
const judgedOf = (t: Tally) => t.n - t.unjudged;
const ratio = (num: number, den: number) =>
  den === 0 ? '—' : `${((100 * num) / den).toFixed(0)}% (${num}/${den})`;
const pct = (t: Tally) => ratio(t.tp, judgedOf(t));

/** Statements, loops and calls in a function's own body (not in nested functions). */
function sizeOf(node: ts.Node): { statements: number; loops: number; calls: number } {
  const s = { statements: 0, loops: 0, calls: 0 };
  const body = (node as ts.FunctionLikeDeclaration).body;
  if (!body) return s;
  const visit = (n: ts.Node): void => {
    if (n !== body && ts.isFunctionLike(n)) return;
    if (ts.isIterationStatement(n, false)) s.loops++;
    if (ts.isCallExpression(n)) s.calls++;
    if (ts.isStatement(n) && !ts.isBlock(n)) s.statements++;
    ts.forEachChild(n, visit);
  };
  visit(body);
  return s;
}

interface FnInfo {
  key: string;
  project: string;
  report: FunctionReport;
  location: string;
  nonTrivial: boolean;
  test: boolean;
}

/** Functions by their judgement key (`file relative to the project#name`), with their size. */
function functionsOf(inst: Installed, analyzer: FoxAnalyzer, files: FileAnalysis[]): FnInfo[] {
  const out: FnInfo[] = [];
  for (const analysis of files) {
    const path = analysis.path;
    const sf = analyzer.project.getSourceFile(path);
    if (!sf) continue;
    const byLine = new Map<string, ts.Node>();
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) {
        const p = sf.compilerNode.getLineAndCharacterOfPosition(n.getStart(sf.compilerNode));
        byLine.set(`${p.line + 1}`, n);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf.compilerNode);
    for (const f of analysis.functions) {
      const rel = relative(inst.base, path);
      const node = byLine.get(String(f.line));
      const size = node ? sizeOf(node) : { statements: 0, loops: 0, calls: 0 };
      out.push({
        key: `${rel}#${f.id.slice(f.id.indexOf('#') + 1)}`,
        project: inst.project.name,
        report: f,
        location: `${rel}:${f.line}:${f.column}`,
        nonTrivial: size.statements >= 5 || size.loops > 0 || size.calls >= 3,
        test: TEST_FILE.test(rel),
      });
    }
  }
  return out;
}

interface Measured {
  mode: string;
  cpuMs: number;
  wallMs: number;
  maxRssMb: number;
  heapMb: number;
}

function measureChild(mode: string, jobPath: string): Measured {
  const child = join(fileURLToPath(new URL('.', import.meta.url)), 'analyze', 'measure-child.ts');
  const r = spawnSync(process.execPath, [...process.execArgv, child, mode, jobPath], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`measure ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Measured;
}

export interface RealCodeOptions {
  /** Interleaved timing rounds (default 3; 0 skips timing). */
  rounds?: number;
  /** Skip the fix check. */
  noFixes?: boolean;
}

export async function runRealCodeBench(options: RealCodeOptions = {}): Promise<BenchSection> {
  // FOX_BENCH_ROUNDS=reuse takes the timing of the last run that measured it (its date is printed).
  const reuse = process.env.FOX_BENCH_ROUNDS === 'reuse';
  const rounds = options.rounds ?? (reuse ? 0 : Number(process.env.FOX_BENCH_ROUNDS ?? 3));
  // FOX_REALCODE_ONLY=a,b limits the run to some projects (while judging).
  const only = process.env.FOX_REALCODE_ONLY?.split(',');
  const projects = readProjects()
    .filter((p) => !only || only.includes(p.name))
    .map(install);
  const judgements = new JudgementIndex(readTsv('judgements.tsv'));
  const inRun = (r: Row) => projects.some((p) => p.project.name === r.project);
  const classRows = readTsv('classifications.tsv').filter(inRun);
  const dangerRows = readTsv('dangerous.tsv').filter(inRun);

  const byRule = new Map<string, { warnings: Tally; all: Tally }>();
  const byConfidence = new Map<string, Tally>();
  const unjudged: string[] = [];
  const loose: string[] = [];
  const sizes: string[] = [];
  const duplicates: string[] = [];
  const fixChecks: { project: string; check: FixCheck }[] = [];
  const functions = new Map<string, FnInfo>();
  const candidates: FnInfo[] = [];
  const sites: { project: string; location: string; site: Site; reported: Finding[] }[] = [];
  let totalFindings = 0;

  for (const inst of projects) {
    const name = inst.project.name;
    const started = performance.now();
    const analyzer = FoxAnalyzer.fromDirectory(inst.analyzeDir);
    const result = analyzer.analyzeAll({ phase: 'all' });
    const pkgs = inst.project.packages.map((p) => `${p.package}@${p.version}`).join(' + ');
    sizes.push(
      `${name} (${pkgs}): ${result.files.length} files, ${result.functions.length} functions`,
    );
    totalFindings += result.findings.length;

    // ── findings against judgements ──
    const seen = new Map<string, number>();
    for (const f of result.findings) {
      const location = locate(inst, f.path, f.line, f.column);
      const dup = `${f.rule} ${location}`;
      seen.set(dup, (seen.get(dup) ?? 0) + 1);
      if (seen.get(dup) === 2) duplicates.push(`${name} ${dup}`);
      const hit = judgements.find({
        project: name,
        rule: f.rule,
        location,
        functionId: f.functionId ?? '',
      });
      const verdict = hit?.row.verdict;
      if (!hit) {
        unjudged.push(
          [
            name,
            f.rule,
            location,
            f.functionId ?? '',
            '',
            `${f.severity}/${f.confidence}: ${f.message.replace(/\s+/g, ' ')}`,
          ].join('\t'),
        );
      } else if (hit.match !== 'exact') {
        loose.push(
          `${name} ${f.rule} ${location} (judged at ${hit.row.location}, by ${hit.match})`,
        );
      }
      const rule = byRule.get(f.rule) ?? { warnings: empty(), all: empty() };
      byRule.set(f.rule, rule);
      add(rule.all, verdict);
      if (f.severity !== 'hint') add(rule.warnings, verdict);
      const conf = byConfidence.get(f.confidence) ?? empty();
      byConfidence.set(f.confidence, conf);
      add(conf, verdict);
    }

    // ── functions ──
    for (const fn of functionsOf(inst, analyzer, result.files)) {
      functions.set(`${name}\0${fn.key}`, fn);
      if (fn.nonTrivial && !fn.test) candidates.push(fn);
    }

    // ── dangerous sites (independent scan) ──
    for (const site of scanDangerous(inst.files)) {
      const rel = relative(inst.base, site.path);
      // Reported: a finding on the site's line, one naming that line as evidence, or one whose
      // message names the call (an interprocedural finding reports the async caller).
      const callee = site.text.replace(/\s+/g, '');
      const reported = result.findings.filter(
        (f) =>
          f.path === site.path &&
          (f.line === site.line ||
            f.evidence.some((e) => e.line === site.line) ||
            (site.kind === 'blocking' && f.message.includes(`(${callee})`))),
      );
      sites.push({ project: name, location: `${rel}:${site.line}:${site.column}`, site, reported });
    }

    // ── fixes ──
    console.error(
      `${name}: ${result.files.length} files, ${result.findings.length} findings, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const fixStart = performance.now();
    if (!options.noFixes) {
      const check = checkFixes(inst, analyzer, result.findings);
      fixChecks.push({ project: name, check });
      console.error(
        `${name}: ${check.applied}/${check.offered} fixes checked, +${check.newErrors} errors (baseline ${check.baselineErrors}), ${((performance.now() - fixStart) / 1000).toFixed(1)} s`,
      );
    }
  }

  // ── classification accuracy ──
  console.error('findings, functions, sites and fixes done');
  const classified = classRows.map((r) => {
    const fn = functions.get(`${r.project}\0${r.function}`);
    const expected = (r.expected ?? '').split('/');
    return { row: r, fn, right: fn ? expected.includes(fn.report.kind) : undefined };
  });
  const present = classified.filter((c) => c.fn);
  const rightCount = present.filter((c) => c.right).length;
  const missingFns = classified
    .filter((c) => !c.fn)
    .map((c) => `${c.row.project} ${c.row.function}`);
  const judgedFnKeys = new Set(classRows.map((r) => `${r.project}\0${r.function}`));
  const hash = (s: string) => createHash('sha1').update(s).digest('hex');
  const toJudge = candidates
    .filter((c) => !judgedFnKeys.has(`${c.project}\0${c.key}`))
    .sort((a, b) => hash(a.key).localeCompare(hash(b.key)));
  const byKind = (kind: string) => {
    const xs = present.filter((c) => c.fn!.report.kind === kind);
    return `${kind} ${xs.filter((c) => c.right).length}/${xs.length}`;
  };

  // ── recall ──
  const dangerIndex = new Map(dangerRows.map((r) => [`${r.project}\0${r.location}`, r]));
  const truly = sites.filter(
    (s) => dangerIndex.get(`${s.project}\0${s.location}`)?.verdict === 'dangerous',
  );
  const unjudgedSites = sites.filter((s) => !dangerIndex.has(`${s.project}\0${s.location}`));
  const caught = truly.filter((s) => s.reported.length > 0);
  const caughtWarn = truly.filter((s) => s.reported.some((f) => f.severity !== 'hint'));
  const missed = truly.filter((s) => s.reported.length === 0);

  // ── time and memory on the largest project ──
  const largest = [...projects].sort((a, b) => b.files.length - a.files.length)[0]!;
  let timing: Measured[] = [];
  let timedAt = new Date().toISOString();
  let timedRounds = rounds;
  const timingFile = join(cacheRoot, 'timing.json');
  const modes = ['ts-syntax', 'fox-syntax', 'ts-check', 'fox-all'];
  // A timing run holds a lock; a reuse run waits for it (up to 30 minutes).
  const lock = `${timingFile}.lock`;
  if (rounds > 0) {
    writeFileSync(lock, String(process.pid));
    const jobPath = join(cacheRoot, 'measure-job.json');
    writeFileSync(
      jobPath,
      JSON.stringify({
        analyzeDir: largest.analyzeDir,
        files: largest.files,
        typeRoots: typeRootsOf(largest),
      }),
    );
    for (let i = 0; i < rounds; i++) {
      // Rotated order per round, so no mode always runs first on a warm or cold machine.
      for (let j = 0; j < modes.length; j++) {
        timing.push(measureChild(modes[(i + j) % modes.length]!, jobPath));
        console.error(`timing round ${i + 1}: ${JSON.stringify(timing.at(-1))}`);
      }
    }
    writeFileSync(
      timingFile,
      JSON.stringify({ at: timedAt, rounds, project: largest.project.name, timing }),
    );
    rmSync(lock, { force: true });
  } else if (reuse) {
    const until = Date.now() + 30 * 60_000;
    while (existsSync(lock) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  if (rounds === 0 && reuse && existsSync(timingFile)) {
    const saved = JSON.parse(readFileSync(timingFile, 'utf8')) as {
      at: string;
      rounds: number;
      timing: Measured[];
    };
    timing = saved.timing;
    timedAt = saved.at;
    timedRounds = saved.rounds;
  }
  const med = (mode: string, k: keyof Omit<Measured, 'mode'>) =>
    median(timing.filter((t) => t.mode === mode).map((t) => t[k]));

  // ── write the lists to judge ──
  mkdirSync(cacheRoot, { recursive: true });
  const header = 'project\trule\tlocation\tfunction\tverdict\treason';
  writeFileSync(join(cacheRoot, 'unjudged-findings.tsv'), [header, ...unjudged].join('\n') + '\n');
  writeFileSync(
    join(cacheRoot, 'unjudged-dangerous.tsv'),
    [
      'project\tlocation\tkind\tverdict\treason',
      ...unjudgedSites.map(
        (s) =>
          `${s.project}\t${s.location}\t${s.site.kind}\t\t${s.site.text.replace(/\s+/g, ' ')} in ${s.site.context} (${s.site.via})`,
      ),
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(cacheRoot, 'classification-candidates.tsv'),
    [
      'project\tfunction\tkind\tverdict\texpected\treason',
      ...toJudge.map((c) => `${c.project}\t${c.key}\t${c.report.kind}\t\t\t${c.location}`),
    ].join('\n') + '\n',
  );

  // ── report ──
  const ruleRows = [...byRule.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, t]) => ({
      measure: `${rule} precision`,
      result: `warnings ${pct(t.warnings)} of ${t.warnings.n}; all findings ${pct(t.all)} of ${t.all.n}`,
      target:
        judgedOf(t.warnings) >= 10
          ? 'warnings ≥ 90%'
          : 'warnings ≥ 90% (< 10 judged: not assessed)',
    }));
  const confRows = ['certain', 'likely', 'possible'].map((c) => {
    const t = byConfidence.get(c) ?? empty();
    return { measure: `${c} precision`, result: `${pct(t)} of ${t.n}`, target: '—' };
  });
  const accuracy = present.length ? rightCount / present.length : NaN;
  const recall = truly.length ? caught.length / truly.length : NaN;
  const recallWarn = truly.length ? caughtWarn.length / truly.length : NaN;
  const fixTotals = fixChecks.reduce(
    (a, { check }) => ({
      offered: a.offered + check.offered,
      applied: a.applied + check.applied,
      newErrors: a.newErrors + check.newErrors,
    }),
    { offered: 0, applied: 0, newErrors: 0 },
  );
  const failingFixes = fixChecks.flatMap(({ project, check }) =>
    check.failing.map((f) => `${project} ${f}`),
  );
  const unavailableFixes = fixChecks.flatMap(({ project, check }) =>
    check.unavailable.map((f) => `${project} ${f}`),
  );
  const r = (a: string, b: string, k: 'cpuMs' | 'maxRssMb') => med(a, k) / med(b, k);
  const rows = [
    ...ruleRows,
    ...confRows,
    {
      measure: 'classification accuracy',
      result: `${ratio(rightCount, present.length)} (${['cpu', 'io', 'mixed', 'light'].map(byKind).join(', ')})`,
      target: '≥ 85%',
    },
    {
      measure: 'recall on dangerous sites',
      result: `any finding ${ratio(caught.length, truly.length)}; warnings ${ratio(caughtWarn.length, truly.length)}`,
      target: '≥ 90%',
    },
    { measure: 'duplicate findings', result: String(duplicates.length), target: '0' },
    {
      measure: 'fixes: new tsc errors',
      result: `${fixTotals.newErrors} from ${fixTotals.applied} applied of ${fixTotals.offered} offered`,
      target: '0',
    },
    ...(timing.length
      ? [
          {
            measure: 'CPU: fox analyzeAll (syntax) / ts syntax-only',
            result: `${r('fox-syntax', 'ts-syntax', 'cpuMs').toFixed(2)}× (${(med('fox-syntax', 'cpuMs') / 1000).toFixed(2)} s / ${(med('ts-syntax', 'cpuMs') / 1000).toFixed(2)} s)`,
            target: '≤ 0.5×',
          },
          {
            measure: 'CPU: fox analyzeAll (all phases) / ts full check',
            result: `${r('fox-all', 'ts-check', 'cpuMs').toFixed(2)}× (${(med('fox-all', 'cpuMs') / 1000).toFixed(2)} s / ${(med('ts-check', 'cpuMs') / 1000).toFixed(2)} s)`,
            target: '≤ 1×',
          },
          {
            measure: 'peak RSS: fox (syntax) / ts syntax-only',
            result: `${r('fox-syntax', 'ts-syntax', 'maxRssMb').toFixed(2)}× (${med('fox-syntax', 'maxRssMb').toFixed(0)} MB / ${med('ts-syntax', 'maxRssMb').toFixed(0)} MB)`,
            target: '≤ 1×',
          },
          {
            measure: 'peak RSS: fox (all phases) / ts full check',
            result: `${r('fox-all', 'ts-check', 'maxRssMb').toFixed(2)}× (${med('fox-all', 'maxRssMb').toFixed(0)} MB / ${med('ts-check', 'maxRssMb').toFixed(0)} MB)`,
            target: '≤ 1×',
          },
        ]
      : []),
  ];

  const verdict = (label: string, ok: boolean) => `${label}: ${ok ? 'PASS' : 'FAIL'}`;
  const verdicts = [
    ...[...byRule.entries()]
      .filter(([, t]) => judgedOf(t.warnings) >= 10)
      .map(([rule, t]) =>
        verdict(
          `${rule} warnings precision ${pct(t.warnings)} (target ≥ 90%)`,
          t.warnings.tp / judgedOf(t.warnings) >= 0.9,
        ),
      ),
    ...[...byRule.entries()]
      .filter(([, t]) => judgedOf(t.warnings) < 10)
      .map(
        ([rule, t]) =>
          `${rule}: ${judgedOf(t.warnings)} judged warnings (< 10), precision not assessed`,
      ),
    verdict(
      `classification accuracy ${ratio(rightCount, present.length)} (target ≥ 85%)`,
      accuracy >= 0.85,
    ),
    verdict(
      `recall ${ratio(caught.length, truly.length)} at any confidence (target ≥ 90%)`,
      recall >= 0.9,
    ),
    verdict(
      `recall at warning level ${ratio(caughtWarn.length, truly.length)} (target ≥ 90%)`,
      recallWarn >= 0.9,
    ),
    verdict(`${duplicates.length} duplicate findings (target 0)`, duplicates.length === 0),
    verdict(
      `${fixTotals.newErrors} new tsc errors from ${fixTotals.applied} applied fixes (target 0)`,
      fixTotals.newErrors === 0,
    ),
    ...(timing.length
      ? [
          verdict(
            `time (syntax phase) ${r('fox-syntax', 'ts-syntax', 'cpuMs').toFixed(2)}× TypeScript's syntax-only pass (target ≤ 0.5×)`,
            r('fox-syntax', 'ts-syntax', 'cpuMs') <= 0.5,
          ),
          verdict(
            `time (all phases) ${r('fox-all', 'ts-check', 'cpuMs').toFixed(2)}× the full checker (target ≤ 1×)`,
            r('fox-all', 'ts-check', 'cpuMs') <= 1,
          ),
          verdict(
            `memory ${r('fox-syntax', 'ts-syntax', 'maxRssMb').toFixed(2)}× (syntax) and ${r('fox-all', 'ts-check', 'maxRssMb').toFixed(2)}× (all phases) TypeScript's peak RSS (target ≤ 1×)`,
            r('fox-syntax', 'ts-syntax', 'maxRssMb') <= 1 &&
              r('fox-all', 'ts-check', 'maxRssMb') <= 1,
          ),
        ]
      : ['time and memory: not measured (rounds 0)']),
    `unjudged: ${unjudged.length} findings, ${unjudgedSites.length} scanned sites; classification sample ${present.length} judged (${missingFns.length} judged functions no longer reported)`,
  ];

  const heap = (mode: string) => med(mode, 'heapMb').toFixed(0);
  const list = (label: string, xs: string[]) =>
    xs.length ? [`${label} (${xs.length}): ${xs.join('; ')}.`] : [];
  const description = [
    `Projects (npm tarballs, their src/, pinned; a project of several packages is one monorepo's packages analysed together): ${sizes.join('; ')}. ${totalFindings} findings.`,
    '',
    'Judged by hand, a one-line reason each, read from the code, the verdict being whether the advice is right for a Node service using the code: every finding (language-server/bench/realcode/judgements.tsv, keyed by project, rule, file:line:column and function id; a finding that moved within its line or function is matched loosely and listed); a sample of non-trivial functions (classifications.tsv; ' +
      `${NON_TRIVIAL}, outside test files; the first of each project in a hash order of their ids (65), plus 22 the analyser called cpu or mixed, since those drive its advice; the expected kinds are recorded, so the accuracy follows the analyser's answer); and the sites an AST scan independent of the analyser locates (dangerous.tsv): ` +
      '`*Sync` calls of node:fs, child_process, crypto, zlib and bcrypt in functions that are async or reachable from async ones over a name-based call graph, and `Promise.all(x.map(…))` over a parameter-derived array, test files left out. Recall: a true dangerous site counts as reported when a finding sits on its line, names that line as evidence, or (a blocking call) names the call in its message, as an interprocedural finding on the async caller does.',
    '',
    `Fixes: each offered fix applied alone to an in-memory copy (${fixChecks[0]?.check.resolver ? 'FoxAnalyzer.resolveFix edit sets' : "the fix's own edits; FoxAnalyzer.resolveFix not present"}), errors of the edited files compared with the untouched project's as (file, code, message) multisets; strict ES2022, bundler resolution, runtime dependencies installed except for theia (Electron, Monaco, inversify…: its baseline is mostly unresolved imports, so a fix's new error there can be a variant of a baseline one, such as an implicit-any parameter under a new name), @fox/sdk resolved to this repo's declarations. Baseline errors: ${fixChecks.map(({ project, check }) => `${project} ${check.baselineErrors}`).join(', ')}.`,
    '',
    timing.length
      ? `Time and memory on the largest project (${largest.project.name}, ${largest.files.length} files), measured ${timedAt.slice(0, 16).replace('T', ' ')} UTC, ${timedRounds} interleaved rounds, each measurement in a fresh child process, median: CPU time (process.cpuUsage) of FoxAnalyzer.fromDirectory + analyzeAll({ phase }) (module loading excluded for both) against ts.createProgram + getSyntacticDiagnostics of every file (syntax-only) and + getSemanticDiagnostics (the full checker, what tsc --noEmit reports); peak RSS (resourceUsage().maxRSS) of each child. Heap in use at the end: fox syntax ${heap('fox-syntax')} MB, fox all ${heap('fox-all')} MB, ts syntax ${heap('ts-syntax')} MB, ts check ${heap('ts-check')} MB. Wall: ${modes.map((m) => `${m} ${(med(m, 'wallMs') / 1000).toFixed(2)} s`).join(', ')}.`
      : '',
    '',
    ...list(
      'Missed dangerous sites',
      missed.map((s) => `${s.project} ${s.location} ${s.site.text}`),
    ),
    ...list('Fixes adding tsc errors', failingFixes),
    ...list('Fixes unavailable', unavailableFixes),
    ...list('Duplicates', duplicates),
    ...list('Loosely matched judgements', loose),
    ...list(
      'Unjudged findings',
      unjudged.map((u) => u.split('\t').slice(0, 3).join(' ')),
    ),
    ...list('Judged functions no longer reported', missingFns),
  ].join('\n');

  for (const u of unjudged) console.log(`UNJUDGED finding\t${u}`);
  for (const s of unjudgedSites)
    console.log(`UNJUDGED site\t${s.project}\t${s.location}\t${s.site.text}`);
  console.log(
    `lists to judge: ${join(cacheRoot, 'unjudged-findings.tsv')}, ${join(cacheRoot, 'unjudged-dangerous.tsv')}, ${join(cacheRoot, 'classification-candidates.tsv')} (benchmark files in ${benchDir})`,
  );
  return {
    title: 'Analyser on real code (issue 16: how it is measured)',
    command: 'npm run bench -- analyze',
    description,
    table: table(rows),
    verdicts,
  };
}

export type { Row };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await runRealCodeBench({ noFixes: process.argv.includes('--no-fixes') });
  console.log([s.description, '', s.table, '', ...s.verdicts.map((v) => `- ${v}`)].join('\n'));
}
