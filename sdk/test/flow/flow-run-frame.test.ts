import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fox } from '@fox/sdk';
import { compileGraph } from '../../src/flow/graph.js';
import { flowRunFrame } from '../../src/flow/flow-run-frame.js';
import {
  FlowRunFrameSchema,
  MAX_FLOW_RUN_EDGES,
  MAX_FLOW_RUN_NODES,
  type FlowRunFrame,
} from '../../src/protocol/flow-run.js';
import { MAX_FRAME_BYTES, parseExporterFrame } from '../../src/protocol/wire.js';
import { runtime } from '../../src/runtime/runtime.js';
import { until } from '../support/until.js';
import { Sink } from '../telemetry/sink.js';

const T0 = Date.UTC(2026, 0, 1);

/** A valid finished run: a → b, a → c, (b, c) → d. */
function validFrame(): FlowRunFrame {
  return {
    type: 'flow-run',
    v: 1,
    runId: '01J00000000000000000000000',
    flow: 'diamond',
    parentRunId: null,
    status: 'ok',
    start: T0,
    end: T0 + 40,
    nodes: [
      { name: 'a', needs: [], status: 'ok', start: T0, end: T0 + 10 },
      { name: 'b', needs: ['a'], status: 'ok', start: T0 + 10, end: T0 + 30 },
      { name: 'c', needs: ['a'], status: 'ok', start: T0 + 10, end: T0 + 15 },
      { name: 'd', needs: ['b', 'c'], status: 'ok', start: T0 + 30, end: T0 + 40 },
    ],
    omitted: 0,
    criticalPath: ['a', 'b', 'd'],
  };
}

const parse = (frame: unknown) => parseExporterFrame(JSON.stringify(frame));

describe('the flow-run frame', () => {
  describe('schema', () => {
    it('accepts a valid run, and a running one with pending nodes', () => {
      const r = parse(validFrame());
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.frame.type, 'flow-run');
      const running = {
        ...validFrame(),
        status: 'running',
        end: undefined,
        criticalPath: [],
        nodes: validFrame().nodes.map((n) => ({ name: n.name, needs: n.needs, status: 'pending' })),
      };
      assert.ok(parse(running).ok);
    });

    it('ignores fields it does not know (a newer exporter stays readable)', () => {
      const r = parse({ ...validFrame(), future: { x: 1 } });
      assert.ok(r.ok);
    });

    it('rejects malformed frames', () => {
      const base = validFrame();
      const bad: Array<[string, unknown]> = [
        ['wrong version', { ...base, v: 2 }],
        ['unknown status', { ...base, status: 'exploded' }],
        ['node status', { ...base, nodes: [{ ...base.nodes[0]!, status: 'done' }] }],
        ['need of no node', { ...base, nodes: [{ ...base.nodes[0]!, needs: ['ghost'] }] }],
        ['duplicate node', { ...base, nodes: [base.nodes[0]!, base.nodes[0]!], criticalPath: [] }],
        ['critical path names no node', { ...base, criticalPath: ['a', 'ghost'] }],
        [
          'node ends before it starts',
          {
            ...base,
            nodes: [{ ...base.nodes[0]!, start: T0 + 5, end: T0 }],
            criticalPath: [],
          },
        ],
        [
          'end without start',
          {
            ...base,
            nodes: [{ name: 'a', needs: [], status: 'ok', end: T0 }],
            criticalPath: [],
          },
        ],
        ['run ends before it starts', { ...base, end: T0 - 1 }],
        ['negative time', { ...base, start: -1 }],
        ['time past 2200', { ...base, start: 1e300 }],
        [
          'empty node name',
          { ...base, nodes: [{ ...base.nodes[0]!, name: '' }], criticalPath: [] },
        ],
        [
          'node name too long',
          {
            ...base,
            nodes: [{ ...base.nodes[0]!, name: 'x'.repeat(201) }],
            criticalPath: [],
          },
        ],
        ['fractional omitted', { ...base, omitted: 0.5 }],
        ['needs not an array', { ...base, nodes: [{ ...base.nodes[0]!, needs: 'a' }] }],
        ['missing nodes', { ...base, nodes: undefined }],
        [
          'error code too long',
          { ...base, nodes: [{ ...base.nodes[0]!, errorCode: 'E'.repeat(65) }] },
        ],
      ];
      for (const [what, frame] of bad) {
        const r = parse(frame);
        assert.equal(r.ok, false, `${what} was accepted`);
        if (!r.ok) assert.equal(r.reason, 'invalid', what);
      }
    });

    it('rejects oversized frames: too many nodes, too many needs, too many bytes', () => {
      const nodes = Array.from({ length: MAX_FLOW_RUN_NODES + 1 }, (_, i) => ({
        name: `n${i}`,
        needs: [],
        status: 'pending',
      }));
      const tooMany = {
        ...validFrame(),
        status: 'running',
        end: undefined,
        nodes,
        criticalPath: [],
      };
      assert.equal(parse(tooMany).ok, false);
      assert.ok(parse({ ...tooMany, nodes: nodes.slice(0, MAX_FLOW_RUN_NODES) }).ok);

      // 61 roots and 60 nodes needing all of them: 3660 needs > MAX_FLOW_RUN_EDGES.
      const roots = Array.from({ length: 61 }, (_, i) => `r${i}`);
      const dense = [
        ...roots.map((name) => ({ name, needs: [], status: 'pending' })),
        ...Array.from({ length: 60 }, (_, i) => ({
          name: `d${i}`,
          needs: roots,
          status: 'pending',
        })),
      ];
      assert.ok(roots.length * 60 > MAX_FLOW_RUN_EDGES);
      const r = parse({ ...tooMany, nodes: dense });
      assert.equal(r.ok, false);

      const text = JSON.stringify({ ...validFrame(), flow: 'f', pad: 'x'.repeat(MAX_FRAME_BYTES) });
      const big = parseExporterFrame(text);
      assert.equal(big.ok, false);
      if (!big.ok) assert.equal(big.reason, 'too-large');
    });

    it('property: any frame the schema accepts names only its own nodes in needs and path', () => {
      const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');
      const node = fc.record({
        name,
        needs: fc.array(name, { maxLength: 4 }),
        status: fc.constantFrom('ok', 'failed', 'pending', 'skipped', 'running', 'cancelled'),
      });
      fc.assert(
        fc.property(
          fc.array(node, { maxLength: 6 }),
          fc.array(name, { maxLength: 4 }),
          (nodes, path) => {
            const r = FlowRunFrameSchema.safeParse({ ...validFrame(), nodes, criticalPath: path });
            if (!r.success) return;
            const names = new Set(r.data.nodes.map((n) => n.name));
            assert.equal(names.size, r.data.nodes.length);
            for (const n of r.data.nodes) for (const need of n.needs) assert.ok(names.has(need));
            for (const p of r.data.criticalPath) assert.ok(names.has(p));
          },
        ),
      );
    });
  });

  describe('builder', () => {
    it('cuts a graph over the bounds in topological order and stays valid', () => {
      const n = MAX_FLOW_RUN_NODES + 500;
      const chain = Array.from({ length: n }, (_, i) => ({
        name: `n${i}`,
        needs: i === 0 ? [] : [`n${i - 1}`],
      }));
      const frame = flowRunFrame({
        flow: 'chain',
        runId: '01J00000000000000000000001',
        parentRunId: null,
        graph: compileGraph('chain', chain),
        status: 'running',
        startedAt: 5,
      });
      assert.equal(frame.nodes.length, MAX_FLOW_RUN_NODES);
      assert.equal(frame.omitted, 500);
      assert.deepEqual(frame.nodes[1], { name: 'n1', needs: ['n0'], status: 'pending' });
      assert.ok(FlowRunFrameSchema.safeParse(frame).success);

      // Dense: every one of 100 nodes needs all 60 roots; the needs bound cuts it.
      const roots = Array.from({ length: 60 }, (_, i) => ({ name: `r${i}`, needs: [] }));
      const dense = [
        ...roots,
        ...Array.from({ length: 100 }, (_, i) => ({
          name: `d${i}`,
          needs: roots.map((r) => r.name),
        })),
      ];
      const cut = flowRunFrame({
        flow: 'dense',
        runId: '01J00000000000000000000002',
        parentRunId: null,
        graph: compileGraph('dense', dense),
        status: 'running',
        startedAt: 5,
      });
      const edges = cut.nodes.reduce((k, x) => k + x.needs.length, 0);
      assert.ok(edges <= MAX_FLOW_RUN_EDGES);
      assert.equal(cut.nodes.length + cut.omitted, 160);
      assert.ok(FlowRunFrameSchema.safeParse(cut).success);
    });
  });

  describe('sent by a sampled run', () => {
    let sink: Sink;
    beforeEach(async () => (sink = await Sink.start()));
    afterEach(async () => {
      await runtime().reset();
      await sink.kill();
    });

    it('a running frame, then the final graph: statuses, timing, critical path', async () => {
      fox.configure({ profiler: sink.url, profilerIntervalMs: 50 });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const flow = fox
        .flow('frame-sent')
        .node('a', () => sleep(5))
        .node('long', { needs: ['a'] }, () => sleep(60))
        .node('short', { needs: ['a'] }, () => sleep(1))
        .node('bad', { needs: ['a'] }, () => {
          throw new Error('bad');
        })
        .node('skipped', { needs: ['bad'] }, () => 1)
        .node('end', { needs: ['long', 'short'] }, () => sleep(5))
        .build();
      await until(() => runtime().profilerExporter?.counters().connected === true);
      const settled = await flow.run(undefined, { continueOnError: true });
      await runtime().profilerExporter!.flush(2000);
      const frames = () => sink.of('flow-run').filter((f) => f.runId === settled.runId);
      await until(() => frames().some((f) => f.status !== 'running'), 3000);
      const [first, last] = [frames()[0]!, frames().at(-1)!];
      // Frames of the run in progress come first (the exporter keeps the latest waiting one).
      if (first !== last) {
        assert.equal(first.status, 'running');
        assert.deepEqual(first.criticalPath, []);
      }
      assert.equal(last.status, 'failed');
      assert.equal(last.flow, 'frame-sent');
      const status = Object.fromEntries(last.nodes.map((n) => [n.name, n.status]));
      assert.deepEqual(status, {
        a: 'ok',
        long: 'ok',
        short: 'ok',
        bad: 'failed',
        skipped: 'skipped',
        end: 'ok',
      });
      assert.deepEqual(last.criticalPath, ['a', 'long', 'end']);
      const long = last.nodes.find((n) => n.name === 'long')!;
      assert.ok(long.end! - long.start! >= 55, `long took ${long.end! - long.start!} ms`);
      assert.deepEqual(last.nodes.find((n) => n.name === 'end')!.needs, ['long', 'short']);
      assert.equal(last.nodes.find((n) => n.name === 'bad')!.errorCode, 'Error');
      assert.equal(last.nodes.find((n) => n.name === 'skipped')!.skipReason, 'dependency-failed');
      const a = settled.nodes.a;
      assert.equal(last.nodes.find((n) => n.name === 'a')!.runId, 'runId' in a ? a.runId : '?');
    });

    it('a long run re-sends its graph while in progress: running nodes, then the end', async () => {
      fox.configure({ profiler: sink.url, profilerIntervalMs: 50 });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const flow = fox
        .flow('in-progress')
        .node('first', () => sleep(1))
        .node('long', { needs: ['first'] }, () => sleep(700))
        .node('last', { needs: ['long'] }, () => 1)
        .build();
      await until(() => runtime().profilerExporter?.counters().connected === true);
      const done = flow.run();
      const frames = () => sink.of('flow-run').filter((f) => f.flow === 'in-progress');
      const status = (f: FlowRunFrame) => f.nodes.map((n) => `${n.name}:${n.status}`).join(' ');
      await until(
        () => frames().some((f) => status(f) === 'first:ok long:running last:pending'),
        3000,
      );
      const live = frames().find((f) => status(f) === 'first:ok long:running last:pending')!;
      assert.equal(live.status, 'running');
      assert.equal(live.end, undefined);
      const long = live.nodes.find((n) => n.name === 'long')!;
      assert.ok(long.start !== undefined && long.end === undefined);
      const settled = await done;
      await runtime().profilerExporter!.flush(2000);
      await until(() => frames().some((f) => f.status === 'ok'), 3000);
      const last = frames().at(-1)!;
      assert.equal(last.runId, settled.runId);
      assert.equal(status(last), 'first:ok long:ok last:ok');
      assert.deepEqual(last.criticalPath, ['first', 'long', 'last']);
      // Nothing more once it ended: the progress timer stopped.
      const count = frames().length;
      await sleep(400);
      await runtime().profilerExporter!.flush(2000);
      assert.equal(frames().length, count);
    });
  });
});
