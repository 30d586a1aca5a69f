import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AggregateRow, ProcessRow, SpanRow, TaskRow } from '../../src/store/index.js';

/** A fresh temporary directory and a function that removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fox-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function processRow(id = '01JPROCESS0000000000000001', startedAt = 1_000): ProcessRow {
  return {
    id,
    pid: 4242,
    startedAt,
    argv: ['node', 'app.js', '--flag'],
    nodeVersion: 'v20.20.0',
    projectRoot: '/home/dev/app',
  };
}

export function taskRow(id = 'src/images.ts#resize', seen = 1_000): TaskRow {
  return {
    id,
    mode: 'tfox',
    sourceFile: id.split('#')[0] ?? null,
    line: 12,
    column: 3,
    firstSeen: seen,
    lastSeen: seen,
  };
}

export function aggregateRow(overrides: Partial<AggregateRow> = {}): AggregateRow {
  return {
    processId: '01JPROCESS0000000000000001',
    taskId: 'src/images.ts#resize',
    at: 2_000,
    calls: 10,
    successes: 9,
    errors: 1,
    errorsByCode: { FOX_TIMEOUT: 1 },
    histogram: new Uint8Array([1, 2, 3, 255]),
    p50: 1.5,
    p90: 4.25,
    p99: 9,
    max: 12.5,
    inFlight: 2,
    queued: 0,
    limit: 8,
    ...overrides,
  };
}

export function spanRow(overrides: Partial<SpanRow> = {}): SpanRow {
  return {
    runId: '01JRUN00000000000000000001',
    parentRunId: null,
    taskId: 'src/images.ts#resize',
    processId: '01JPROCESS0000000000000001',
    start: 2_000.5,
    duration: 3.75,
    outcome: 'ok',
    attempt: 1,
    strategy: 'tfox',
    ...overrides,
  };
}
