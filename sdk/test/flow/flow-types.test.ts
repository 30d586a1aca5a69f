// Type-level tests for flow result inference (tsd-style): `npx tsc -p tsconfig.tests.json` fails
// when an inferred type changes or an `@ts-expect-error` line starts to compile. The calls also
// run under mocha, so the values the types describe are checked too.
import assert from 'node:assert/strict';
import { fox, type FlowSettled, type NodeOutcome } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T>(): <V>(value: V, ...ok: Equal<T, V> extends true ? [] : [never]) => void {
  return () => undefined;
}

const getUser = fox({ id: 'flow-types#getUser' }, async function getUser(id: string) {
  return { id, name: `user ${id}` };
});

describe('flow result inference (compile-time checks)', () => {
  afterEach(() => runtime().reset());

  it('types each node from its function and the results of a run from all nodes', async () => {
    const flow = fox
      .flow<{ userId: string }>('types-basic')
      .node('user', (_, { input }) => getUser(input.userId))
      .node('count', () => 3)
      .node('label', { needs: ['user', 'count'] }, ({ user, count }) => {
        expectType<{ id: string; name: string }>()(user);
        expectType<number>()(count);
        return `${user.name}:${count}`;
      })
      .build();
    const { results, runId, nodes } = await flow.run({ userId: 'u1' });
    expectType<{ id: string; name: string }>()(results.user);
    expectType<number>()(results.count);
    expectType<string>()(results.label);
    expectType<string>()(runId);
    expectType<NodeOutcome<string>>()(nodes.label);
    assert.equal(results.label, 'user u1:3');
    // @ts-expect-error: no node 'missing'
    void results.missing;
  });

  it('makes conditional nodes and their dependants possibly undefined', async () => {
    const flow = fox
      .flow('types-when')
      .node('n', () => 2)
      .node('big', { needs: ['n'], when: ({ n }) => n > 10 }, ({ n }) => n * 100)
      .node('after', { needs: ['big'] }, ({ big }) => {
        // Inside a dependant the result is there: it runs only when `big` ran.
        expectType<number>()(big);
        return big + 1;
      })
      .node('other', { needs: ['n'] }, ({ n }) => String(n))
      .build();
    const { results } = await flow.run();
    expectType<number | undefined>()(results.big);
    expectType<number | undefined>()(results.after);
    expectType<string>()(results.other);
    expectType<number>()(results.n);
    assert.equal(results.big, undefined);
    assert.equal(results.other, '2');
  });

  it('types continueOnError runs as settled outcomes with optional results', async () => {
    const flow = fox
      .flow('types-settled')
      .node('a', () => 'x')
      .build();
    const settled = await flow.run(undefined, { continueOnError: true });
    expectType<FlowSettled<{ a: string }>>()(settled);
    expectType<string | undefined>()(settled.results.a);
    assert.equal(settled.ok, true);
  });

  it('rejects misuse at compile time', () => {
    const b = fox.flow<{ n: number }>('types-errors').node('a', () => 1);
    // @ts-expect-error: duplicate node name
    b.node('a', () => 2);
    b.node('b', { needs: ['a'] }, ({ a }) => {
      // @ts-expect-error: 'a' is a number
      a.toUpperCase();
      return a;
    });
    b.node('d', { needs: ['a'] }, (deps) => {
      // @ts-expect-error: only the needed nodes are passed
      void deps.b;
      return deps.a;
    });
    // A name not declared (yet) is unknown: usable only after narrowing; build() checks it.
    b.node('c', { needs: ['later'] }, ({ later }) => {
      // @ts-expect-error: unknown is not a number
      void (later + 1);
      return 0;
    });
    // @ts-expect-error: a flow with input needs it when run
    void (() => b.build().run());
    // @ts-expect-error: the input is typed
    void (() => b.build().run({ n: 'one' }));
    // @ts-expect-error: unknown run option
    void (() => b.build().run({ n: 1 }, { concurency: 2 }));
  });
});
