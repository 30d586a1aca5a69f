import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ChaosHook } from '../../src/chaos/hook.js';
import { isInjected } from '../../src/chaos/hook.js';
import {
  ChaosExperimentError,
  parseExperiment,
  type ExperimentInput,
} from '../../src/chaos/experiment.js';
import { FaultInjector } from '../../src/chaos/injector.js';
import { ChaosForge, type ChaosHost, type ChaosTarget } from '../../src/chaos/forge.js';
import { killAllChaos, resetChaosKillSwitch } from '../../src/chaos/process-kill-switch.js';
import { experimentFromEnv } from '../../src/chaos/runtime-bridge.js';
import { SeededRandom } from '../../src/chaos/rng.js';
import { taskGlob } from '../../src/task/task-glob.js';
import type { Call } from '../../src/task/call.js';
import type { StatsSnapshot } from '../../src/protocol/stats.js';

const callOf = (taskId = 'src/a.ts#f') => ({ taskId }) as unknown as Call;

function experiment(over: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    name: 'test',
    seed: 42,
    hypothesis: { probes: [] },
    method: [{ fault: { type: 'error' }, target: { tasks: ['src/a.ts#f'], rate: 0.2 } }],
    baselineMs: 0,
    durationMs: 60_000,
    recoveryMs: 0,
    ...over,
  };
}

/** An injector in its injection phase, and a wrapped attempt that resolves at once. */
function injecting(input: ExperimentInput) {
  const inj = new FaultInjector('E1', parseExperiment(input));
  inj.startInjecting();
  const attempt = inj.hookFor('src/a.ts#f').wrap(async () => 'ok');
  return { inj, attempt };
}

async function outcomes(attempt: (c: Call) => Promise<unknown>, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await attempt(callOf()).then(
        () => false,
        () => true,
      ),
    );
  }
  return out;
}

/** A fake runtime: targets record their hook; stats are settable. */
function fakeHost(ids: string[]) {
  const hooks = new Map<string, ChaosHook | undefined>();
  let stats: StatsSnapshot = {
    at: 0,
    process: {
      pid: 1,
      uptimeMs: 1,
      eventLoopDelay: { mean: 0, p50: 0, p99: 0, max: 0 },
      eventLoopUtilization: 0,
      cpu: 0,
      heapUsedBytes: 0,
      rssBytes: 0,
    },
    tasks: [],
  } as unknown as StatsSnapshot;
  const targets: ChaosTarget[] = ids.map((id) => ({ id, setChaos: (h) => void hooks.set(id, h) }));
  const host: ChaosHost = { tasks: () => targets, stats: () => stats };
  return {
    host,
    hooks,
    setStats: (s: (old: StatsSnapshot) => StatsSnapshot) => (stats = s(stats)),
  };
}

describe('chaos forge', () => {
  afterEach(() => resetChaosKillSwitch());

  it('injects at the configured rate: inside the 99% binomial interval over 10k calls', async () => {
    const { attempt } = injecting(experiment());
    const hits = (await outcomes(attempt, 10_000)).filter(Boolean).length;
    const n = 10_000;
    const p = 0.2;
    const half = 2.5758 * Math.sqrt(n * p * (1 - p));
    assert.ok(
      Math.abs(hits - n * p) <= half,
      `${hits} injections, expected ${n * p} ± ${half.toFixed(1)}`,
    );
  });

  it('same seed → same sequence; another seed → another', async () => {
    const latency = {
      type: 'latency' as const,
      distribution: { kind: 'lognormal' as const, mean: 0.01, stddev: 0.01 },
    };
    const run = async (seed: number) => {
      const { inj, attempt } = injecting(
        experiment({
          seed,
          method: [
            { fault: latency, target: { tasks: ['src/a.ts#f'], rate: 0.3 } },
            { fault: { type: 'error' }, target: { tasks: ['**'], rate: 0.1 } },
          ],
        }),
      );
      await outcomes(attempt, 500);
      return inj.decisions;
    };
    assert.deepEqual(await run(7), await run(7));
    assert.notDeepEqual(await run(7), await run(8));
    const a = new SeededRandom(1);
    const b = new SeededRandom(1);
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  });

  it('property: maxAffected and maxConcurrent are never exceeded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rate: fc.double({ min: 0, max: 1, noNaN: true }),
          maxAffected: fc.integer({ min: 1, max: 50 }),
          maxConcurrent: fc.integer({ min: 1, max: 10 }),
          seed: fc.nat(),
        }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }),
        async (t, schedule) => {
          const inj = new FaultInjector(
            'E',
            parseExperiment(
              experiment({
                seed: t.seed,
                method: [
                  {
                    fault: { type: 'latency', ms: 0 },
                    target: {
                      tasks: ['src/a.ts#f'],
                      rate: t.rate,
                      maxAffected: t.maxAffected,
                      maxConcurrent: t.maxConcurrent,
                    },
                  },
                ],
              }),
            ),
          );
          inj.startInjecting();
          const pending: (() => void)[] = [];
          const attempt = inj
            .hookFor('src/a.ts#f')
            .wrap(() => new Promise((r) => pending.push(() => r('ok'))));
          const running: Promise<unknown>[] = [];
          for (const start of schedule) {
            // true: start a call; false: let the oldest in-flight call finish.
            if (start) running.push(attempt(callOf()));
            else pending.shift()?.();
            await new Promise((r) => setImmediate(r));
            const [c] = inj.stepCounters();
            assert.ok(
              c!.concurrent <= t.maxConcurrent,
              `concurrent ${c!.concurrent} > ${t.maxConcurrent}`,
            );
            assert.ok(c!.affected <= t.maxAffected, `affected ${c!.affected} > ${t.maxAffected}`);
          }
          while (pending.length) pending.shift()!();
          await Promise.all(running);
          assert.equal(inj.stepCounters()[0]!.concurrent, 0);
        },
      ),
      { numRuns: 100, seed: 3 },
    );
  });

  it('injects each fault kind as specified, and tags injected calls', async () => {
    const cases: [ExperimentInput['method'][number]['fault'], RegExp | null][] = [
      [{ type: 'error', message: 'boom', code: 'E_BOOM' }, /boom/],
      [{ type: 'timeout', ms: 1 }, /timed out after 1 ms/],
      [{ type: 'io', code: 'ECONNRESET' }, /ECONNRESET/],
      [{ type: 'latency', range: { min: 1, max: 2 } }, null],
      [{ type: 'cpu', ms: 5 }, null],
      [{ type: 'memory', mb: 1, holdMs: 10 }, null],
    ];
    for (const [fault, expected] of cases) {
      const { inj, attempt } = injecting(
        experiment({ method: [{ fault, target: { tasks: ['src/a.ts#f'], rate: 1 } }] }),
      );
      const call = callOf();
      const t0 = performance.now();
      const r = await attempt(call).then(
        (v) => v,
        (e: Error & { code?: string }) => e,
      );
      if (expected) assert.match((r as Error).message, expected);
      else assert.equal(r, 'ok');
      if (fault.type === 'cpu') assert.ok(performance.now() - t0 >= 5);
      if (fault.type === 'io') assert.equal((r as { code?: string }).code, 'ECONNRESET');
      assert.ok(isInjected(call));
      assert.equal(inj.samples.at(-1)!.injected, true);
      inj.stop();
    }
  });

  it('releases memory and stops a CPU hog on abort', async () => {
    const { inj, attempt } = injecting(
      experiment({
        method: [
          { fault: { type: 'memory', mb: 8, holdMs: 600_000 }, target: { tasks: ['**'], rate: 1 } },
        ],
      }),
    );
    await outcomes(attempt, 3);
    assert.equal(inj.heldBytes, 3 * 8 * 1024 * 1024);
    inj.stop();
    assert.equal(inj.heldBytes, 0);

    const cpu = injecting(
      experiment({
        method: [
          { fault: { type: 'cpu', ms: 5_000, sliceMs: 5 }, target: { tasks: ['**'], rate: 1 } },
        ],
      }),
    );
    const t0 = performance.now();
    const p = cpu.attempt(callOf());
    setTimeout(() => cpu.inj.stop(), 20);
    assert.equal(await p, 'ok');
    assert.ok(performance.now() - t0 < 500, `hog ran ${performance.now() - t0} ms after abort`);
    // And nothing is injected afterwards.
    const before = cpu.inj.affected;
    await cpu.attempt(callOf());
    assert.equal(cpu.inj.affected, before);
  });

  it('cuts pending injected delays short on abort', async () => {
    const { inj, attempt } = injecting(
      experiment({
        method: [{ fault: { type: 'latency', ms: 60_000 }, target: { tasks: ['**'], rate: 1 } }],
      }),
    );
    const p = attempt(callOf());
    inj.stop();
    assert.equal(await p, 'ok');
  });

  it('refuses invalid experiments and injects nothing', async () => {
    const { host, hooks } = fakeHost(['src/a.ts#f']);
    const forge = new ChaosForge({ host });
    const bad: unknown[] = [
      null,
      {},
      { ...experiment(), seed: -1 },
      { ...experiment(), method: [] },
      {
        ...experiment(),
        method: [{ fault: { type: 'latency' }, target: { tasks: ['x'], rate: 0.1 } }],
      },
      {
        ...experiment(),
        method: [
          {
            fault: { type: 'latency', ms: 1, range: { min: 1, max: 2 } },
            target: { tasks: ['x'], rate: 0.1 },
          },
        ],
      },
      {
        ...experiment(),
        method: [{ fault: { type: 'error' }, target: { tasks: ['x'], rate: 1.5 } }],
      },
      {
        ...experiment(),
        method: [{ fault: { type: 'nuke' }, target: { tasks: ['x'], rate: 0.1 } }],
      },
      { ...experiment(), durationMs: 0 },
      { ...experiment(), extra: true },
    ];
    for (const b of bad) await assert.rejects(forge.start(b), ChaosExperimentError);
    assert.equal(hooks.size, 0);
    assert.ok('error' in experimentFromEnv({ FOX_CHAOS: '/nonexistent/exp.json' })!);
    assert.ok('error' in experimentFromEnv({ FOX_CHAOS: '{not json' })!);
    assert.ok('error' in experimentFromEnv({ FOX_CHAOS: '{"name":"x"}' })!);
    assert.ok('experiment' in experimentFromEnv({ FOX_CHAOS: JSON.stringify(experiment()) })!);
    assert.equal(experimentFromEnv({}), undefined);
    forge.dispose();
  });

  it('aborts on a steady-state breach within 50 ms, detaches, and reports', async () => {
    const { host, hooks, setStats } = fakeHost(['src/a.ts#f', 'src/b.ts#g']);
    const forge = new ChaosForge({ host });
    const events: string[] = [];
    forge.onEvent((e) => events.push(e.action));
    const run = await forge.start(
      experiment({
        hypothesis: { probes: [{ metric: 'eventLoopDelayP99', max: 100 }], intervalMs: 5 },
      }),
    );
    assert.equal(run.state, 'running');
    assert.ok(hooks.get('src/a.ts#f'));
    assert.equal(hooks.get('src/b.ts#g'), undefined);
    const attempt = hooks.get('src/a.ts#f')!.wrap(async () => 'ok');
    await new Promise((r) => setTimeout(r, 20));
    await outcomes(attempt, 200);
    const breachAt = performance.now();
    setStats((s) => ({
      ...s,
      process: { ...s.process, eventLoopDelay: { p50: 0, p99: 500, max: 500 } },
    }));
    while (run.injector!.injecting) await new Promise((r) => setTimeout(r, 1));
    const latency = performance.now() - breachAt;
    assert.ok(latency <= 50, `abort took ${latency} ms`);
    const report = await run.done;
    assert.equal(report.outcome, 'aborted');
    assert.match(report.abortReason!, /eventLoopDelayP99/);
    assert.equal(hooks.get('src/a.ts#f'), undefined);
    const during = report.tasks['src/a.ts#f']!.during;
    assert.equal(during.calls, 200);
    assert.ok(
      during.errorRate.low <= during.errorRate.value &&
        during.errorRate.value <= during.errorRate.high,
    );
    assert.deepEqual(events, ['start', 'abort']);
    forge.dispose();
  });

  it('kill switch aborts running experiments and refuses new ones', async () => {
    const { host } = fakeHost(['src/a.ts#f']);
    const forge = new ChaosForge({ host });
    const run = await forge.start(experiment());
    killAllChaos();
    assert.equal((await run.done).outcome, 'killed');
    await assert.rejects(forge.start(experiment()), /kill switch/);
    resetChaosKillSwitch();
    const again = await forge.start(experiment({ durationMs: 10 }));
    assert.equal((await again.done).outcome, 'completed');
    forge.dispose();
  });

  it('matches task globs', () => {
    assert.ok(taskGlob('src/api.ts#*')('src/api.ts#Orders.place'));
    assert.ok(!taskGlob('src/*#f')('src/a/b.ts#f'));
    assert.ok(taskGlob('**#resize')('src/img/x.ts#resize'));
    assert.ok(!taskGlob('src/a.ts#f')('src/a.ts#fg'));
  });
});
