import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpanSampler } from '../../src/telemetry/span-sampler.js';

describe('span sampler', () => {
  it('never admits more than the per-task or total cap in a window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 3 })), { maxLength: 600 }),
        (perTask, total, ops) => {
          const sampler = new SpanSampler({ perTaskPerSecond: perTask, totalPerSecond: total });
          const gates = [0, 1, 2, 3].map((i) => sampler.gate(`t${i}`));
          let perGate = [0, 0, 0, 0];
          let all = 0;
          for (const op of ops) {
            if (op === -1) {
              sampler.advance();
              perGate = [0, 0, 0, 0];
              all = 0;
              continue;
            }
            if (gates[op]!.admit()) {
              perGate[op]!++;
              all++;
            }
            assert.ok(perGate[op]! <= perTask && all <= total);
          }
        },
      ),
    );
  });

  it('spreads a hot task over the window once it saw the demand', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const sampler = new SpanSampler({ perTaskPerSecond: 10, totalPerSecond: 1000, random });
    const gate = sampler.gate('hot');
    let first = 0;
    for (let i = 0; i < 1000; i++) if (gate.admit()) first = i;
    // Window 1 knows nothing yet: the first 10 calls get in.
    assert.equal(first, 9);
    sampler.advance();
    const admitted: number[] = [];
    for (let i = 0; i < 1000; i++) if (gate.admit()) admitted.push(i);
    assert.ok(admitted.length > 0 && admitted.length <= 10);
    // Window 2 samples at p = 10/1000: admitted calls spread over the whole second.
    assert.ok(admitted[admitted.length - 1]! > 300, `last admitted ${admitted.at(-1)}`);
    assert.equal(sampler.sampledOut, 2000 - 10 - admitted.length);
    // Steady demand: about the cap per window on average, not far below it.
    let total = 0;
    for (let w = 0; w < 200; w++) {
      sampler.advance();
      for (let i = 0; i < 1000; i++) total += Number(gate.admit());
    }
    const mean = total / 200;
    assert.ok(mean > 8 && mean <= 10, `mean admitted per window ${mean}`);
  });

  it('gives each task its own gate and shares the total cap', () => {
    const sampler = new SpanSampler({ perTaskPerSecond: 5, totalPerSecond: 7 });
    assert.equal(sampler.gate('a'), sampler.gate('a'));
    const a = sampler.gate('a');
    const b = sampler.gate('b');
    let n = 0;
    for (let i = 0; i < 10; i++) n += Number(a.admit()) + Number(b.admit());
    assert.equal(n, 7);
  });

  it('rejects nonsensical caps', () => {
    assert.throws(() => new SpanSampler({ perTaskPerSecond: -1 }), RangeError);
    assert.throws(() => new SpanSampler({ totalPerSecond: Number.NaN }), RangeError);
  });
});
