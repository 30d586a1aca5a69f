import { resolve } from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import type { FoxStore } from '../store/store.js';
import { CHAOS_REPORTS } from '../chaos/report-store.js';
import { GUARDIAN_TABLES } from '../guardian/guardian-schema.js';
import { ChaosForge } from '../chaos/forge.js';
import { killFilePath } from '../chaos/kill-switch.js';
import { toWireChaosReport } from '../chaos/report.js';
import { experimentFromEnv } from '../chaos/runtime-bridge.js';
import { chaosTargetOf } from './chaos-target.js';
import type { Disposable, FoxEvent } from '../events/emitter.js';
import type { ApprovalDecision, WireEvent } from '../protocol/wire.js';
import { setProposalHandler } from '../modes/auto/proposals.js';
import { WfoxStrategy } from '../modes/wfox/index.js';
import type { StatsSnapshot } from '../protocol/stats.js';
import { startWalCheckpointer } from '../store/wal-checkpointer.js';
import type { Task } from '../task/task.js';
import type { AuditLog } from '../guardian/audit-log.js';
import type { GuardedTask } from '../guardian/appliers.js';
import { Guardian } from '../guardian/guardian.js';
import { openAuditLog } from '../guardian/paths.js';
import { connectApprovals } from '../guardian/wire-approvals.js';
import type { GuardianPolicyInput } from '../guardian/policy.js';
import { GuardianNotifier } from '../guardian/notifications/notifier.js';
import {
  parseNotificationsOptions,
  type NotificationsOptionsInput,
} from '../guardian/notifications/options.js';

/** Wire events kept for the first {@link GuardianRuntime.onWireEvent} listener, at most. */
const MAX_EARLY_EVENTS = 256;

/** What the runtime hands to {@link startGuardian}. */
export interface GuardianRuntimeOptions {
  /** The open store: the guardian's tables and the chaos reports live in it. */
  store: FoxStore;
  /** The store path: the audit key and checkpoints live next to it. */
  storePath: string;
  policy?: GuardianPolicyInput;
  /** Webhooks for proposal events (validated; see guardian/notifications/options.ts). */
  notifications?: NotificationsOptionsInput;
  /** The task registry's lookups. */
  getTask(id: string): Task | undefined;
  tasks(): Task[];
  stats(): StatsSnapshot;
  /** Decisions relayed by the profiler (`exporter.onApproval`), when a profiler is connected. */
  approvals?: FoxEvent<ApprovalDecision>;
  /** Where to report a chaos experiment from `FOX_CHAOS` that is invalid (default: stderr). */
  warn?: (message: string) => void;
  /** Time for the guardian, its audit log, the forge and wire event stamps (default: system). */
  clock?: Clock;
}

export interface GuardianRuntime {
  readonly guardian: Guardian;
  readonly audit: AuditLog;
  readonly forge: ChaosForge;
  /** Sends proposal events to the configured webhooks (none configured: sends nothing). */
  readonly notifier: GuardianNotifier;
  /** Replaces the webhooks (validated first; deliveries queued for the old ones are dropped). */
  configureNotifications(options: NotificationsOptionsInput | undefined): void;
  /**
   * Proposal and chaos changes (start, stop, abort, and each run's report) as wire events, for
   * the exporter's events feed (the runtime forwards them to `runtime.wireEvents`).
   */
  onWireEvent(listener: (event: WireEvent) => void): Disposable;
  close(): void;
}

/** What the guardian applies changes to: a live task's strategy, policies and limiter. */
export function guardedTask(task: Task): GuardedTask {
  return {
    setStrategy: (mode) => task.setStrategy(mode),
    get policies() {
      return task.policyChain;
    },
    get limiter() {
      const s = task.currentStrategy;
      return s instanceof WfoxStrategy ? s.limiter : undefined;
    },
  };
}

/**
 * Starts the guardian, its audit log and the Chaos Forge for a runtime with a store: routes
 * auto's strategy proposals to the guardian, polls the store for approvals made elsewhere
 * (`fox approvals`, the profiler), and starts the experiment named by `FOX_CHAOS` (as a
 * proposal) when there is one. An invalid or unreachable experiment is reported and ignored.
 * The forge honours the project's kill file next to the store (`fox chaos kill`).
 */
export function startGuardian(options: GuardianRuntimeOptions): GuardianRuntime {
  // Decisions commit to the store; its fsyncing WAL checkpoints run on a worker instead.
  const db = options.store.use(GUARDIAN_TABLES);
  const wal =
    options.storePath === ':memory:'
      ? undefined
      : startWalCheckpointer(db, resolve(options.storePath));
  const clock = options.clock ?? systemClock;
  const audit = openAuditLog(db, options.storePath, { clock });
  const guardian = new Guardian({
    db,
    audit,
    clock,
    ...(options.policy ? { policy: options.policy } : {}),
    resolveTask: (id) => {
      const t = options.getTask(id);
      return t ? guardedTask(t) : undefined;
    },
  });
  guardian.startSync();
  const startNotifier = (input: NotificationsOptionsInput | undefined) => {
    const n = new GuardianNotifier(parseNotificationsOptions(input), { clock });
    return { notifier: n, sub: n.attach(guardian.onChange) };
  };
  let notifications = startNotifier(options.notifications);
  const subs: Disposable[] = [setProposalHandler(guardian.autoHandler())];
  if (options.approvals) subs.push(connectApprovals(options.approvals, guardian));
  const forge = new ChaosForge({
    host: { tasks: () => options.tasks().map(chaosTargetOf), stats: options.stats },
    guardian,
    reports: options.store.use(CHAOS_REPORTS),
    killFile: killFilePath(options.storePath),
    clock,
  });
  const wireEvents = (listener: (event: WireEvent) => void): Disposable => {
    const a = guardian.onChange((p) => {
      const approvers = p.votes.filter((v) => v.verdict === 'approve').map((v) => v.approver);
      const auditId = audit.latestAbout(p.id)?.id;
      listener({
        kind: 'proposal',
        at: clock.wallNow(),
        proposalId: p.id,
        taskId: p.taskId,
        summary: `${p.kind} by ${p.proposer}: ${JSON.stringify(p.payload)}`.slice(0, 1024),
        state: p.state === 'failed' || p.state === 'dry-run' ? 'denied' : p.state,
        payloadHash: p.payloadHash,
        ...(p.state === 'pending'
          ? {
              approvalsNeeded: Math.max(0, p.required - approvers.length),
            }
          : {}),
        ...(approvers.length > 0 ? { approvers: approvers.slice(0, 32) } : {}),
        ...(auditId !== undefined ? { auditId } : {}),
      });
    });
    const b = forge.onEvent((e) =>
      listener({
        kind: 'chaos',
        at: clock.wallNow(),
        experimentId: e.experimentId,
        action: e.action,
        taskIds: e.taskIds.slice(0, 1000),
        ...(e.detail === undefined ? {} : { detail: e.detail.slice(0, 1024) }),
      }),
    );
    const c = forge.onReport((report) =>
      listener({ kind: 'chaos-report', at: clock.wallNow(), report: toWireChaosReport(report) }),
    );
    return { dispose: () => (a.dispose(), b.dispose(), c.dispose()) };
  };
  // Events from before the runtime subscribes (an experiment from FOX_CHAOS that the policy
  // starts at once or holds for people) are kept for the first listener instead of lost.
  let early: WireEvent[] | undefined = [];
  const earlySub = wireEvents((e) => {
    if (early && early.length < MAX_EARLY_EVENTS) early.push(e);
  });
  const fromEnv = experimentFromEnv();
  const warn = options.warn ?? ((m: string) => process.emitWarning(m, 'FoxChaosWarning'));
  if (fromEnv && 'error' in fromEnv) warn(`${fromEnv.error.message}; no fault will be injected`);
  else if (fromEnv) {
    forge
      .start(fromEnv.experiment)
      .catch((err: Error) => warn(`chaos experiment not started: ${err.message}`));
  }
  return {
    guardian,
    audit,
    forge,
    get notifier() {
      return notifications.notifier;
    },
    configureNotifications(input) {
      const next = startNotifier(input);
      notifications.sub.dispose();
      notifications.notifier.close();
      notifications = next;
    },
    onWireEvent(listener) {
      if (early) {
        earlySub.dispose();
        const missed = early;
        early = undefined;
        for (const e of missed) listener(e);
      }
      return wireEvents(listener);
    },
    close() {
      earlySub.dispose();
      forge.dispose();
      for (const s of subs) s.dispose();
      notifications.sub.dispose();
      notifications.notifier.close();
      guardian.close();
      audit.close();
      wal?.dispose();
    },
  };
}
