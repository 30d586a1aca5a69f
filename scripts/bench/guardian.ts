/**
 * Guardian decision latency in-process: a proposal recorded, decided by the policy, written to
 * the hash-chained audit log (SQLite, WAL, synchronous=NORMAL) and applied (a no-op change);
 * a proposal left pending for people; and an approval that completes one. Target: p99 < 1 ms.
 *
 *   node --import tsx --conditions=source scripts/bench/guardian.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Guardian } from '../../sdk/src/guardian/guardian.js';
import { openAuditLog } from '../../sdk/src/guardian/paths.js';
import { decide, GuardianPolicySchema } from '../../sdk/src/guardian/policy.js';
import { openStore } from '../../sdk/src/store/store.js';
import { table, type BenchSection } from './report.js';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * q) - 1)]!;
}

export async function runGuardianBench(options: { quick?: boolean } = {}): Promise<BenchSection> {
  const n = options.quick ? 300 : 2000;
  const dir = mkdtempSync(join(tmpdir(), 'fox-guardian-bench-'));
  const dbPath = join(dir, 'fox.db');
  const store = openStore({ path: dbPath });
  const audit = openAuditLog(store.connection(), dbPath);
  const guardian = new Guardian({
    db: store.connection(),
    audit,
    policy: {
      approvers: ['alice', 'bob'],
      required: 1,
      rules: [{ impact: 'low', decide: 'approve' }],
    },
    resolveTask: () => ({ policies: { get: () => ({ configure: () => undefined }) } }),
  });
  const payload = (i: number) => ({ policy: 'retry', config: { attempts: 1 + (i % 5) } });
  const timings: Record<string, number[]> = { auto: [], pending: [], approve: [] };
  const pending: { id: string; hash: string }[] = [];
  try {
    for (let i = 0; i < n + 100; i++) {
      const warm = i < 100;
      let t = performance.now();
      await guardian.propose({
        kind: 'policy-change',
        taskId: 'src/a.ts#f',
        payload: payload(i),
        impact: 'low',
        proposer: 'tuner',
      });
      if (!warm) timings['auto']!.push(performance.now() - t);
      t = performance.now();
      const p = await guardian.propose({
        kind: 'policy-change',
        taskId: 'src/a.ts#f',
        payload: payload(i),
        impact: 'high',
        proposer: 'tuner',
      });
      if (!warm) timings['pending']!.push(performance.now() - t);
      pending.push({ id: p.id, hash: p.payloadHash });
    }
    for (const [i, p] of pending.entries()) {
      const t = performance.now();
      await guardian.approve(p.id, { approver: 'alice', payloadHash: p.hash });
      if (i >= 100) timings['approve']!.push(performance.now() - t);
    }
    audit.close();
    const verify = audit.verify();
    if (!verify.ok)
      throw new Error(`audit log failed to verify: ${JSON.stringify(verify.problems[0])}`);
  } finally {
    guardian.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // The policy's decision alone (what the guardian decides, before recording it).
  const policy = GuardianPolicySchema.parse({
    approvers: ['alice', 'bob'],
    rules: [
      { task: 'src/pay/**', decide: 'people' },
      { kind: 'chaos-experiment', decide: 'people' },
      { impact: 'low', decide: 'approve' },
    ],
  });
  timings['policy'] = [];
  for (let i = 0; i < n * 10 + 1000; i++) {
    const t = performance.now();
    decide(policy, { kind: 'policy-change', impact: i % 2 ? 'low' : 'high', taskId: 'src/a.ts#f' });
    if (i >= 1000) timings['policy'].push(performance.now() - t);
  }
  const names: Record<string, string> = {
    policy: 'policy decision only (3 rules, glob)',
    auto: 'propose → auto-approve → apply (3 audit entries)',
    pending: 'propose → pending (1 audit entry)',
    approve: 'approve → quorum → apply (3 audit entries)',
  };
  const rows = Object.entries(timings).map(([k, xs]) => ({
    decision: names[k]!,
    n: String(xs.length),
    'p50 (ms)': quantile(xs, 0.5).toFixed(3),
    'p99 (ms)': quantile(xs, 0.99).toFixed(3),
    'max (ms)': Math.max(...xs).toFixed(3),
  }));
  const verdicts = Object.entries(timings).map(([k, xs]) => {
    const p99 = quantile(xs, 0.99);
    return `${k} decision p99 ${p99.toFixed(3)} ms < 1 ms: ${p99 < 1 ? 'PASS' : 'FAIL'}`;
  });
  return {
    title: 'Guardian decisions',
    command: 'node --import tsx --conditions=source scripts/bench/guardian.ts',
    description:
      'In-process decision latency: the policy decision alone, and the durable paths that also ' +
      'write the proposal, votes and hash-chained audit entries (on-disk store, WAL, ' +
      'synchronous=NORMAL, one commit before and one after applying). Target: p99 < 1 ms. The ' +
      'durable rows are I/O-bound; on a shared, loaded machine their tail is scheduling noise.',
    table: table(rows),
    verdicts,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runGuardianBench({ quick: process.argv.includes('--quick') }).then(
    (r) =>
      console.log(`## ${r.title}\n\n${r.description}\n\n${r.table}\n\n${r.verdicts.join('\n')}`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
