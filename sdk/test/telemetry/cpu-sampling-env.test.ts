import assert from 'node:assert/strict';
import { cpuSamplingIntervalFromEnv } from '../../src/runtime/profiling.js';

describe('FOX_CPU_SAMPLING', () => {
  const cases: [string | undefined, number | undefined][] = [
    [undefined, 0], // on, default interval
    ['', 0],
    ['off', undefined],
    ['OFF', undefined],
    ['0', undefined],
    ['false', undefined],
    ['no', undefined],
    ['250', 250],
    ['99.6', 100],
    ['fast', 0], // not a number: the default, not off
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} → ${String(expected)}`, () => {
      const env = raw === undefined ? {} : { FOX_CPU_SAMPLING: raw };
      assert.equal(cpuSamplingIntervalFromEnv(env), expected);
    });
  }
});
