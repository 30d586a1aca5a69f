import { resolve } from 'node:path';
import { fox, type TaskStats } from '@fox/sdk';
import { auditPaths, GUARDIAN_TABLES, verifyStoreAudit } from '@fox/sdk/guardian';
import { openStore } from '@fox/sdk/store';

/** A strategy switch seen while the demo ran. */
export interface Switch {
  taskId: string;
  from: string;
  to: string;
  at: number;
}

/** Watches every task's running strategy, so the summary can say what switched and when. */
export class SwitchWatch {
  readonly switches: Switch[] = [];
  private readonly last = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 200) {
    this.timer = setInterval(() => this.look(), everyMs);
    this.timer.unref();
  }

  look(): void {
    for (const t of fox.tasks()) {
      const before = this.last.get(t.id);
      if (before !== undefined && before !== t.current) {
        this.switches.push({ taskId: t.id, from: before, to: t.current, at: Date.now() });
      }
      this.last.set(t.id, t.current);
    }
  }

  stop(): void {
    this.look();
    clearInterval(this.timer);
  }
}

interface Row {
  [k: string]: string | number | null;
}

/**
 * What happened, read back from the store once the runtime has shut down (so every decision,
 * report and flow run is committed), with the absolute paths a user needs afterwards.
 */
export function summaryText(options: {
  storePath: string;
  switches: Switch[];
  tasks: TaskStats[];
}): string {
  const storePath = resolve(options.storePath);
  const store = openStore({ path: storePath });
  const db = store.use(GUARDIAN_TABLES);
  try {
    const tables = new Set(
      (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Row[]).map((r) =>
        String(r.name),
      ),
    );
    // A subsystem creates its tables on first use: a short run may have no flow run yet.
    const all = (sql: string) => {
      const table = /FROM (\w+)/.exec(sql)?.[1] ?? '';
      return tables.has(table) ? (db.prepare(sql).all() as Row[]) : [];
    };
    const proposals = all(
      `SELECT id, kind, task_id, payload, state FROM proposals ORDER BY created_at`,
    );
    const approvals = all(`SELECT proposal_id, approver, verdict FROM approvals ORDER BY at`);
    const experiments = all(
      `SELECT name, outcome, experiment_id FROM chaos_reports ORDER BY started_at`,
    );
    const flows = all(`SELECT status, count(*) AS n FROM flow_runs GROUP BY status`);
    const tuning = all(
      `SELECT task_id, decision, change FROM tuner_generations WHERE change IS NOT NULL ORDER BY created_at`,
    );
    const verify = verifyStoreAudit(db, storePath);
    const { keyPath, checkpointsPath } = auditPaths(storePath);
    const sum = (f: (t: TaskStats) => number) => options.tasks.reduce((n, t) => n + f(t), 0);
    const breakerOpenings = sum((t) => t.counters.breakerTransitions.opened);
    const lines = [
      '── fox demo: what happened ──',
      `strategy switches: ${options.switches.length}` +
        options.switches.map((s) => `\n  ${s.taskId}: ${s.from} → ${s.to}`).join(''),
      `proposals: ${proposals.length}` +
        proposals.map((p) => `\n  ${describeProposal(p)}: ${String(p.state)}`).join(''),
      `approvals: ${approvals.length}` +
        approvals
          .map(
            (a) =>
              `\n  ${String(a.approver)} ${a.verdict === 'approve' ? 'approved' : 'rejected'} ${String(a.proposal_id)}`,
          )
          .join(''),
      `breaker openings: ${breakerOpenings}`,
      `retries: ${sum((t) => t.counters.retries)}, hedges: ${sum((t) => t.counters.hedges)}, ` +
        `fallbacks: ${sum((t) => t.counters.fallbacks)}, timeouts: ${sum((t) => t.counters.timeouts)}`,
      `chaos experiments: ${experiments.length}` +
        experiments
          .map((e) => `\n  ${String(e.name)}: ${String(e.outcome)} (${String(e.experiment_id)})`)
          .join(''),
      `flow runs: ${flows.reduce((n, f) => n + Number(f.n), 0)}` +
        (flows.length
          ? ` (${flows.map((f) => `${String(f.n)} ${String(f.status)}`).join(', ')})`
          : ''),
      `tuning: ${tuning.length} candidate(s) tried` +
        tuning
          .filter((g) => g.decision !== 'screened-out')
          .map(
            (g) => `\n  ${String(g.task_id)}: ${describeChange(g.change)}: ${String(g.decision)}`,
          )
          .join(''),
      `audit log: ${verify.ok ? 'verified' : 'NOT VERIFIED'}, ${verify.entries} entries`,
      `store (audit log, chaos reports, flow runs): ${storePath}`,
      `audit key: ${resolve(keyPath)}`,
      `audit checkpoints: ${resolve(checkpointsPath)}`,
      `check it: npx fox audit verify --store ${storePath}`,
      `chaos reports: npx fox chaos reports --store ${storePath}`,
    ];
    return lines.join('\n');
  } finally {
    store.close();
  }
}

/** One line per proposal: what it changes, not its whole payload. */
function describeProposal(p: Row): string {
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(String(p.payload)) as Record<string, unknown>;
  } catch {
    // shown without details
  }
  if (p.kind === 'strategy-change') {
    return `strategy-change ${String(p.task_id)} ${String(payload.from)} → ${String(payload.to)}`;
  }
  if (p.kind === 'chaos-experiment') return `chaos-experiment "${String(payload.name)}"`;
  return `${String(p.kind)}${p.task_id === null ? '' : ` ${String(p.task_id)}`}`;
}

/** A tuner generation's change as `timeout.ms 100 → 60`. */
function describeChange(change: unknown): string {
  try {
    const c = JSON.parse(String(change)) as { gene: string; from: number; to: number };
    return `${c.gene} ${c.from} → ${c.to}`;
  } catch {
    return 'a change';
  }
}
