import assert from 'node:assert/strict';
import type { TaskView, UiState } from '@fox/profiler';
import type { LiveStatsParams } from '@fox/language-server';
import { LiveStatsParamsSchema } from '@fox/language-server';
import {
  LIVE_STATS_METHOD,
  LiveStatsForwarder,
  liveTasks,
} from '../../src/language/live-stats-forwarder.js';

function task(over: Partial<TaskView>): TaskView {
  return {
    processId: 'p1',
    id: 'src/app.ts#render',
    mode: 'wfox',
    current: 'wfox',
    policies: [],
    location: null,
    callsPerSec: 0,
    errorsPerSec: 0,
    p50: 1,
    p95: 2,
    p99: 3,
    calls: 0,
    errors: 0,
    inFlight: 0,
    queued: 0,
    limit: null,
    breaker: null,
    history: [],
    ...over,
  };
}

function state(tasks: TaskView[], at = 10_000): UiState {
  return {
    at,
    processes: [
      { id: 'p1', startedAt: 1000 },
      { id: 'p2', startedAt: 2000 },
    ],
    tasks,
    events: [],
  } as unknown as UiState;
}

describe('LiveStatsForwarder', () => {
  it('sums a task over processes, takes quantiles from the busiest, and validates', () => {
    const [t] = liveTasks(
      state([
        task({ calls: 100, errors: 1, p50: 9, errorsByCode: { ECONNRESET: 1 } }),
        task({
          processId: 'p2',
          calls: 2100,
          errors: 3,
          latency: { count: 2100, p50: 1.2, p90: 5, p99: 14, max: 40 },
          errorsByCode: { ECONNRESET: 2, FOX_TIMEOUT: 1 },
        }),
      ]),
    );
    assert.deepEqual(
      { calls: t?.calls, errors: t?.errors, p50: t?.p50, p99: t?.p99, codes: t?.errorsByCode },
      { calls: 2200, errors: 4, p50: 1.2, p99: 14, codes: { ECONNRESET: 3, FOX_TIMEOUT: 1 } },
    );
    assert.deepEqual(t?.window, { from: 1000, to: 10_000 });
    assert.ok(
      LiveStatsParamsSchema.safeParse({ v: 1, at: Date.now(), source: { label: 'x' }, tasks: [t] })
        .success,
    );
  });

  it('reports running parameters and an approved strategy switch, with the proposal', () => {
    const s = state([task({ calls: 10, mode: 'wfox', current: 'tfox' })]);
    s.proposals = [
      {
        processId: 'p1',
        proposalId: '01JPROP',
        taskId: 'src/app.ts#render',
        summary: 'switch to tfox',
        state: 'applied',
        approvers: ['alice', 'bob'],
        auditId: '01JAUDIT',
        createdAt: 1,
        at: 2,
      },
    ];
    s.tasks[0]!.running = { timeoutMs: 1500, retryAttempts: 5 };
    assert.deepEqual(liveTasks(s)[0]?.running, {
      timeoutMs: 1500,
      retryAttempts: 5,
      mode: 'tfox',
      approval: {
        proposalId: '01JPROP',
        summary: 'switch to tfox',
        at: 2,
        approver: 'alice, bob',
        auditId: '01JAUDIT',
      },
    });
  });

  it('pushes on change, at most once a second, and not before the client runs', async () => {
    let clock = 0;
    let running = false;
    const sent: LiveStatsParams[] = [];
    const logs: string[] = [];
    const f = new LiveStatsForwarder({
      send: (method, params) => {
        assert.equal(method, LIVE_STATS_METHOD);
        if (!running) return false;
        sent.push(params);
        return true;
      },
      label: () => 'live from the debug session',
      log: (m) => logs.push(m),
      now: () => clock,
    });
    assert.equal(await f.tick(state([task({ calls: 5 })])), undefined, 'client not running');
    running = true;
    assert.ok(await f.tick(state([task({ calls: 5 })]), { runId: 'r1' }));
    clock = 500;
    assert.equal(await f.tick(state([task({ calls: 9 })])), undefined, 'within a second');
    clock = 1000;
    const second = await f.tick(state([task({ calls: 9 })]));
    assert.equal(second?.tasks[0]?.calls, 9, 'changed and a second later');
    assert.deepEqual(second?.tasks[0]?.intervals, [{ calls: 4, errors: 0 }]);
    clock = 5000;
    assert.equal(await f.tick(state([task({ calls: 9 })])), undefined, 'nothing changed');
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[0]?.source, { label: 'live from the debug session', runId: 'r1' });
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /live from the debug session/);
  });
});
