/**
 * Guardian decision latency with and without webhooks, in the same run (issue 23): the same
 * guardian and store, decisions in interleaved blocks, the notifier attached in every other
 * block and sending each proposal event to two webhooks (signed JSON and Slack) on a real HTTP
 * receiver on 127.0.0.1 in a child process. Deliveries run on the decisions' thread, between
 * decisions, as they do in a program; what must not change is the decision itself.
 * Target: p99 with webhooks within 10% of p99 without.
 *
 * Each decision starts on its own turn of the event loop (as in scripts/bench/guardian.ts) and
 * is also reported net of the time the thread waited for a CPU (Linux schedstat), which on a
 * shared machine is most of the wall-clock tail; the verdict uses that net time when available.
 *
 *   node --import tsx --conditions=source scripts/bench/guardian-webhooks.ts [--quick]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guardian } from '../../sdk/src/guardian/guardian.js';
import { GUARDIAN_TABLES } from '../../sdk/src/guardian/guardian-schema.js';
import { GuardianNotifier } from '../../sdk/src/guardian/notifications/notifier.js';
import { parseNotificationsOptions } from '../../sdk/src/guardian/notifications/options.js';
import { openAuditLog } from '../../sdk/src/guardian/paths.js';
import { openStore } from '../../sdk/src/store/store.js';
import { startWalCheckpointer } from '../../sdk/src/store/wal-checkpointer.js';
import { runIfMain, table, type BenchSection } from './report.js';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * q) - 1)]!;
}

function runQueueWaitMs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return Number(fields[1]) / 1e6;
  } catch {
    return undefined;
  }
}

const RECEIVER = `
const http = require('node:http');
let n = 0;
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { n++; res.writeHead(200).end('ok'); });
});
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
process.on('message', () => process.send(n));
`;

async function startReceiver(): Promise<{
  url: string;
  child: ChildProcess;
  count(): Promise<number>;
}> {
  const child = spawn(process.execPath, ['-e', RECEIVER], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    child,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (n) => resolve(n as number));
        child.send('count');
      }),
  };
}

type Variant = 'without' | 'with';
type Kind = 'auto' | 'pending';

export async function runGuardianWebhooksBench(
  options: { quick?: boolean } = {},
): Promise<BenchSection> {
  // Short blocks, many rounds: the machine's load drifts, and both variants should see the same.
  const rounds = options.quick ? 8 : 60;
  const perBlock = 50;
  const dir = mkdtempSync(join(tmpdir(), 'fox-guardian-webhooks-bench-'));
  const dbPath = join(dir, 'fox.db');
  const store = openStore({ path: dbPath });
  const db = store.use(GUARDIAN_TABLES);
  const wal = startWalCheckpointer(db, dbPath);
  const audit = openAuditLog(db, dbPath);
  const guardian = new Guardian({
    db,
    audit,
    policy: {
      approvers: ['alice', 'bob'],
      required: 1,
      rules: [{ impact: 'low', decide: 'approve' }],
    },
    resolveTask: () => ({ policies: { get: () => ({ configure: () => undefined }) } }),
  });
  const rx = await startReceiver();
  const notifier = new GuardianNotifier(
    parseNotificationsOptions({
      webhooks: [
        { url: rx.url, secret: 'bench-secret-0123456789abcdef' },
        { url: rx.url, format: 'slack' },
      ],
      queueLimit: 100_000,
    }),
  );
  const wall: Record<Variant, Record<Kind, number[]>> = {
    without: { auto: [], pending: [] },
    with: { auto: [], pending: [] },
  };
  const net: Record<Variant, Record<Kind, number[]>> = {
    without: { auto: [], pending: [] },
    with: { auto: [], pending: [] },
  };
  let seq = 0;
  const decision = async (variant: Variant, kind: Kind, warm: boolean) => {
    await new Promise((r) => setImmediate(r));
    const i = seq++;
    const w0 = runQueueWaitMs();
    const t = performance.now();
    await guardian.propose({
      kind: 'policy-change',
      // One task per change: the same change still pending would be the open proposal.
      taskId: `src/a.ts#f${i}`,
      payload: { policy: 'retry', config: { attempts: 1 + (i % 5) } },
      impact: kind === 'auto' ? 'low' : 'high',
      proposer: 'tuner',
    });
    const ms = performance.now() - t;
    const w1 = runQueueWaitMs();
    if (warm) return;
    wall[variant][kind].push(ms);
    if (w0 !== undefined && w1 !== undefined) net[variant][kind].push(ms - (w1 - w0));
  };
  let sent = 0;
  try {
    for (let round = 0; round < rounds + 1; round++) {
      const warm = round === 0;
      const order: Variant[] = round % 2 ? ['with', 'without'] : ['without', 'with'];
      for (const variant of order) {
        const sub = variant === 'with' ? notifier.attach(guardian.onChange) : undefined;
        for (let i = 0; i < perBlock; i++) {
          await decision(variant, 'auto', warm);
          await decision(variant, 'pending', warm);
        }
        sub?.dispose();
        // Deliveries of this block finish before the next block, so none overlaps a block
        // without webhooks.
        await notifier.idle();
      }
    }
    sent = await rx.count();
  } finally {
    notifier.close();
    guardian.close();
    audit.close();
    wal.dispose();
    store.close();
    rx.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const stats = notifier.stats().webhooks;
  const delivered = stats.reduce((a, w) => a + w.delivered, 0);
  const failed = stats.reduce((a, w) => a + w.failed + w.dropped, 0);
  const names: Record<Kind, string> = {
    auto: 'propose → auto-approve → apply (3 events)',
    pending: 'propose → pending (1 event)',
  };
  const rows: Record<string, string>[] = [];
  const verdicts: string[] = [];
  const useNet = net.without.auto.length > 0;
  for (const kind of ['auto', 'pending'] as const) {
    for (const variant of ['without', 'with'] as const) {
      const xs = wall[variant][kind];
      rows.push({
        decision: names[kind],
        webhooks: variant === 'with' ? '2 (json signed + slack)' : 'none',
        n: String(xs.length),
        'p50 (ms)': quantile(xs, 0.5).toFixed(3),
        'p99 (ms)': quantile(xs, 0.99).toFixed(3),
        'p99 net of run-queue wait (ms)': useNet
          ? quantile(net[variant][kind], 0.99).toFixed(3)
          : '',
      });
    }
    const pick = useNet ? net : wall;
    const a = quantile(pick.without[kind], 0.99);
    const b = quantile(pick.with[kind], 0.99);
    const ratio = b / a;
    verdicts.push(
      `${kind} decision p99${useNet ? ' (net)' : ''} with webhooks / without = ${ratio.toFixed(3)} ` +
        `(${b.toFixed(3)} / ${a.toFixed(3)} ms; target ≤ 1.10): ${ratio <= 1.1 ? 'PASS' : 'FAIL'}`,
    );
    const wr = quantile(wall.with[kind], 0.99) / quantile(wall.without[kind], 0.99);
    const m = quantile(wall.with[kind], 0.5) / quantile(wall.without[kind], 0.5);
    verdicts.push(
      `${kind} decision, for reference: p99 wall-clock ratio ${wr.toFixed(3)}, p50 ratio ${m.toFixed(3)}`,
    );
  }
  verdicts.push(
    `deliveries: ${delivered} delivered, ${failed} failed or dropped, ${sent} received: ` +
      `${failed === 0 && sent === delivered ? 'PASS' : 'FAIL'}`,
  );
  return {
    title: 'Guardian decisions with webhooks',
    command: 'node --import tsx --conditions=source scripts/bench/guardian-webhooks.ts',
    description:
      `Decision latency of the same guardian with and without webhook notifications, ${rounds} ` +
      `interleaved rounds of ${perBlock} auto-approved and ${perBlock} pending proposals per ` +
      'variant (after a warm-up round). With webhooks every event goes to two webhooks (HMAC-signed ' +
      'JSON and Slack) on a real HTTP receiver on 127.0.0.1 in a child process; deliveries run on ' +
      'the same thread between decisions. Target (issue 23): p99 within 10% of the run without.',
    table: table(rows),
    verdicts,
  };
}

runIfMain(import.meta.url, () =>
  runGuardianWebhooksBench({ quick: process.argv.includes('--quick') }),
);
