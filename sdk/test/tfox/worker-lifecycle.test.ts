import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxWorkerError } from '../../src/modes/errors.js';
import { PoolJob, type WorkerFunction } from '../../src/modes/tfox/pool-job.js';
import {
  exitReasonOf,
  takeOrphans,
  type WorkerSlot,
} from '../../src/modes/tfox/worker-lifecycle.js';

/**
 * What becomes of a worker's calls when it is gone, on worker records built by hand (the pool
 * tests cover the same on real threads): calls it never began run elsewhere, calls it began
 * fail with the reason it left.
 */

const fn: WorkerFunction = {
  index: 0,
  taskId: 'tasks#run',
  moduleUrl: 'file:///tasks.js',
  locationKey: '',
  names: ['run'],
};

class Job extends PoolJob {
  constructor() {
    super(fn, [], 0, undefined);
  }

  settle(): void {}
}

/** A gone worker that was sent `sent` calls and had begun `begun` of them. */
function goneWorker(
  sent: number,
  begun: number,
  cancelled: ReadonlySet<number> = new Set(),
  fields: Partial<WorkerSlot> = {},
): WorkerSlot {
  const started = new Int32Array(new SharedArrayBuffer(4));
  started[0] = begun;
  const jobs = new Map<number, PoolJob>();
  for (let wseq = 1; wseq <= sent; wseq++) {
    const job = new Job();
    job.id = 100 + wseq;
    job.wseq = wseq;
    job.state = cancelled.has(wseq) ? 'abandoned' : 'sent';
    jobs.set(job.id, job);
  }
  return {
    started,
    jobs,
    retired: undefined,
    lastError: undefined,
    ...fields,
  } as unknown as WorkerSlot;
}

describe('tfox worker lifecycle', () => {
  it('moves the calls a gone worker never began and fails those it began', () => {
    // The error checks run only for runs with a failed call: count the runs with calls moved and
    // with calls failed, so the property cannot pass on empty lists alone.
    let withMoved = 0;
    let withFailed = 0;
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 40 })
          .chain((sent) =>
            fc.tuple(
              fc.constant(sent),
              fc.integer({ min: 0, max: sent }),
              fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, sent) }), { maxLength: sent }),
            ),
          ),
        ([sent, begun, cancelledList]) => {
          const cancelled = new Set(cancelledList);
          const slot = goneWorker(sent, begun, cancelled);
          const { unstarted, failed } = takeOrphans(slot, 1, undefined);
          const waiting = (wseq: number): boolean => wseq <= sent && !cancelled.has(wseq);
          const expectedMoved: number[] = [];
          const expectedFailed: number[] = [];
          for (let w = 1; w <= sent; w++)
            if (waiting(w)) (w > begun ? expectedMoved : expectedFailed).push(w);
          assert.deepEqual(
            unstarted.map((j) => j.wseq),
            expectedMoved,
          );
          assert.deepEqual(
            failed.map(([j]) => j.wseq),
            expectedFailed,
          );
          if (unstarted.length > 0) withMoved++;
          if (failed.length > 0) withFailed++;
          for (const [, error] of failed) {
            assert.ok(error instanceof FoxWorkerError);
            assert.equal(error.reason, 'exited');
            assert.equal(error.exitCode, 1);
          }
        },
      ),
    );
    assert.ok(
      withMoved > 0 && withFailed > 0,
      `moved in ${withMoved} runs, failed in ${withFailed}`,
    );
  });

  it('says why a worker left: retired by the pool, crashed with an error, or exited', () => {
    assert.equal(exitReasonOf(goneWorker(0, 0, new Set(), { retired: 'recycled' })), 'recycled');
    const crashed = goneWorker(1, 1, new Set(), { lastError: new Error('boom') });
    assert.equal(exitReasonOf(crashed), 'crashed');
    assert.equal(exitReasonOf(goneWorker(0, 0)), 'exited');
    const [[, error]] = takeOrphans(crashed, 1, undefined).failed as [[PoolJob, FoxWorkerError]];
    assert.equal(error.reason, 'crashed');
    assert.match(error.message, /uncaught error: boom/);
    assert.equal((error as { cause?: unknown }).cause, crashed.lastError);
  });
});
