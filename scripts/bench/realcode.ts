import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FoxAnalyzer, type Finding } from '../../language-server/src/index.js';
import { table, type BenchSection } from './report.js';

/**
 * Precision of the analyser on code nobody here wrote: the projects pinned in
 * language-server/bench/realcode/projects.json (npm tarballs, their `src/`), every finding
 * matched against the hand judgements in judgements.tsv (finding, verdict, one-line reason).
 * A finding without a judgement is listed and counted as unjudged, never as right.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = join(root, 'language-server', 'bench', 'realcode');

interface Project {
  name: string;
  package: string;
  version: string;
  src: string;
}

type Verdict = 'tp' | 'fp';

/** Downloads (once) and unpacks a pinned tarball from the registry; returns its folder. */
function install(p: Project): string {
  const cache = join(tmpdir(), 'fox-realcode', `${p.name}-${p.version}`);
  const pkg = join(cache, 'package');
  if (existsSync(pkg)) return pkg;
  mkdirSync(cache, { recursive: true });
  const packed = spawnSync('npm', ['pack', `${p.package}@${p.version}`, '--silent'], {
    cwd: cache,
    encoding: 'utf8',
  });
  if (packed.status !== 0) throw new Error(`npm pack ${p.package}@${p.version}: ${packed.stderr}`);
  const tarball = packed.stdout.trim().split('\n').at(-1)!;
  const untar = spawnSync('tar', ['xzf', tarball], { cwd: cache, encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar ${tarball}: ${untar.stderr}`);
  return pkg;
}

function readJudgements(): Map<string, Verdict> {
  const lines = readFileSync(join(benchDir, 'judgements.tsv'), 'utf8').trim().split('\n');
  const out = new Map<string, Verdict>();
  for (const line of lines.slice(1)) {
    const [project, rule, location, verdict] = line.split('\t');
    out.set(`${project} ${rule} ${location}`, verdict as Verdict);
  }
  return out;
}

interface Tally {
  findings: number;
  tp: number;
  unjudged: number;
}

const pct = (t: Tally): string =>
  t.findings - t.unjudged === 0
    ? '—'
    : `${((100 * t.tp) / (t.findings - t.unjudged)).toFixed(0)}% (${t.tp}/${t.findings - t.unjudged})`;

export async function runRealCodeBench(): Promise<BenchSection> {
  const { projects } = JSON.parse(readFileSync(join(benchDir, 'projects.json'), 'utf8')) as {
    projects: Project[];
  };
  const judged = readJudgements();
  const byRule = new Map<string, { warnings: Tally; all: Tally }>();
  const byConfidence = new Map<string, Tally>();
  const unjudged: string[] = [];
  const sizes: string[] = [];
  const add = (t: Tally, verdict: Verdict | undefined) => {
    t.findings++;
    if (verdict === 'tp') t.tp++;
    if (verdict === undefined) t.unjudged++;
  };
  const empty = (): Tally => ({ findings: 0, tp: 0, unjudged: 0 });
  for (const p of projects) {
    const dir = install(p);
    const result = FoxAnalyzer.fromDirectory(join(dir, p.src)).analyzeAll();
    sizes.push(`${p.package}@${p.version} ${result.files.length} files`);
    for (const f of result.findings as Finding[]) {
      const location = `${relative(dir, f.path)}:${f.line}`;
      const key = `${p.name} ${f.rule} ${location}`;
      const verdict = judged.get(key);
      if (verdict === undefined) unjudged.push(key);
      const rule = byRule.get(f.rule) ?? { warnings: empty(), all: empty() };
      byRule.set(f.rule, rule);
      add(rule.all, verdict);
      if (f.severity !== 'hint') add(rule.warnings, verdict);
      const conf = byConfidence.get(f.confidence) ?? empty();
      byConfidence.set(f.confidence, conf);
      add(conf, verdict);
    }
  }
  const rows = [...byRule.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, t]) => ({
      rule,
      'findings (warnings + hints)': String(t.all.findings),
      'warnings (default severity)': String(t.warnings.findings),
      'precision of warnings': pct(t.warnings),
      'precision of all findings': pct(t.all),
    }));
  const confidence = [...byConfidence.entries()].map(
    ([c, t]) => `${c}: ${pct(t)} of ${t.findings}`,
  );
  return {
    title: 'Analyser on real code: precision per rule',
    command: 'npm run bench -- realcode',
    description:
      `Projects (npm tarballs, their src/, pinned): ${sizes.join('; ')}. Every finding is ` +
      'matched to a hand judgement in language-server/bench/realcode/judgements.tsv (verdict ' +
      'and a one-line reason). Precision by confidence: ' +
      `${confidence.join('; ')}. Unjudged findings: ${unjudged.length}` +
      (unjudged.length ? ` (${unjudged.join(', ')})` : '') +
      '. Fewer than the issue asks for: no project of ≥ 1,000 files and fewer than 30 judged ' +
      'findings per rule yet, so a precision here is a small sample, not the target.',
    table: table(rows),
    verdicts: rows.map((r) => `${r.rule}: warnings ${r['precision of warnings']}`),
  };
}
