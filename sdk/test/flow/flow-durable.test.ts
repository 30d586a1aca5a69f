import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  FoxConfigError,
  FoxFlowError,
  FoxFlowNotSerializableError,
  FoxFlowUnknownRunError,
  fox,
} from '@fox/sdk';
import { openStore } from '@fox/sdk/store';
import { FLOW_RUNS } from '../../src/flow/index.js';
import { runtime } from '../../src/runtime/runtime.js';
import { killAndResume } from './fixtures/durable-kill.js';

describe('durable flow runs', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fox-flow-durable-'));
    db = join(dir, 'fox.db');
  });
  afterEach(async () => {
    await runtime().reset();
    rmSync(dir, { recursive: true, force: true });
  });

  function rowsOf(runId: string) {
    const store = openStore({ path: db });
    try {
      const runs = store.use(FLOW_RUNS);
      return { run: runs.run(runId), nodes: runs.nodes(runId) };
    } finally {
      store.close();
    }
  }

  it('records the run and each completed node with its result and the input hash', async () => {
    fox.configure({ store: db });
    const flow = fox
      .flow<{ n: number }>('durable-basic', { durable: true })
      .node('a', (_, { input }) => ({ twice: input.n * 2 }))
      .node('b', { needs: ['a'] }, ({ a }) => [a.twice, null, 'x'])
      .node('c', () => undefined)
      .build();
    const { runId, results } = await flow.run({ n: 21 });
    assert.deepEqual(results.b, [42, null, 'x']);
    const { run, nodes } = rowsOf(runId);
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.flow, 'durable-basic');
    assert.deepEqual(JSON.parse(run!.graph), [
      ['a', []],
      ['b', ['a']],
      ['c', []],
    ]);
    assert.deepEqual(nodes.map((r) => [r.node, r.status]).sort(), [
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
    assert.ok(nodes.every((r) => r.inputHash === run!.inputHash && r.attempts === 1));
  });

  it('resumes a failed run: completed nodes keep their results, only the rest run again', async () => {
    fox.configure({ store: db });
    const calls: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    let healthy = false;
    const build = () =>
      fox
        .flow<string>('durable-resume', { durable: true })
        .node('a', (_, { input }) => (calls.a!++, `${input}-a`))
        .node('b', { needs: ['a'] }, ({ a }) => {
          calls.b!++;
          if (!healthy) throw new Error('b is down');
          return `${a}-b`;
        })
        .node('c', { needs: ['a'] }, ({ a }) => (calls.c!++, `${a}-c`))
        .node('d', { needs: ['b', 'c'] }, ({ b, c }) => (calls.d!++, `${b}+${c}`))
        .build();
    const err = await build()
      .run('in', { continueOnError: true })
      .then((s) => s);
    assert.equal(err.ok, false);
    assert.equal(rowsOf(err.runId).run?.status, 'failed');
    healthy = true;
    // A new process would build the flow again, then resume by name through fox.flow(name)
    // (typed only as far as a name gives: the built flow's own resume() is typed in full).
    const rebuilt = build();
    const byName = await fox.flow<string>('durable-resume').resume(err.runId);
    assert.equal(byName.runId, err.runId);
    const { results, nodes } = await rebuilt.resume(err.runId);
    assert.deepEqual(results, { a: 'in-a', b: 'in-a-b', c: 'in-a-c', d: 'in-a-b+in-a-c' });
    assert.deepEqual(calls, { a: 1, b: 2, c: 1, d: 1 }, 'the second resume reran nothing');
    assert.equal(nodes.a.status === 'succeeded' && nodes.a.restored, true);
    const after = rowsOf(err.runId);
    assert.equal(after.run?.status, 'succeeded');
    assert.equal(after.nodes.find((r) => r.node === 'b')?.attempts, 2);
  });

  it('resumes a fail-fast run: the failed node and the ones it cancelled run again', async () => {
    fox.configure({ store: db });
    const ran: string[] = [];
    let broken = true;
    const flow = fox
      .flow('durable-fail-fast', { durable: true })
      .node('a', () => (ran.push('a'), 1))
      .node('slow', { needs: ['a'] }, async (_, { signal }) => {
        ran.push('slow');
        await new Promise((r) => setTimeout(r, 20));
        return signal.aborted ? -1 : 2;
      })
      .node('bad', { needs: ['a'] }, () => {
        ran.push('bad');
        if (broken) throw new Error('bad');
        return 3;
      })
      .node('end', { needs: ['slow', 'bad'] }, ({ slow, bad }) => (ran.push('end'), slow + bad))
      .build();
    const err = await flow.run().then(
      () => assert.fail('must reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FoxFlowError);
    assert.equal(rowsOf(err.runId).run?.status, 'failed');
    broken = false;
    await new Promise((r) => setTimeout(r, 30)); // the cancelled node finishes; it is not recorded
    const { results } = await flow.resume(err.runId);
    assert.deepEqual(results, { a: 1, slow: 2, bad: 3, end: 5 });
    assert.deepEqual(ran, ['a', 'slow', 'bad', 'slow', 'bad', 'end']);
  });

  it('fails a node whose result JSON cannot carry, with a typed error', async () => {
    fox.configure({ store: db });
    const flow = fox
      .flow('durable-json', { durable: true })
      .node('when', () => new Date(0))
      .build();
    const err = await flow.run().then(
      () => assert.fail('must reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FoxFlowError);
    assert.ok(err.cause instanceof FoxFlowNotSerializableError);
    assert.equal(err.cause.code, 'FOX_FLOW_NOT_SERIALIZABLE');
    assert.match(err.cause.message, /\$ is a Date/);
    for (const bad of [NaN, () => 1, { big: 1n }, new Map()]) {
      const f = fox
        .flow('durable-json-2', { durable: true })
        .node('x', () => bad)
        .build();
      await assert.rejects(
        f.run(),
        (e: unknown) => e instanceof FoxFlowError && e.cause instanceof FoxFlowNotSerializableError,
      );
    }
  });

  it('refuses durable runs without a store, a non-JSON input, and unknown runs', async () => {
    const flow = fox
      .flow('durable-nostore')
      .node('a', () => 1)
      .build();
    await assert.rejects(
      flow.run(undefined, { durable: true }),
      (e: unknown) => e instanceof FoxConfigError && e.path[0] === 'durable',
    );
    fox.configure({ store: db });
    const withInput = fox
      .flow<{ at: Date }>('durable-input')
      .node('a', () => 1)
      .build();
    await assert.rejects(
      withInput.run({ at: new Date() }, { durable: true }),
      (e: unknown) => e instanceof FoxConfigError && e.path[0] === 'input',
    );
    await assert.rejects(flow.resume('01HZZZZZZZZZZZZZZZZZZZZZZZ'), FoxFlowUnknownRunError);
    const other = await fox
      .flow('durable-other', { durable: true })
      .node('a', () => 1)
      .build()
      .run();
    await assert.rejects(
      flow.resume(other.runId),
      (e: unknown) => e instanceof FoxFlowUnknownRunError && /durable-other/.test(e.message),
    );
    await assert.rejects(
      fox.flow('never-built').resume(other.runId),
      (e: unknown) => e instanceof FoxConfigError && /has not been built/.test(e.message),
    );
  });

  it('after kill -9 at random nodes, resume completes every node exactly once', async function () {
    this.timeout(240_000);
    const n = 24;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: n - 1 }),
        async (seed, kill) => {
          const round = await killAndResume(dir, seed, n, kill);
          assert.equal(round.signal, 'SIGKILL', 'the first process was killed');
          assert.ok(round.beforeKill < n, 'the kill came before the run finished');
          assert.deepEqual(
            round.completions,
            new Array<number>(n).fill(1),
            'every node completed once',
          );
          assert.equal(round.rows.length, n);
          assert.ok(round.rows.every((r) => r.status === 'succeeded' && r.attempts === 1));
          assert.deepEqual(round.results, round.expected, 'restored results feed dependants');
        },
      ),
      { numRuns: 6 },
    );
  });
});
