import assert from 'node:assert/strict';
import { MAX_ERROR_TYPES } from '../../../src/telemetry/metrics/catalogue.js';
import {
  MetricsCollector,
  type MetricsTaskView,
} from '../../../src/telemetry/metrics/metrics-collector.js';
import { TaskMetrics } from '../../../src/telemetry/task-metrics.js';

function task(id: string, metrics: TaskMetrics): MetricsTaskView {
  return {
    id,
    current: 'sfox',
    metrics,
    gauges: () => ({ queued: 0, limit: null }),
    breakerState: () => undefined,
  };
}

describe('metrics collector', () => {
  it('caps error types per task and counts the rest as _OTHER, keeping the first ones', () => {
    const m = new TaskMetrics(() => 0);
    const codes = MAX_ERROR_TYPES + 10;
    for (let i = 0; i < codes; i++) {
      m.start();
      m.failure(-1, Object.assign(new Error('x'), { code: `E${i}` }));
    }
    m.start();
    m.failure(-1, Object.assign(new Error('x'), { code: 'E0' }));
    const collector = new MetricsCollector({
      tasks: () => [task('t#a', m)],
      pool: () => undefined,
      lanes: () => [],
      queues: () => [],
    });
    try {
      const calls = collector.read().values.get('calls')!;
      const errorTypes = calls.filter((p) => p.attributes['fox.outcome'] !== 'ok');
      assert.equal(errorTypes.length, MAX_ERROR_TYPES + 1);
      const byType = new Map(errorTypes.map((p) => [p.attributes['error.type'], p.value]));
      assert.equal(byType.get('E0'), 2);
      assert.equal(byType.get('_OTHER'), 10);
      assert.equal(
        errorTypes.reduce((n, p) => n + p.value, 0),
        codes + 1,
        'no call lost',
      );
    } finally {
      collector.close();
    }
  });

  it('reports no breaker series for a task without a breaker, and no limit without a limiter', () => {
    const collector = new MetricsCollector({
      tasks: () => [task('t#b', new TaskMetrics(() => 0))],
      pool: () => undefined,
      lanes: () => [],
      queues: () => [],
    });
    try {
      const r = collector.read();
      assert.equal(r.values.get('breakerState'), undefined);
      assert.equal(r.values.get('limit'), undefined);
      assert.equal(r.values.get('poolThreads'), undefined);
      assert.deepEqual(r.values.get('inFlight'), [
        { attributes: { 'fox.task.id': 't#b', 'fox.mode': 'sfox' }, value: 0 },
      ]);
    } finally {
      collector.close();
    }
  });

  it('reports dfox queue job counts by state and the connection', () => {
    const collector = new MetricsCollector({
      tasks: () => [],
      pool: () => undefined,
      lanes: () => [],
      queues: () => [
        { queue: 'orders', waiting: 3, active: 2, delayed: 1, failed: 0, connected: true },
      ],
    });
    try {
      const r = collector.read();
      const jobs = new Map(
        r.values.get('queueJobs')!.map((p) => [p.attributes['fox.dfox.job.state'], p.value]),
      );
      assert.deepEqual(Object.fromEntries(jobs), { waiting: 3, active: 2, delayed: 1, failed: 0 });
      assert.deepEqual(r.values.get('queueConnected'), [
        { attributes: { 'fox.dfox.queue': 'orders' }, value: 1 },
      ]);
    } finally {
      collector.close();
    }
  });
});
