/**
 * The tuner's tables in the store: each task's lineage of generations (a ULID each, with its
 * parent, the change, the evidence, the decision and the audit entry that recorded it), the
 * task's current generation and pause flag, and the last recorded intervals the sandbox replays.
 * Restored at start: a tuned task comes back with its adopted parameters.
 */
import type { SqliteDatabase as Database } from '../store/driver.js';
import type { SubsystemSchema } from '../store/migration-runner.js';
import type { StoreModule } from '../store/store-module.js';
import type { GeneName } from './genome.js';
import { RecordedIntervalSchema, type RecordedInterval } from './recorded-interval.js';

/** What became of a generation. */
export type GenerationDecision =
  | 'baseline'
  | 'screened-out'
  | 'testing'
  | 'harm'
  | 'no-effect'
  | 'proposed'
  | 'adopted'
  | 'denied'
  | 'rolled-back'
  | 'kept';

export interface GenerationChange {
  gene: GeneName;
  from: number;
  to: number;
  /** `rule:<name>` or `mutation`. */
  source: string;
}

export interface Generation {
  id: string;
  taskId: string;
  parentId: string | null;
  /** Wall-clock ms. */
  createdAt: number;
  /** The gene values of this generation. */
  genome: Partial<Record<GeneName, number>>;
  change: GenerationChange | null;
  evidence: unknown;
  decision: GenerationDecision;
  proposalId: string | null;
  auditEntryId: string | null;
}

export interface TunerTaskState {
  taskId: string;
  /** The generation whose parameters are live. */
  currentId: string | null;
  paused: boolean;
}

export interface LineageStore {
  insert(g: Generation): void;
  /** Updates decision, evidence, proposal and audit ids of a generation. */
  update(
    id: string,
    fields: Partial<Pick<Generation, 'decision' | 'evidence' | 'proposalId' | 'auditEntryId'>>,
  ): void;
  get(id: string): Generation | undefined;
  /** A task's generations, oldest first (all tasks when `taskId` is undefined). */
  history(taskId?: string, limit?: number): Generation[];
  state(taskId: string): TunerTaskState | undefined;
  states(): TunerTaskState[];
  setCurrent(taskId: string, generationId: string): void;
  setPaused(taskId: string, paused: boolean): void;
  /** Keeps an interval for screening; only the newest `keep` per task are kept. */
  saveInterval(interval: RecordedInterval, keep?: number): void;
  /** Newest first. Malformed rows are skipped. */
  intervals(taskId: string, limit?: number): RecordedInterval[];
}

export const TUNER_SCHEMA: SubsystemSchema = {
  subsystem: 'tuner',
  migrations: [
    {
      version: 1,
      name: 'tuner lineage, task state and recorded intervals',
      up(db) {
        db.exec(`
          CREATE TABLE tuner_generations (
            id             TEXT PRIMARY KEY,
            task_id        TEXT NOT NULL,
            parent_id      TEXT,
            created_at     INTEGER NOT NULL,
            genome         TEXT NOT NULL,
            change         TEXT,
            evidence       TEXT,
            decision       TEXT NOT NULL,
            proposal_id    TEXT,
            audit_entry_id TEXT
          ) STRICT;
          CREATE INDEX tuner_generations_task ON tuner_generations (task_id, id);

          CREATE TABLE tuner_tasks (
            task_id    TEXT PRIMARY KEY,
            current_id TEXT,
            paused     INTEGER NOT NULL DEFAULT 0
          ) STRICT;

          CREATE TABLE tuner_intervals (
            seq        INTEGER PRIMARY KEY,
            task_id    TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            interval   TEXT NOT NULL
          ) STRICT;
          CREATE INDEX tuner_intervals_task ON tuner_intervals (task_id, seq);
        `);
      },
    },
  ],
};

interface GenerationRow {
  id: string;
  task_id: string;
  parent_id: string | null;
  created_at: number;
  genome: string;
  change: string | null;
  evidence: string | null;
  decision: string;
  proposal_id: string | null;
  audit_entry_id: string | null;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function generationOf(r: GenerationRow): Generation {
  const genome = parseJson(r.genome);
  return {
    id: r.id,
    taskId: r.task_id,
    parentId: r.parent_id,
    createdAt: r.created_at,
    genome: (genome !== null && typeof genome === 'object' ? genome : {}) as Generation['genome'],
    change: parseJson(r.change) as GenerationChange | null,
    evidence: parseJson(r.evidence),
    decision: r.decision as GenerationDecision,
    proposalId: r.proposal_id,
    auditEntryId: r.audit_entry_id,
  };
}

function bindLineage(db: Database): LineageStore {
  const insert = db.prepare(
    `INSERT INTO tuner_generations
       (id, task_id, parent_id, created_at, genome, change, evidence, decision, proposal_id, audit_entry_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare('SELECT * FROM tuner_generations WHERE id = ?');
  const ofTask = db.prepare(
    'SELECT * FROM (SELECT * FROM tuner_generations WHERE task_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id',
  );
  const all = db.prepare(
    'SELECT * FROM (SELECT * FROM tuner_generations ORDER BY id DESC LIMIT ?) ORDER BY id',
  );
  const stateOf = db.prepare('SELECT * FROM tuner_tasks WHERE task_id = ?');
  const allStates = db.prepare('SELECT * FROM tuner_tasks ORDER BY task_id');
  const setCurrent = db.prepare(
    `INSERT INTO tuner_tasks (task_id, current_id) VALUES (?, ?)
     ON CONFLICT (task_id) DO UPDATE SET current_id = excluded.current_id`,
  );
  const setPaused = db.prepare(
    `INSERT INTO tuner_tasks (task_id, paused) VALUES (?, ?)
     ON CONFLICT (task_id) DO UPDATE SET paused = excluded.paused`,
  );
  const addInterval = db.prepare(
    'INSERT INTO tuner_intervals (task_id, started_at, interval) VALUES (?, ?, ?)',
  );
  const trimIntervals = db.prepare(
    `DELETE FROM tuner_intervals WHERE task_id = ? AND seq NOT IN
       (SELECT seq FROM tuner_intervals WHERE task_id = ? ORDER BY seq DESC LIMIT ?)`,
  );
  const intervalsOf = db.prepare(
    'SELECT interval FROM tuner_intervals WHERE task_id = ? ORDER BY seq DESC LIMIT ?',
  );
  const toState = (r: { task_id: string; current_id: string | null; paused: number }) => ({
    taskId: r.task_id,
    currentId: r.current_id,
    paused: r.paused !== 0,
  });
  return {
    insert(g) {
      insert.run(
        g.id,
        g.taskId,
        g.parentId,
        Math.round(g.createdAt),
        JSON.stringify(g.genome),
        g.change === null ? null : JSON.stringify(g.change),
        g.evidence === undefined ? null : JSON.stringify(g.evidence),
        g.decision,
        g.proposalId,
        g.auditEntryId,
      );
    },
    update(id, f) {
      const sets: [string, unknown][] = [];
      if (f.decision !== undefined) sets.push(['decision', f.decision]);
      if (f.evidence !== undefined) sets.push(['evidence', JSON.stringify(f.evidence)]);
      if (f.proposalId !== undefined) sets.push(['proposal_id', f.proposalId]);
      if (f.auditEntryId !== undefined) sets.push(['audit_entry_id', f.auditEntryId]);
      if (sets.length === 0) return;
      const columns = sets.map(([c]) => `${c} = ?`).join(', ');
      db.prepare(`UPDATE tuner_generations SET ${columns} WHERE id = ?`).run(
        ...sets.map(([, v]) => v),
        id,
      );
    },
    get(id) {
      const r = byId.get(id) as GenerationRow | undefined;
      return r && generationOf(r);
    },
    history(taskId, limit = 1000) {
      const rows = (
        taskId === undefined ? all.all(limit) : ofTask.all(taskId, limit)
      ) as GenerationRow[];
      return rows.map(generationOf);
    },
    state(taskId) {
      const r = stateOf.get(taskId) as
        { task_id: string; current_id: string | null; paused: number } | undefined;
      return r && toState(r);
    },
    states() {
      return (
        allStates.all() as { task_id: string; current_id: string | null; paused: number }[]
      ).map(toState);
    },
    setCurrent(taskId, generationId) {
      setCurrent.run(taskId, generationId);
    },
    setPaused(taskId, paused) {
      setPaused.run(taskId, paused ? 1 : 0);
    },
    saveInterval(interval, keep = 5) {
      addInterval.run(interval.taskId, Math.round(interval.startedAt), JSON.stringify(interval));
      trimIntervals.run(interval.taskId, interval.taskId, keep);
    },
    intervals(taskId, limit = 5) {
      const out: RecordedInterval[] = [];
      for (const r of intervalsOf.all(taskId, limit) as { interval: string }[]) {
        const parsed = RecordedIntervalSchema.safeParse(parseJson(r.interval));
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    },
  };
}

/**
 * The tuner's lineage in a store: `store.use(TUNER_LINEAGE)`.
 *
 * @example
 * const lineage = store.use(TUNER_LINEAGE);
 * for (const g of lineage.history('src/api.ts#get')) console.log(g.id, g.decision, g.change);
 */
export const TUNER_LINEAGE: StoreModule<LineageStore> = {
  schema: TUNER_SCHEMA,
  bind: bindLineage,
};
