import type { SqliteDatabase as Database } from '../store/driver.js';
import { tableExists, type SubsystemSchema } from '../store/migration-runner.js';
import type { StoreModule } from '../store/store-module.js';

/** The columns of a saved report; the whole report is kept as JSON next to them. */
export interface SavedChaosReportFields {
  experimentId: string;
  name: string;
  startedAt: number;
  endedAt: number;
  outcome: string;
}

/** A saved report's row. */
export interface StoredChaosReport {
  experimentId: string;
  name: string;
  startedAt: number;
  endedAt: number;
  outcome: string;
  /** The report as saved (JSON). */
  report: string;
}

/** Chaos Forge reports in the store (`fox chaos reports` and the profiler read them back). */
export interface ChaosReportStore {
  /** Saves a report; the same experiment id replaces the earlier copy. */
  save(report: SavedChaosReportFields): void;
  /** One experiment's report, if saved. */
  get(experimentId: string): StoredChaosReport | undefined;
  /** The newest reports by start time, newest first. */
  latest(limit: number): StoredChaosReport[];
}

/** Table `chaos_reports`. */
export const CHAOS_SCHEMA: SubsystemSchema = {
  subsystem: 'chaos',
  migrations: [
    {
      version: 1,
      name: 'chaos reports',
      up(db) {
        db.exec(`
          CREATE TABLE chaos_reports (
            experiment_id TEXT PRIMARY KEY,
            name          TEXT NOT NULL,
            started_at    INTEGER NOT NULL,
            ended_at      INTEGER NOT NULL,
            outcome       TEXT NOT NULL,
            report        TEXT NOT NULL
          ) STRICT;
        `);
      },
    },
  ],
  // Before the runner this table came with the store's `user_version` 3.
  adoptLegacy: (db) => (tableExists(db, 'chaos_reports') ? 1 : 0),
};

interface ChaosReportRecord {
  experiment_id: string;
  name: string;
  started_at: number;
  ended_at: number;
  outcome: string;
  report: string;
}

/**
 * The chaos reports of a store: `store.use(CHAOS_REPORTS)`.
 *
 * @example
 * const reports = store.use(CHAOS_REPORTS);
 * for (const r of reports.latest(10)) console.log(r.name, r.outcome);
 */
export const CHAOS_REPORTS: StoreModule<ChaosReportStore> = {
  schema: CHAOS_SCHEMA,
  bind: bindChaosReports,
};

function bindChaosReports(db: Database): ChaosReportStore {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO chaos_reports (experiment_id, name, started_at, ended_at, outcome, report)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare('SELECT * FROM chaos_reports WHERE experiment_id = ?');
  const latest = db.prepare('SELECT * FROM chaos_reports ORDER BY started_at DESC LIMIT ?');
  return {
    save(report) {
      insert.run(
        report.experimentId,
        report.name,
        Math.round(report.startedAt),
        Math.round(report.endedAt),
        report.outcome,
        JSON.stringify(report),
      );
    },
    get(experimentId) {
      const record = byId.get(experimentId) as ChaosReportRecord | undefined;
      return record && storedReportOf(record);
    },
    latest(limit) {
      return (latest.all(limit) as ChaosReportRecord[]).map(storedReportOf);
    },
  };
}

function storedReportOf(r: ChaosReportRecord): StoredChaosReport {
  return {
    experimentId: r.experiment_id,
    name: r.name,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome,
    report: r.report,
  };
}
