import { strict as assert } from 'node:assert';
import type { Finding, FunctionReport, RuleId } from '../../src/analysis/types.js';
import type { TaskLiveStats } from '../../src/server/live-stats.js';
import type { FunctionCpuEvidence } from '../../src/runtime-evidence/evidence.js';
import {
  mergeEvidence,
  type MergeInput,
  type MeasuredFinding,
  type SourceTaskOptions,
} from '../../src/runtime-evidence/merge.js';

const range = (line: number) => ({
  start: { line: line - 1, character: 16 },
  end: { line: line - 1, character: 24 },
});

function fn(over: Partial<FunctionReport> & { name: string; line: number }): FunctionReport {
  return {
    id: `src/app.ts#${over.name}`,
    file: 'src/app.ts',
    column: 17,
    range: range(over.line),
    kind: 'cpu',
    recommendedMode: 'tfox',
    evidence: [],
    exported: true,
    ...over,
  };
}

function finding(rule: RuleId, f: FunctionReport, severity: Finding['severity'] = 'hint'): Finding {
  return {
    rule,
    severity,
    confidence: 'likely',
    file: f.file,
    path: '/proj/src/app.ts',
    line: f.line,
    column: f.column,
    range: f.range,
    message: `'${f.name}' does CPU-heavy work on the event loop; run it on a worker thread with tfox.`,
    pattern: 'tfox',
    functionId: f.id,
    evidence: [],
    fixes: [],
  };
}

const liveStats = (over: Partial<TaskLiveStats> = {}): TaskLiveStats => ({
  p50: 1,
  p99: 2,
  calls: 1204,
  errors: 0,
  scope: 'in the last run',
  source: 'live from the debug session',
  window: { from: 0, to: 60_000 },
  ...over,
});

const checksum = fn({ name: 'checksum', line: 3 });
const checksumTask = fn({
  name: 'checksum',
  line: 3,
  task: { mode: 'wfox', options: ['mode'], via: 'wrap' },
});

function merge(over: Partial<MergeInput> & { functions: FunctionReport[] }): MeasuredFinding[] {
  return mergeEvidence({
    analysis: { path: '/proj/src/app.ts', file: 'src/app.ts', functions: over.functions },
    findings: [],
    stats: () => undefined,
    ...over,
  });
}

const cpu = (over: Partial<FunctionCpuEvidence>): FunctionCpuEvidence => ({
  file: 'src/app.ts',
  line: 3,
  column: 1,
  name: 'checksum',
  selfMs: 400,
  totalMs: 500,
  samples: 400,
  longestSyncMs: 38,
  ...over,
});

describe('mergeEvidence: FOX001 against measurements', () => {
  const cases: {
    name: string;
    input: Partial<MergeInput> & { functions: FunctionReport[] };
    severity: Finding['severity'];
    verdict?: 'confirmed' | 'refuted' | 'measured';
    message?: RegExp;
  }[] = [
    {
      name: 'task latency of a CPU-bound task over the bar confirms it',
      input: {
        functions: [checksumTask],
        findings: [finding('FOX001', checksumTask)],
        stats: () => liveStats({ p50: 38, p99: 60 }),
      },
      severity: 'warning',
      verdict: 'confirmed',
      message: /holds the event loop 38 ms per call, p50 over 1,204 calls in the last run/,
    },
    {
      name: 'a sub-millisecond p50 refutes it (a hint with the measurement)',
      input: {
        functions: [checksumTask],
        findings: [finding('FOX001', checksumTask, 'warning')],
        stats: () => liveStats({ p50: 0.2, p99: 0.5 }),
      },
      severity: 'hint',
      verdict: 'refuted',
      message: /^Measured 0\.2 ms per call/,
    },
    {
      name: 'in between: kept as it was, with the measurement attached',
      input: {
        functions: [checksumTask],
        findings: [finding('FOX001', checksumTask)],
        stats: () => liveStats({ p50: 4, p99: 9 }),
      },
      severity: 'hint',
      verdict: 'measured',
    },
    {
      name: 'too few calls: unchanged',
      input: {
        functions: [checksumTask],
        findings: [finding('FOX001', checksumTask)],
        stats: () => liveStats({ p50: 38, calls: 20 }),
      },
      severity: 'hint',
    },
    {
      name: 'a function that is not a task: CPU samples confirm it (innermost function on the line)',
      input: {
        functions: [checksum, fn({ name: 'outer', line: 1 })],
        findings: [finding('FOX001', checksum)],
        cpu: [cpu({ line: 5 })],
        extents: new Map([
          ['src/app.ts#outer', { startLine: 1, endLine: 20 }],
          ['src/app.ts#checksum', { startLine: 3, endLine: 9 }],
        ]),
      },
      severity: 'warning',
      verdict: 'confirmed',
      message:
        /holds the event loop 38 ms at a time \(longest synchronous run over 400 CPU samples/,
    },
    {
      name: 'CPU samples in another file do not count',
      input: {
        functions: [checksum],
        findings: [finding('FOX001', checksum)],
        cpu: [cpu({ file: 'src/other.ts' })],
      },
      severity: 'hint',
    },
    {
      name: 'short synchronous runs over enough samples refute it',
      input: {
        functions: [checksum],
        findings: [finding('FOX001', checksum)],
        cpu: [cpu({ longestSyncMs: 0.4, samples: 50 })],
      },
      severity: 'hint',
      verdict: 'refuted',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = merge(c.input).filter((f) => f.rule === 'FOX001');
      assert.equal(out.length, 1);
      const f = out[0]!;
      assert.equal(f.severity, c.severity);
      assert.equal(f.measured?.verdict, c.verdict);
      if (c.message) assert.match(f.message, c.message);
    });
  }
});

const task = (
  mode: string,
  options: string[] = ['mode'],
  over: Partial<FunctionReport> = {},
): FunctionReport =>
  fn({ name: 'place', line: 10, kind: 'io', task: { mode, options, via: 'wrap' }, ...over });

describe('mergeEvidence: runtime-only findings', () => {
  const cases: {
    name: string;
    fn: FunctionReport;
    stats: TaskLiveStats;
    cpu?: FunctionCpuEvidence[];
    staticFindings?: (f: FunctionReport) => Finding[];
    sourceOptions?: SourceTaskOptions;
    rules?: MergeInput['rules'];
    expect: { rule: RuleId; message?: RegExp; change?: unknown }[];
  }[] = [
    {
      name: 'FOX101: no timeout and p99 ≫ p50 → timeout at p99 × 1.5, readable',
      fn: task('wfox'),
      stats: liveStats({ p50: 40, p99: 2100 }),
      expect: [
        {
          rule: 'FOX101',
          message: /p99 2\.1 s vs p50 40 ms over 1,204 calls in the last run/,
          change: [{ key: 'timeout', ms: 3200, text: '3.2s' }],
        },
      ],
    },
    {
      name: 'FOX101 is silent when the source has a timeout',
      fn: task('wfox', ['mode', 'timeout']),
      stats: liveStats({ p50: 40, p99: 2100 }),
      expect: [],
    },
    {
      name: 'FOX101 is silent for CPU work on the event loop (a timeout cannot cut it)',
      fn: task('sfox', ['mode'], { kind: 'cpu' }),
      stats: liveStats({ p50: 8, p99: 160, current: 'sfox' }),
      expect: [],
    },
    {
      name: 'FOX101 is silent on a short tail',
      fn: task('wfox'),
      stats: liveStats({ p50: 40, p99: 90 }),
      expect: [],
    },
    {
      name: 'FOX101 off in the config reports nothing',
      fn: task('wfox'),
      stats: liveStats({ p50: 40, p99: 2100 }),
      rules: { FOX101: 'off' },
      expect: [],
    },
    {
      name: 'FOX102: spread transient errors → retry within the budget',
      fn: task('wfox'),
      stats: liveStats({ errors: 24, errorsByCode: { ECONNRESET: 20, ETIMEDOUT: 4 } }),
      expect: [
        { rule: 'FOX102', message: /ECONNRESET ×20/, change: [{ key: 'retry', attempts: 2 }] },
      ],
    },
    {
      name: 'FOX102 is silent for errors that are not transient',
      fn: task('wfox'),
      stats: liveStats({ errors: 24, errorsByCode: { ValidationError: 24 } }),
      expect: [],
    },
    {
      name: 'FOX102 is silent when one retry would exceed the budget (20% failing)',
      fn: task('wfox'),
      stats: liveStats({ errors: 300, errorsByCode: { ECONNRESET: 300 } }),
      expect: [],
    },
    {
      name: 'FOX103: errors in bursts → breaker, not retry',
      fn: task('wfox'),
      stats: liveStats({
        errors: 60,
        errorsByCode: { ECONNREFUSED: 60 },
        intervals: [
          ...Array.from({ length: 5 }, () => ({ calls: 20, errors: 0 })),
          ...Array.from({ length: 3 }, () => ({ calls: 10, errors: 10 })),
          ...Array.from({ length: 5 }, () => ({ calls: 20, errors: 0 })),
          ...Array.from({ length: 3 }, () => ({ calls: 10, errors: 10 })),
        ],
      }),
      expect: [{ rule: 'FOX103', message: /fails in bursts: 2 burst/ }],
    },
    {
      name: 'FOX104: tfox calls of 0.3 ms → sfox',
      fn: task('tfox', ['mode'], { kind: 'light' }),
      stats: liveStats({ p50: 0.3, p99: 0.9, current: 'tfox' }),
      expect: [{ rule: 'FOX104', change: [{ key: 'mode', mode: 'sfox' }] }],
    },
    {
      name: 'FOX105: sfox task holding the loop → tfox (exported fox() function)',
      fn: task('sfox', ['mode'], { kind: 'cpu' }),
      stats: liveStats({ p50: 25, p99: 40, current: 'sfox' }),
      expect: [{ rule: 'FOX105', change: [{ key: 'mode', mode: 'tfox' }] }],
    },
    {
      name: 'FOX105 without a fix for a method (the worker cannot import it)',
      fn: fn({
        name: 'Orders.place',
        line: 10,
        kind: 'cpu',
        task: { mode: 'sfox', options: ['mode'], via: 'decorator' },
      }),
      stats: liveStats({ p50: 25, p99: 40, current: 'sfox' }),
      expect: [{ rule: 'FOX105', message: /cannot move to tfox/, change: undefined }],
    },
    {
      name: 'sfox on CPU with a static FOX007: FOX007 confirmed instead of a second finding',
      fn: task('sfox', ['mode'], { kind: 'cpu' }),
      stats: liveStats({ p50: 25, p99: 40, current: 'sfox' }),
      staticFindings: (f) => [finding('FOX007', f)],
      expect: [{ rule: 'FOX007', message: /holds the event loop 25 ms per call/ }],
    },
    {
      name: 'FOX106: running timeout differs from the source → hint with the approval',
      fn: task('wfox', ['mode', 'timeout']),
      stats: liveStats({
        running: {
          timeoutMs: 1500,
          approval: { summary: 'tuner: timeout 2s → 1.5s', auditId: '01JAUDIT', at: 1 },
        },
      }),
      sourceOptions: { keys: ['mode', 'timeout'], mode: 'wfox', timeoutMs: 2000 },
      expect: [
        {
          rule: 'FOX106',
          message: /^running: timeout 1\.5s \(source: timeout 2s\) — tuner/,
          change: [{ key: 'timeout', ms: 1500, text: '1.5s' }],
        },
      ],
    },
    {
      name: 'FOX106 set to off: no hint though the running timeout differs',
      fn: task('wfox', ['mode', 'timeout']),
      stats: liveStats({ running: { timeoutMs: 1500 } }),
      sourceOptions: { keys: ['mode', 'timeout'], mode: 'wfox', timeoutMs: 2000 },
      rules: { FOX106: 'off' },
      expect: [],
    },
    {
      name: 'FOX106 is silent when running equals source',
      fn: task('wfox', ['mode', 'timeout']),
      stats: liveStats({ running: { timeoutMs: 2000, mode: 'wfox' } }),
      sourceOptions: { keys: ['mode', 'timeout'], mode: 'wfox', timeoutMs: 2000 },
      expect: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = merge({
        functions: [c.fn],
        findings: c.staticFindings?.(c.fn) ?? [],
        stats: (id) => (id === c.fn.id ? c.stats : undefined),
        ...(c.cpu ? { cpu: c.cpu } : {}),
        ...(c.sourceOptions ? { sourceOptions: new Map([[c.fn.id, c.sourceOptions]]) } : {}),
        ...(c.rules ? { rules: c.rules } : {}),
      });
      assert.deepEqual(
        out.map((f) => f.rule),
        c.expect.map((e) => e.rule),
        out.map((f) => f.message).join('\n'),
      );
      c.expect.forEach((e, i) => {
        const f = out[i]!;
        if (e.message) assert.match(f.message, e.message);
        if ('change' in e) assert.deepEqual(f.change?.changes, e.change);
        if (f.rule !== 'FOX106' && f.rule !== 'FOX007') {
          assert.equal(f.severity, 'warning');
          assert.ok(f.measured && f.measured.sampleSize > 0, 'a sample size');
        }
      });
    });
  }
});
