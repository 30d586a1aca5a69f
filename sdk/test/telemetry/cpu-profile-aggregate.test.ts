import assert from 'node:assert/strict';
import {
  aggregateCpuProfile,
  sampleWeightsMs,
  type CpuFunctionAggregate,
  type FunctionLocation,
  type ProfileLike,
  type ProfileNodeLike,
} from '../../src/telemetry/cpu-profile-aggregate.js';

/**
 * A synthetic call tree, as V8 would report it:
 *
 *   (root) ─┬─ (program) | (idle) | (garbage collector)
 *           ├─ main ── a ─┬─ b
 *           │             ├─ a (recursion) ── b
 *           │             └─ lib (node_modules)
 *           ├─ c
 *           └─ c2 (another frame of c's function: same file and line)
 */
const FRAMES: Record<string, [url: string, line: number, column: number, name?: string]> = {
  '(root)': ['', -1, -1],
  '(program)': ['', -1, -1],
  '(idle)': ['', -1, -1],
  '(garbage collector)': ['', -1, -1],
  main: ['file:///p/src/main.ts', 0, 0],
  a: ['file:///p/src/a.ts', 4, 9],
  b: ['file:///p/src/b.ts', 9, 2],
  lib: ['file:///p/node_modules/lib/index.js', 0, 0],
  c: ['file:///p/src/c.ts', 2, 0],
  c2: ['file:///p/src/c.ts', 2, 0, 'c'],
};
const IDS: Record<string, number> = {
  '(root)': 1,
  '(program)': 2,
  '(idle)': 3,
  '(garbage collector)': 4,
  main: 5,
  a: 6,
  b: 7,
  aa: 8,
  aab: 9,
  lib: 10,
  c: 11,
  c2: 12,
};

function node(key: string, frame: string, children: string[] = []): ProfileNodeLike {
  const [url, lineNumber, columnNumber, name] = FRAMES[frame]!;
  return {
    id: IDS[key]!,
    callFrame: { functionName: name ?? frame, url, lineNumber, columnNumber },
    children: children.map((c) => IDS[c]!),
  };
}

const NODES: ProfileNodeLike[] = [
  node('(root)', '(root)', ['(program)', '(idle)', '(garbage collector)', 'main', 'c', 'c2']),
  node('(program)', '(program)'),
  node('(idle)', '(idle)'),
  node('(garbage collector)', '(garbage collector)'),
  node('main', 'main', ['a']),
  node('a', 'a', ['b', 'aa', 'lib']),
  node('b', 'b'),
  node('aa', 'a', ['aab']),
  node('aab', 'b'),
  node('lib', 'lib'),
  node('c', 'c'),
  node('c2', 'c2'),
];

/** The project's functions: one per file, named after it; node_modules and internals dropped. */
function locate(frame: ProfileNodeLike['callFrame']): FunctionLocation | undefined {
  if (!frame.url.startsWith('file:///p/src/')) return undefined;
  return {
    file: frame.url.slice('file:///p/'.length),
    line: frame.lineNumber + 1,
    column: frame.columnNumber + 1,
    name: frame.functionName,
  };
}

/** A profile of these samples (node keys), 1 ms apart unless `deltasUs` says otherwise. */
function profileOf(samples: string[], deltasUs?: number[]): ProfileLike {
  const deltas = deltasUs ?? samples.map(() => 1000);
  const last = deltas.reduce((t, d) => t + d, 0);
  return {
    nodes: NODES,
    startTime: 0,
    // The last sample weighs 1 ms too.
    endTime: last + 1000,
    samples: samples.map((s) => IDS[s]!),
    timeDeltas: deltas,
  };
}

function byName(fns: CpuFunctionAggregate[]): Record<string, Omit<CpuFunctionAggregate, 'file'>> {
  const out: Record<string, Omit<CpuFunctionAggregate, 'file'>> = {};
  for (const { file: _file, ...f } of fns) out[f.name] = f;
  return out;
}

describe('cpu profile aggregation', () => {
  const cases: {
    name: string;
    samples: string[];
    deltasUs?: number[];
    expect: Record<string, { self: number; total: number; samples: number; longest: number }>;
  }[] = [
    {
      name: 'self is the innermost frame, total the whole stack',
      samples: ['a', 'a', 'b', 'b', 'b'],
      expect: {
        main: { self: 0, total: 5, samples: 5, longest: 5 },
        a: { self: 2, total: 5, samples: 5, longest: 5 },
        b: { self: 3, total: 3, samples: 3, longest: 3 },
      },
    },
    {
      name: 'an idle sample ends a stretch',
      samples: ['a', 'a', '(idle)', 'a'],
      expect: {
        main: { self: 0, total: 3, samples: 3, longest: 2 },
        a: { self: 3, total: 3, samples: 3, longest: 2 },
      },
    },
    {
      name: 'a (program) sample ends a stretch',
      samples: ['b', '(program)', 'b', 'b', 'b'],
      expect: {
        main: { self: 0, total: 4, samples: 4, longest: 3 },
        a: { self: 0, total: 4, samples: 4, longest: 3 },
        b: { self: 4, total: 4, samples: 4, longest: 3 },
      },
    },
    {
      name: 'a garbage collection inside synchronous work extends the stretch, not the total',
      samples: ['a', '(garbage collector)', '(garbage collector)', 'a'],
      expect: {
        main: { self: 0, total: 2, samples: 2, longest: 4 },
        a: { self: 2, total: 2, samples: 2, longest: 4 },
      },
    },
    {
      name: 'a stretch ends when the function leaves the stack',
      samples: ['a', 'c', 'a', 'a'],
      expect: {
        main: { self: 0, total: 3, samples: 3, longest: 2 },
        a: { self: 3, total: 3, samples: 3, longest: 2 },
        c: { self: 1, total: 1, samples: 1, longest: 1 },
      },
    },
    {
      name: 'recursion counts a sample once per function',
      samples: ['aab', 'aab', 'aa'],
      expect: {
        main: { self: 0, total: 3, samples: 3, longest: 3 },
        a: { self: 1, total: 3, samples: 3, longest: 3 },
        b: { self: 2, total: 2, samples: 2, longest: 2 },
      },
    },
    {
      name: 'library frames are skipped: their time is the caller’s self time',
      samples: ['lib', 'lib', 'b'],
      expect: {
        main: { self: 0, total: 3, samples: 3, longest: 3 },
        a: { self: 2, total: 3, samples: 3, longest: 3 },
        b: { self: 1, total: 1, samples: 1, longest: 1 },
      },
    },
    {
      name: 'frames of one function merge',
      samples: ['c', 'c2', 'c'],
      expect: { c: { self: 3, total: 3, samples: 3, longest: 3 } },
    },
    {
      name: 'weights come from the time deltas (time to the next sample), capped',
      samples: ['a', 'b', 'a', 'b'],
      // Samples at 0, 1.5, 5.5, 6 ms; end at 7 ms: weights 1.5, 4 → 2 (cap), 0.5, 1.
      deltasUs: [0, 1500, 4000, 500],
      expect: {
        main: { self: 0, total: 5, samples: 4, longest: 5 },
        a: { self: 2, total: 5, samples: 4, longest: 5 },
        b: { self: 3, total: 3, samples: 2, longest: 2 },
      },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const r = aggregateCpuProfile(profileOf(c.samples, c.deltasUs), { intervalUs: 1000, locate });
      const got = byName(r.functions);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(c.expect).sort());
      for (const [name, e] of Object.entries(c.expect)) {
        const f = got[name]!;
        assert.deepEqual(
          { self: f.selfMs, total: f.totalMs, samples: f.samples, longest: f.longestSyncMs },
          e,
          name,
        );
      }
    });
  }

  it('orders by total time and keeps the top maxFunctions', () => {
    // main 3 ms (self 0), a 3 ms (self 1), b 2 ms, c 1 ms: ties go to more self time.
    const r = aggregateCpuProfile(profileOf(['a', 'b', 'b', 'c']), {
      intervalUs: 1000,
      locate,
      maxFunctions: 2,
    });
    assert.deepEqual(
      r.functions.map((f) => f.name),
      ['a', 'main'],
    );
    assert.equal(r.truncated, 2);
  });

  it('reports positions 1-based in the located file and counts idle time', () => {
    const r = aggregateCpuProfile(profileOf(['a', '(idle)', '(idle)']), {
      intervalUs: 1000,
      locate,
    });
    const a = r.functions.find((f) => f.name === 'a')!;
    assert.deepEqual([a.file, a.line, a.column], ['src/a.ts', 5, 10]);
    assert.equal(r.idleMs, 2);
    assert.equal(r.sampledMs, 3);
    assert.equal(r.samples, 3);
  });

  it('calls locate once per distinct frame', () => {
    let calls = 0;
    aggregateCpuProfile(profileOf(['aab', 'aab', 'b', 'lib', 'c', 'c']), {
      intervalUs: 1000,
      locate: (f) => {
        calls++;
        return locate(f);
      },
    });
    // main, a, b, lib, c — `aa`/`aab` share their frames with `a`/`b`; (root) has no url.
    assert.equal(calls, 5);
  });

  describe('sample weights', () => {
    it('clamps a negative delta to zero', () => {
      const w = sampleWeightsMs(
        { nodes: [], startTime: 0, endTime: 3000, samples: [1, 1, 1], timeDeltas: [0, 2000, -500] },
        1000,
      );
      assert.deepEqual(w, [2, 0, 1.5]);
    });

    it('caps a weight at two intervals', () => {
      const w = sampleWeightsMs(
        { nodes: [], startTime: 0, endTime: 9000, samples: [1, 1], timeDeltas: [0, 1000] },
        1000,
      );
      assert.deepEqual(w, [1, 2]);
    });

    it('falls back to the interval without time deltas', () => {
      const w = sampleWeightsMs({ nodes: [], startTime: 0, endTime: 0, samples: [1, 1] }, 250);
      assert.deepEqual(w, [0.25, 0.25]);
    });
  });
});
