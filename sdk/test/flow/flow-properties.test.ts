import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxConfigError, FoxFlowError, fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

/** A graph as data: `needs[i]` are the nodes node i needs; nodes are declared in `order`. */
interface GraphSpec {
  needs: number[][];
  order: number[];
}

/** DAGs: node i needs only nodes < i, declared in a random order (so forward references occur). */
const dagArb: fc.Arbitrary<GraphSpec> = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc.record({
    needs: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        i === 0
          ? fc.constant<number[]>([])
          : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(i, 4) }),
      ),
    ),
    order: fc.shuffledSubarray(
      Array.from({ length: n }, (_, i) => i),
      { minLength: n, maxLength: n },
    ),
  }),
);

/** Any directed graph (cycles likely), declared in index order. */
const anyGraphArb: fc.Arbitrary<GraphSpec> = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc
      .tuple(
        ...Array.from({ length: n }, () =>
          fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
        ),
      )
      .map((needs) => ({ needs, order: Array.from({ length: n }, (_, i) => i) })),
  );

const name = (i: number) => `n${i}`;

/** Builds a flow from a spec, each node running `body(i, deps, signal)`. */
function buildFlow(
  flowName: string,
  spec: GraphSpec,
  body: (i: number, deps: Record<string, unknown>, signal: AbortSignal) => unknown,
  concurrency?: number,
) {
  let b = fox.flow(flowName, concurrency === undefined ? {} : { concurrency });
  for (const i of spec.order) {
    b = b.node(name(i), { needs: spec.needs[i]!.map(name) }, (deps, { signal }) =>
      body(i, deps, signal),
    ) as typeof b;
  }
  return b.build();
}

function hasCycle(needs: number[][]): boolean {
  const state = new Uint8Array(needs.length); // 0 new, 1 on stack, 2 done
  const visit = (i: number): boolean => {
    if (state[i] === 1) return true;
    if (state[i] === 2) return false;
    state[i] = 1;
    for (const j of needs[i]!) if (visit(j)) return true;
    state[i] = 2;
    return false;
  };
  return needs.some((_, i) => visit(i));
}

const hop = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('fox.flow properties', () => {
  afterEach(() => runtime().reset());

  it('runs every node of a DAG exactly once, after all its needs, within the concurrency limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArb,
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 30, maxLength: 30 }),
        async (spec, limit, hops) => {
          const runs = new Array<number>(spec.needs.length).fill(0);
          const finished = new Set<number>();
          let running = 0;
          let most = 0;
          const flow = buildFlow(
            'prop-dag',
            spec,
            (i, deps) => {
              runs[i]!++;
              for (const j of spec.needs[i]!) {
                assert.ok(finished.has(j), `n${i} started before its need n${j} finished`);
                assert.equal(deps[name(j)], j * 10, 'each need’s result is passed');
              }
              running++;
              most = Math.max(most, running);
              const done = () => {
                running--;
                finished.add(i);
                return i * 10;
              };
              // Some nodes finish synchronously, others after a few event-loop turns.
              if (hops[i] === 0) return done();
              return (async () => {
                for (let k = 0; k < hops[i]!; k++) await hop();
                return done();
              })();
            },
            limit,
          );
          const { results } = await flow.run();
          assert.deepEqual(runs, new Array<number>(spec.needs.length).fill(1));
          for (let i = 0; i < spec.needs.length; i++) {
            assert.equal((results as Record<string, unknown>)[name(i)], i * 10);
          }
          if (limit !== undefined) assert.ok(most <= limit, `${most} ran at once, limit ${limit}`);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('rejects every graph with a cycle with a real cycle path, and builds every one without', () => {
    fc.assert(
      fc.property(anyGraphArb, (spec) => {
        const cyclic = hasCycle(spec.needs);
        let error: unknown;
        try {
          buildFlow('prop-cycle', spec, () => 0);
        } catch (err) {
          error = err;
        }
        if (!cyclic) {
          assert.equal(error, undefined, `an acyclic graph was rejected: ${String(error)}`);
          return;
        }
        assert.ok(error instanceof FoxConfigError, `a cyclic graph was accepted`);
        const m = /cycle: (.*)$/.exec(error.message);
        assert.ok(m, error.message);
        const path = m[1]!.split(' → ').map((s) => Number(s.slice(1)));
        assert.ok(path.length >= 2);
        assert.equal(path[0], path[path.length - 1], 'the path is closed');
        assert.equal(new Set(path.slice(1)).size, path.length - 1, 'no node repeats inside');
        for (let k = 0; k + 1 < path.length; k++) {
          // Run order: each node on the path needs the one before it.
          assert.ok(
            spec.needs[path[k + 1]!]!.includes(path[k]!),
            `n${path[k + 1]} does not need n${path[k]} (${m[1]})`,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cancellation aborts every running node and starts no new one', async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArb,
        fc.integer({ min: 0, max: 29 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 30, maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        async (spec, pick, bySignal, hops, limit) => {
          const failing = pick % spec.needs.length;
          const started = new Set<number>();
          const running = new Map<number, AbortSignal>();
          const controller = new AbortController();
          const flow = buildFlow(
            'prop-cancel',
            spec,
            async (i, _deps, signal) => {
              started.add(i);
              running.set(i, signal);
              for (let k = 0; k < hops[i]!; k++) {
                await hop();
                if (signal.aborted) return i; // a cooperative node stops
              }
              if (i === failing) {
                if (bySignal) controller.abort('stop');
                else throw new Error(`n${i} failed`);
              }
              running.delete(i);
              return i;
            },
            limit,
          );
          let snapshot: Map<number, AbortSignal> | undefined;
          let startedAtStop = 0;
          const outcome = await flow.run(undefined, { signal: controller.signal }).then(
            () => 'ok' as const,
            (err: unknown) => {
              snapshot = new Map(running);
              startedAtStop = started.size;
              return err;
            },
          );
          if (outcome === 'ok') {
            // The failing node was skipped?: impossible, every node runs in a DAG without errors
            // elsewhere; so the failing node must have failed.
            assert.fail('the run should have stopped');
          }
          assert.ok(outcome instanceof FoxFlowError);
          assert.equal(outcome.node, bySignal ? undefined : name(failing));
          for (const [i, signal] of snapshot!) {
            assert.equal(signal.aborted, true, `n${i} was running and its signal did not abort`);
            if (i !== failing || bySignal) {
              const status = outcome.nodes[name(i)]!.status;
              assert.ok(status === 'cancelled' || status === 'failed', `n${i}: ${status}`);
            }
          }
          for (let k = 0; k < 6; k++) await hop();
          assert.equal(started.size, startedAtStop, 'a node started after the run stopped');
          for (const [n, o] of Object.entries(outcome.nodes)) {
            if (!started.has(Number(n.slice(1)))) assert.equal(o.status, 'skipped', n);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
