import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, type BenchSection } from './report.js';

/**
 * `npm run bench [-- name…]`: runs the benchmarks (all, or the named ones), prints each table
 * with its verdicts, and rewrites docs/benchmarks.md with the results of this run.
 */

type Bench = () => Promise<BenchSection>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  overhead: async () => (await import('./overhead.js')).runOverheadBench,
  wfox: async () => wfoxSection,
  policies: async () => policiesSection,
  profiler: async () => (await import('./profiler.js')).runProfilerBench,
  'cpu-sampling': async () => (await import('./cpu-sampling.js')).runCpuSamplingBench,
  // Issue 16's measurement on real code; `realcode` is its old name.
  analyze: async () => (await import('./realcode.js')).runRealCodeBench,
  // The labeled corpus, the clean-code false-positive rates and fox analyze vs tsc on a generated
  // project (what `analyze` ran before issue 16).
  'analyze-corpus': async () => (await import('./analyze.js')).runAnalyzeBench,
  tfox: async () => (await import('./tfox.js')).runTfoxBench,
  'tfox-cold': async () => (await import('./tfox-cold.js')).runTfoxColdBench,
  mfox: async () => (await import('./mfox.js')).runMfoxBench,
  auto: async () => (await import('./auto.js')).runAutoBench,
  'auto-latency': async () => (await import('./auto-latency.js')).runAutoLatencyBench,
  guardian: async () => (await import('./guardian.js')).runGuardianBench,
  'guardian-webhooks': async () =>
    (await import('./guardian-webhooks.js')).runGuardianWebhooksBench,
  chaos: async () => (await import('./chaos.js')).runChaosBench,
  flows: async () => (await import('./flows.js')).runFlowsBench,
  cache: async () => (await import('./cache.js')).runCacheBench,
  metrics: async () => (await import('./metrics.js')).runMetricsBench,
  dfox: async () => (await import('./dfox.js')).runDfoxBench,
  tune: async () => (await import('./tune.js')).runTuneBench,
};

/** The policy overhead benchmark as a report section, with the targets. */
async function policiesSection(): Promise<BenchSection> {
  const { runPoliciesBench } = await import('./policies.js');
  const r = await runPoliciesBench();
  const over = (name: string) => r.rows.find((row) => row.name === name)?.overheadNs ?? NaN;
  const rb = over('fox retry+breaker');
  const rbt = over('fox retry+breaker+timeout');
  const hit = over('fox cache L1 hit');
  const verdict = (label: string, ok: boolean) => `${label}: ${ok ? 'PASS' : 'FAIL'}`;
  return {
    title: 'Resilience policies: no-failure overhead',
    command: 'npm run bench -- policies',
    description:
      'Sequential awaited calls of a trivial async attempt through each chain, 1e6 calls (2e5 for the peers and the cache miss), median of 3 interleaved rounds; overhead is against the bare await of the same round.',
    table: table(
      r.rows.map((row) => ({
        case: row.name,
        calls: row.calls.toLocaleString('en'),
        'ns/call': row.nsPerCall.toFixed(0),
        'overhead ns': row.overheadNs.toFixed(0),
      })),
    ),
    verdicts: [
      verdict(`retry+breaker overhead ${rb.toFixed(0)} ns (target ≤ 500)`, rb <= 500),
      verdict(`retry+breaker+timeout overhead ${rbt.toFixed(0)} ns (target ≤ 1000)`, rbt <= 1000),
      verdict(
        `cockatiel wrap(retry, breaker, timeout) / fox = ${r.vsCockatiel.toFixed(1)}× (target ≥ 10)`,
        r.vsCockatiel >= 10,
      ),
      verdict(`opossum fire() / fox = ${r.vsOpossum.toFixed(2)}× (target > 1)`, r.vsOpossum > 1),
      verdict(`cache L1 hit overhead ${hit.toFixed(0)} ns (target ≤ 300)`, hit <= 300),
    ],
  };
}

/** The wfox simulation as a report section (its own runner prints a plain-text table). */
async function wfoxSection(): Promise<BenchSection> {
  const { runWfoxBench } = await import('./wfox.js');
  const { rows } = await runWfoxBench();
  const fmt = (x: number | undefined, d: number) =>
    x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);
  return {
    title: 'wfox adaptive concurrency (simulated backend)',
    command: 'npm run bench -- wfox',
    description:
      'Discrete-event simulation in virtual time (seed 42, 60 s, 5 s warm-up): a backend serving 32 calls at 20 ms that slows down beyond that (queueing model), deadline 200 ms, limiter queue 64 with a 100 ms queue timeout. Best fixed = lowest p99 among fixed limits within 1% of the top goodput.',
    table: table(
      rows.map((r) => ({
        scenario: r.scenario,
        limiter: r.name,
        'goodput/s': fmt(r.goodput, 0),
        'p99 ms': fmt(r.p99, 1),
        rejected: `${(r.rejected * 100).toFixed(1)}%`,
        'mean limit': fmt(r.meanLimit, 1),
        'goodput × best': fmt(r.goodputRatio, 3),
        'p99 × best': fmt(r.p99Ratio, 3),
      })),
    ),
    verdicts: rows
      .filter((r) => r.pass !== undefined)
      .map(
        (r) =>
          `${r.scenario}, ${r.name}: goodput ${fmt(r.goodputRatio, 3)}× best fixed (target ≥ 0.9), p99 ${fmt(r.p99Ratio, 3)}× (target ≤ 1.5): ${r.pass ? 'PASS' : 'FAIL'}`,
      ),
  };
}

const here = dirname(fileURLToPath(import.meta.url));
/** Old names still accepted. */
const ALIASES: Record<string, string> = { realcode: 'analyze' };
const wanted = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('-'))
  .map((a) => ALIASES[a] ?? a);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
for (const n of names) {
  if (!BENCHES[n]) {
    console.error(
      `unknown benchmark '${n}' (known: ${[...Object.keys(BENCHES), ...Object.keys(ALIASES)].join(', ')})`,
    );
    process.exit(2);
  }
}

const docs = join(here, '../../docs');
const sectionDir = join(docs, 'bench');
mkdirSync(sectionDir, { recursive: true });
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;

// Several benchmarks: each in a fresh process, so one's runtime state (a shut-down fox, warm
// JIT, pools) cannot touch the next; each child writes its own section file.
if (names.length > 1) {
  for (const name of names) {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), name],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) console.error(`benchmark '${name}' failed (exit ${r.status})`);
  }
}

for (const name of names.length > 1 ? [] : names) {
  console.log(`\n== ${name}`);
  const section = await (await BENCHES[name]!())();
  console.log(section.table);
  for (const v of section.verdicts) console.log(`  ${v}`);
  // Each section keeps the date and machine of the run that produced it.
  const text = [
    `## ${section.title}`,
    '',
    section.description,
    '',
    `Command: \`${section.command}\` — run on ${new Date().toISOString().slice(0, 10)} (${machine}).`,
    '',
    section.table,
    '',
    ...section.verdicts.map((v) => `- ${v}`),
    '',
  ].join('\n');
  writeFileSync(join(sectionDir, `${name}.md`), text);
}

// docs/benchmarks.md: every section's latest run, in the order of BENCHES.
const parts = Object.keys(BENCHES)
  .map((n) => join(sectionDir, `${n}.md`))
  .filter((f) => existsSync(f))
  .map((f) => readFileSync(f, 'utf8'));
writeFileSync(
  join(docs, 'benchmarks.md'),
  [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (all) or `npm run bench -- <name>` (one section; its file in',
    '`docs/bench/` is replaced and this page re-assembled). Every comparison runs its peers in the',
    'same run; ratios, not absolute numbers, are the result. The machine is a shared 2-core VM, so',
    'absolute numbers move between runs.',
    '',
    ...parts,
  ].join('\n'),
);
console.log('\nwrote docs/benchmarks.md');
