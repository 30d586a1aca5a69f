import assert from 'node:assert/strict';
import { FoxAbortedError, FoxConfigError, FoxFlowError, fox, type CallContext } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A promise resolved from outside, to hold nodes running while the test looks. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets pending reactions run (node completions feed the ready queue in reactions). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('fox.flow: building', () => {
  afterEach(() => runtime().reset());

  it('rejects a duplicate node name when built, naming it', () => {
    const b = fox
      .flow('dup')
      .node('a', () => 1)
      .node('b', () => 2);
    // A dynamic name gets past the compile-time check; build() still refuses it.
    const name: string = 'a';
    const err = assertThrowsConfig(() => b.node(name, () => 3).build());
    assert.match(err.message, /flow 'dup': duplicate node name 'a'/);
    assert.deepEqual(err.path, ['nodes', 'a']);
  });

  it('rejects a dependency on an unknown node, naming both', () => {
    const err = assertThrowsConfig(() =>
      fox
        .flow('unknown')
        .node('a', () => 1)
        .node('b', { needs: ['a', 'nope'] }, () => 2)
        .build(),
    );
    assert.match(err.message, /node 'b' needs unknown node 'nope'/);
    assert.deepEqual(err.path, ['nodes', 'b', 'needs']);
  });

  it('rejects a cycle with its path in run order', () => {
    const err = assertThrowsConfig(() =>
      fox
        .flow('cyclic')
        .node('start', () => 0)
        .node('a', { needs: ['start', 'c'] }, () => 1)
        .node('b', { needs: ['a'] }, () => 2)
        .node('c', { needs: ['b'] }, () => 3)
        .build(),
    );
    // a needs c, b needs a, c needs b: a → b → c → a, from whichever node the search met first.
    const path = /cycle: (.*)$/.exec(err.message)![1]!.split(' → ');
    assert.equal(path.length, 4);
    assert.equal(path[0], path[3]);
    const rotation = path.slice(0, 3).join(',');
    assert.ok(['a,b,c', 'b,c,a', 'c,a,b'].includes(rotation), err.message);
  });

  it('rejects a node that needs itself', () => {
    const err = assertThrowsConfig(() =>
      fox
        .flow('self')
        .node('a', { needs: ['a'] }, () => 1)
        .build(),
    );
    assert.match(err.message, /cycle: a → a/);
  });

  it('validates flow, run and node options, naming the option', async () => {
    const e1 = assertThrowsConfig(() => fox.flow('opts', { concurrency: 0 }));
    assert.deepEqual(e1.path, ['concurrency']);
    const e2 = assertThrowsConfig(() => fox.flow('opts', { retries: 1 } as never));
    assert.deepEqual(e2.path, ['retries']);
    const e3 = assertThrowsConfig(() =>
      fox.flow('opts').node('a', { need: ['x'] } as never, () => 1),
    );
    assert.deepEqual(e3.path, ['nodes', 'a', 'need']);
    const flow = fox
      .flow('opts')
      .node('a', () => 1)
      .build();
    await assert.rejects(
      flow.run(undefined, { concurrency: 1.5 }),
      (err: unknown) => err instanceof FoxConfigError && err.path[0] === 'concurrency',
    );
  });

  it('exposes the nodes in topological order and their needs', () => {
    const flow = fox
      .flow('shape')
      .node('c', { needs: ['b'] }, () => 3)
      .node('b', { needs: ['a'] }, () => 2)
      .node('a', () => 1)
      .build();
    assert.deepEqual(flow.nodes, ['a', 'b', 'c']);
    assert.deepEqual(flow.needs, { a: [], b: ['a'], c: ['b'] });
  });
});

describe('fox.flow: running', () => {
  afterEach(() => runtime().reset());

  it('runs independent nodes together and a dependant after both, with their results', async () => {
    const started: string[] = [];
    const ga = gate<number>();
    const gb = gate<string>();
    const flow = fox
      .flow<{ base: number }>('diamond')
      .node('a', (_, { input }) => {
        started.push('a');
        return ga.promise.then((v) => v + input.base);
      })
      .node('b', () => {
        started.push('b');
        return gb.promise;
      })
      .node('c', { needs: ['a', 'b'] }, ({ a, b }) => {
        started.push('c');
        return `${b}${a}`;
      })
      .build();
    const run = flow.run({ base: 10 });
    await settle();
    assert.deepEqual(started, ['a', 'b'], 'a and b run at once; c waits');
    ga.open(1);
    await settle();
    assert.deepEqual(started, ['a', 'b'], 'c still waits for b');
    gb.open('x');
    const { results, nodes, runId } = await run;
    assert.deepEqual(results, { a: 11, b: 'x', c: 'x11' });
    assert.match(runId, ULID);
    assert.equal(nodes.c.status, 'succeeded');
    if (nodes.c.status === 'succeeded') {
      assert.match(nodes.c.runId, ULID);
      assert.ok(nodes.c.endedAt >= nodes.c.startedAt);
    }
  });

  it('never runs more nodes at once than the concurrency limit', async () => {
    let running = 0;
    let most = 0;
    const gates = Array.from({ length: 6 }, () => gate());
    let b = fox.flow('limited', { concurrency: 4 }).node('n0', () => 0);
    for (let i = 0; i < 6; i++) {
      b = b.node(`w${i}`, async () => {
        running++;
        most = Math.max(most, running);
        await gates[i]!.promise;
        running--;
        return i;
      });
    }
    const run = b.build().run(undefined, { concurrency: 2 });
    await settle();
    assert.equal(running, 2, 'the run option overrides the flow default');
    for (const g of gates) {
      g.open();
      await settle();
    }
    await run;
    assert.equal(most, 2);
  });

  it('fail-fast: aborts running nodes, never starts queued ones, reports every node', async () => {
    const started: string[] = [];
    let slowSignal: AbortSignal | undefined;
    const boom = new Error('boom');
    const flow = fox
      .flow('fail-fast')
      .node('slow', async (_, { signal }) => {
        started.push('slow');
        slowSignal = signal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return 1;
      })
      .node('bad', async () => {
        started.push('bad');
        await settle();
        throw boom;
      })
      .node('queued', () => {
        started.push('queued');
        return 3;
      })
      .node('after', { needs: ['bad'] }, () => {
        started.push('after');
        return 4;
      })
      .build();
    const err = await flow.run(undefined, { concurrency: 2 }).then(
      () => assert.fail('the run must reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FoxFlowError);
    assert.equal(err.code, 'FOX_FLOW_FAILED');
    assert.equal(err.node, 'bad');
    assert.equal(err.cause, boom);
    assert.equal(slowSignal?.aborted, true);
    assert.equal(slowSignal?.reason, boom);
    await settle();
    assert.deepEqual(started, ['slow', 'bad'], 'nothing starts after the failure');
    assert.equal(err.nodes.bad!.status, 'failed');
    assert.equal(err.nodes.slow!.status, 'cancelled');
    assert.deepEqual(err.nodes.queued, { status: 'skipped', reason: { kind: 'cancelled' } });
    assert.deepEqual(err.nodes.after, { status: 'skipped', reason: { kind: 'cancelled' } });
  });

  it("stops when the run's signal aborts", async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const flow = fox
      .flow('abortable')
      .node('wait', (_, { signal }) => {
        seen = signal;
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      })
      .node('next', { needs: ['wait'] }, () => 1)
      .build();
    const run = flow.run(undefined, { signal: controller.signal });
    await settle();
    controller.abort('user cancelled');
    const err = await run.then(
      () => assert.fail('must reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FoxFlowError);
    assert.equal(err.node, undefined);
    assert.ok(err.cause instanceof FoxAbortedError);
    assert.equal(seen?.aborted, true);
    assert.deepEqual(err.nodes.next, { status: 'skipped', reason: { kind: 'cancelled' } });
    // An already-aborted signal starts nothing.
    let ran = false;
    const again = fox
      .flow('abortable-2')
      .node('x', () => (ran = true))
      .build();
    await assert.rejects(again.run(undefined, { signal: AbortSignal.abort() }), FoxFlowError);
    assert.equal(ran, false);
  });

  it('continueOnError: skips dependants of a failure with typed reasons and runs the rest', async () => {
    const flow = fox
      .flow('partial')
      .node('ok', () => 'fine')
      .node('bad', () => {
        throw new Error('nope');
      })
      .node('child', { needs: ['bad'] }, () => 1)
      .node('grandchild', { needs: ['child', 'ok'] }, () => 2)
      .node('sibling', { needs: ['ok'] }, ({ ok }) => ok.length)
      .build();
    const settled = await flow.run(undefined, { continueOnError: true });
    assert.equal(settled.ok, false);
    assert.deepEqual(settled.results, { ok: 'fine', sibling: 4 });
    assert.equal(settled.nodes.bad.status, 'failed');
    assert.deepEqual(settled.nodes.child, {
      status: 'skipped',
      reason: { kind: 'dependency-failed', node: 'bad' },
    });
    assert.deepEqual(settled.nodes.grandchild, {
      status: 'skipped',
      reason: { kind: 'dependency-skipped', node: 'child' },
    });
  });

  it('when(results): runs a node only when its condition holds; skips its dependants', async () => {
    const ran: string[] = [];
    const flow = fox
      .flow<number>('conditional')
      .node('n', (_, { input }) => input)
      .node('big', { needs: ['n'], when: ({ n }) => n > 10 }, ({ n }) => (ran.push('big'), n))
      .node('small', { needs: ['n'], when: ({ n }) => n <= 10 }, ({ n }) => (ran.push('small'), n))
      .node('afterBig', { needs: ['big'] }, ({ big }) => (ran.push('afterBig'), big))
      .build();
    const { results, nodes } = await flow.run(3);
    assert.deepEqual(ran, ['small']);
    assert.deepEqual(results, { n: 3, small: 3 });
    assert.deepEqual(nodes.big, { status: 'skipped', reason: { kind: 'condition' } });
    assert.deepEqual(nodes.afterBig, {
      status: 'skipped',
      reason: { kind: 'dependency-skipped', node: 'big' },
    });
    const throwing = fox
      .flow('bad-condition')
      .node('a', () => 1)
      .node(
        'b',
        {
          needs: ['a'],
          when: () => {
            throw new Error('bad when');
          },
        },
        () => 2,
      )
      .build();
    await assert.rejects(
      throwing.run(),
      (e: unknown) => e instanceof FoxFlowError && e.node === 'b',
    );
  });

  it('runs a 10,000-node chain of synchronous nodes without growing the stack', async () => {
    let b = fox.flow('chain').node('n0', () => 0);
    for (let i = 1; i < 10_000; i++) {
      const prev = `n${i - 1}`;
      b = b.node(`n${i}`, { needs: [prev] }, (deps) => (deps[prev] as number) + 1);
    }
    const { results } = await b.build().run();
    assert.equal((results as Record<string, number>).n9999, 9999);
  });

  it('nests node runs under the flow run, and fox tasks under their node, in the call tree', async () => {
    const seen: Array<{
      node: string;
      ctx: CallContext | undefined;
      nodeRunId: string;
      flowRunId: string;
    }> = [];
    const step = fox({ id: 'flow-test#step' }, async function step(_node: string) {
      return fox.context();
    });
    const flow = fox
      .flow('tree')
      .node('a', async (_, c) => {
        const ctx = await step('a');
        seen.push({ node: 'a', ctx, nodeRunId: c.runId, flowRunId: c.flowRunId });
        return 1;
      })
      .node('b', { needs: ['a'] }, async (_, c) => {
        const ctx = await step('b');
        seen.push({ node: 'b', ctx, nodeRunId: c.runId, flowRunId: c.flowRunId });
        return 2;
      })
      .build();
    const outer = fox({ id: 'flow-test#outer' }, async function outer() {
      const me = fox.context()!;
      const run = await flow.run();
      return { me, run };
    });
    const { me, run } = await outer();
    assert.equal(seen.length, 2);
    for (const s of seen) {
      assert.equal(s.flowRunId, run.runId);
      const nodeCall = s.ctx!.parent!;
      assert.equal(nodeCall.taskId, `flow:tree#${s.node}`);
      assert.equal(nodeCall.runId, s.nodeRunId);
      assert.equal(nodeCall.parent!.taskId, 'flow:tree');
      assert.equal(nodeCall.parent!.runId, run.runId);
      assert.equal(nodeCall.parent!.parent, me, 'the flow run is a child of the call that ran it');
      const outcome = run.nodes[s.node as 'a' | 'b'];
      assert.equal(outcome.status === 'succeeded' && outcome.runId, s.nodeRunId);
    }
    assert.notEqual(seen[0]!.nodeRunId, seen[1]!.nodeRunId);
  });

  it('runs one built flow many times at once, each run with its own id, input and results', async () => {
    const flow = fox
      .flow<number>('concurrent-runs')
      .node('wait', async (_, { input }) => {
        await new Promise((r) => setTimeout(r, (input * 7) % 5));
        return input;
      })
      .node('double', { needs: ['wait'] }, ({ wait }) => wait * 2)
      .build();
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => flow.run(i)));
    assert.deepEqual(
      runs.map((r) => r.results.double),
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
    assert.equal(new Set(runs.map((r) => r.runId)).size, 20);
  });

  it('resolves to undefined results for nodes returning nothing', async () => {
    const flow = fox
      .flow('void')
      .node('v', () => undefined)
      .node('w', { needs: ['v'] }, ({ v }) => v === undefined)
      .build();
    const { results } = await flow.run();
    assert.equal(results.w, true);
  });
});

function assertThrowsConfig(fn: () => unknown): FoxConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FoxConfigError, `expected FoxConfigError, got ${String(err)}`);
    assert.equal(err.code, 'FOX_CONFIG');
    return err;
  }
  assert.fail('expected a FoxConfigError');
}
