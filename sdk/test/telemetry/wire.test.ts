import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ExporterFrameSchema,
  parseExporterFrame,
  WIRE_VERSION,
  type ExporterFrame,
} from '../../src/protocol/wire.js';

const hello: ExporterFrame = {
  type: 'hello',
  v: WIRE_VERSION,
  process: {
    id: '01JPROC',
    pid: 42,
    argv: ['app.js'],
    nodeVersion: 'v20.0.0',
    projectRoot: '/p',
    startedAt: 1,
  },
  tasks: [
    {
      id: 'src/a.ts#f',
      mode: 'auto',
      current: 'sfox',
      policies: ['timeout'],
      location: { file: 'src/a.ts', line: 1, column: 1 },
    },
  ],
};

describe('wire protocol', () => {
  it('round-trips every frame kind', () => {
    const frames: ExporterFrame[] = [
      hello,
      {
        type: 'spans',
        spans: [
          {
            runId: 'r1',
            parentRunId: null,
            taskId: 'src/a.ts#f',
            start: 1.5,
            duration: 2,
            outcome: 'error',
            attempt: 1,
            strategy: 'wfox',
            errorCode: 'ETIMEDOUT',
          },
        ],
      },
      {
        type: 'events',
        events: [
          { kind: 'breaker', at: 1, taskId: 'src/a.ts#f', from: 'closed', to: 'open' },
          { kind: 'chaos', at: 2, experimentId: 'x', action: 'start', taskIds: ['src/a.ts#f'] },
        ],
      },
    ];
    for (const f of frames) {
      const r = parseExporterFrame(JSON.stringify(f));
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.frame, f);
    }
  });

  it('says why a frame is refused', () => {
    const bad = (text: string, reason: string) => {
      const r = parseExporterFrame(text, reason === 'too-large' ? 200 : undefined);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.reason, reason);
    };
    bad('{', 'not-json');
    bad('x'.repeat(201), 'too-large');
    bad('{"type":"hello","v":2}', 'invalid');
    bad('{"type":"nope"}', 'invalid');
    bad('[]', 'invalid');
    bad('null', 'invalid');
    bad(JSON.stringify({ ...hello, process: { ...hello.process, pid: 'x' } }), 'invalid');
  });

  it('refuses unbounded strings and arrays', () => {
    const long = { ...hello, tasks: [{ ...hello.tasks[0]!, id: 'x'.repeat(513) }] };
    assert.equal(ExporterFrameSchema.safeParse(long).success, false);
    const many = { type: 'spans', spans: Array.from({ length: 10_001 }, () => ({})) };
    assert.equal(ExporterFrameSchema.safeParse(many).success, false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const r = parseExporterFrame(text);
          assert.equal(typeof r.ok, 'boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});
