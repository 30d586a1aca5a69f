import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ResultWriter,
  appendCall,
  callsMessage,
  cancelMessage,
  defsOf,
  failUncloneable,
  firstUncloneable,
  forEachCall,
  forEachResult,
  functionDefOf,
  oneCallMessage,
  setDefs,
} from '../../src/modes/tfox/message-codec.js';
import type { WorkerFunction } from '../../src/modes/tfox/pool-job.js';
import { CallStatus, ToPool, ToWorker, type FunctionDef } from '../../src/modes/tfox/protocol.js';

/** The pool ↔ worker messages: what one side encodes, the other decodes unchanged. */

interface Call {
  id: number;
  fnIndex: number;
  args: unknown[];
  flags: number;
}

interface Result {
  id: number;
  status: CallStatus;
  value: unknown;
  timed: boolean;
  syncMs: number;
  wallMs: number;
}

const status = fc.constantFrom(...Object.values(CallStatus));
const call = fc.record({
  id: fc.nat(),
  fnIndex: fc.nat(),
  args: fc.array(fc.jsonValue(), { maxLength: 3 }),
  flags: fc.nat({ max: 3 }),
});
const result = fc.record({
  id: fc.nat(),
  status,
  value: fc.jsonValue(),
  timed: fc.boolean(),
  syncMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
  wallMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
});

const fn: WorkerFunction = {
  index: 7,
  taskId: 'tasks#hash',
  moduleUrl: 'file:///app/tasks.js',
  locationKey: '/app/tasks.js:3:14',
  names: ['hash'],
};

describe('tfox message codec', () => {
  it('decodes the calls a calls message was built with, in order, and its definitions', () => {
    fc.assert(
      fc.property(fc.array(call, { maxLength: 20 }), fc.boolean(), (calls, withDefs) => {
        const msg = callsMessage(null);
        for (const c of calls) appendCall(msg, c.id, c.fnIndex, c.args, c.flags);
        const defs: FunctionDef[] | null = withDefs ? [functionDefOf(fn)] : null;
        setDefs(msg, defs);
        // The worker receives a structured clone.
        const received = structuredClone(msg);
        assert.equal(received[0], ToWorker.Calls);
        assert.deepEqual(defsOf(received), defs);
        const seen: Call[] = [];
        const more: boolean[] = [];
        forEachCall(received, (id, fnIndex, args, flags, m) => {
          seen.push({ id, fnIndex, args, flags });
          more.push(m);
        });
        // fc.record builds null-prototype objects: compare as plain ones.
        assert.deepEqual(
          seen,
          calls.map((c) => ({ ...c })),
        );
        assert.deepEqual(
          more,
          calls.map((_, i) => i < calls.length - 1),
        );
      }),
    );
  });

  it('builds the lone-call message like a calls message with one call', () => {
    const built = callsMessage([functionDefOf(fn)]);
    appendCall(built, 3, 7, ['a'], 2);
    assert.deepEqual(oneCallMessage([functionDefOf(fn)], 3, 7, ['a'], 2), built);
  });

  it('builds messages without holes (V8 clones a holey array sparsely, ~2× slower)', () => {
    const msg = callsMessage(null);
    appendCall(msg, 1, 0, [1], 0);
    appendCall(msg, 2, 0, [2], 0);
    for (let i = 0; i < msg.length; i++) assert.ok(i in msg, `hole at ${i}`);
  });

  it('puts a function definition on the wire as index, module, location key, names, task id', () => {
    assert.deepEqual(functionDefOf(fn), [
      7,
      'file:///app/tasks.js',
      '/app/tasks.js:3:14',
      ['hash'],
      'tasks#hash',
    ]);
  });

  it('decodes the results a worker wrote, timed or not, with the batch timing', () => {
    fc.assert(
      fc.property(
        fc.array(result, { maxLength: 20 }),
        fc.nat(),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (results, calls, busyMs) => {
          const writer = new ResultWriter();
          assert.equal(writer.empty, true);
          for (const r of results) {
            if (r.timed) writer.addTimed(r.id, r.status, r.value, r.syncMs, r.wallMs);
            else writer.add(r.id, r.status, r.value);
          }
          assert.equal(writer.empty, results.length === 0);
          const msg = structuredClone(writer.take(busyMs, calls));
          assert.equal(writer.empty, true, 'take starts a new message');
          assert.equal(msg[0], ToPool.Results);
          assert.equal(msg[1], busyMs);
          assert.equal(msg[2], calls);
          const seen: Result[] = [];
          forEachResult(msg, (id, s, value, syncMs, wallMs) =>
            seen.push({ id, status: s, value, timed: syncMs !== -1, syncMs, wallMs }),
          );
          assert.deepEqual(
            seen,
            results.map((r) => (r.timed ? { ...r } : { ...r, syncMs: -1, wallMs: -1 })),
          );
        },
      ),
    );
  });

  it('turns only the successful results that cannot be cloned into NotCloneable failures', () => {
    const writer = new ResultWriter();
    writer.add(1, CallStatus.Ok, 42);
    writer.addTimed(2, CallStatus.Ok, () => 0, 1, 2);
    writer.add(3, CallStatus.Threw, { message: 'boom' });
    writer.add(4, CallStatus.Ok, Symbol('s'));
    const msg = writer.take(0, 4);
    failUncloneable(msg, (err) => ({ message: (err as Error).name }));
    const seen: unknown[][] = [];
    forEachResult(msg, (id, s, value, syncMs) => seen.push([id, s, value, syncMs]));
    assert.deepEqual(seen, [
      [1, CallStatus.Ok, 42, -1],
      [2, CallStatus.NotCloneable, { message: 'DataCloneError' }, 1],
      [3, CallStatus.Threw, { message: 'boom' }, -1],
      [4, CallStatus.NotCloneable, { message: 'DataCloneError' }, -1],
    ]);
  });

  it('finds the first argument that cannot be cloned', () => {
    assert.equal(firstUncloneable([1, 'a', { b: [2] }]), -1);
    assert.equal(firstUncloneable([1, () => 0, Symbol('s')]), 1);
  });

  it('sends a cancel reason that cannot be cloned as its string', () => {
    assert.deepEqual(cancelMessage(5, 'stop'), [ToWorker.Cancel, 5, 'stop']);
    const reason = { toString: () => 'custom', fn: () => 0 };
    assert.deepEqual(cancelMessage(6, reason), [ToWorker.Cancel, 6, 'custom']);
  });
});
