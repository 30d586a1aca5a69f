import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { APPROVAL_WIRE_VERSION, type ApprovalDecision, type WireEvent } from '@fox/sdk/protocol';
import { startExporter, type Exporter } from '@fox/sdk/telemetry';
import { type StatsSnapshot } from '@fox/sdk';
import { startProfiler, type Profiler } from '../src/index.js';
import type { ServerToUi } from '../src/live/view.js';
import { until } from './helpers.js';

const stats = (): StatsSnapshot =>
  ({
    at: Date.now(),
    process: {
      pid: 1,
      uptimeMs: 1,
      eventLoopDelay: { mean: 0, p50: 0, p99: 0, max: 0 },
      eventLoopUtilization: 0,
      cpu: 0,
      heapUsedBytes: 0,
      rssBytes: 0,
    },
    tasks: [],
  }) as unknown as StatsSnapshot;

const decision: ApprovalDecision = {
  proposalId: '01JPROPOSAL000000000000001',
  payloadHash: 'a'.repeat(64),
  approver: 'alice',
  verdict: 'approve',
};

describe('approvals over the profiler channel', () => {
  let profiler: Profiler;
  let exporter: Exporter;
  let ui: WebSocket;
  const replies: ServerToUi[] = [];
  const received: ApprovalDecision[] = [];
  let emit: (event: WireEvent) => void = () => {};

  beforeEach(async () => {
    replies.length = 0;
    received.length = 0;
    profiler = await startProfiler({ storePath: false });
    exporter = startExporter({
      url: profiler.url,
      runtime: {
        processId: 'P-APPROVALS',
        tasks: () => [],
        stats,
        histogram: () => undefined,
        onEvent: (listener) => {
          emit = listener;
          return { dispose: () => {} };
        },
      },
      intervalMs: 50,
      exitHooks: false,
    });
    exporter.onApproval((d) => void received.push(d));
    await until(() => exporter.counters().connected, 5000, 'exporter connected');
    const url = new URL(profiler.url);
    url.pathname = '/ui';
    ui = new WebSocket(url.toString());
    await new Promise((r, j) => (ui.once('open', r), ui.once('error', j)));
    ui.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerToUi;
      if (m.type === 'approval-relayed') replies.push(m);
    });
  });
  afterEach(async () => {
    ui.close();
    await exporter.shutdown(500);
    await profiler.close();
  });

  const send = (m: unknown) => ui.send(JSON.stringify(m));

  /** The process announces the proposal (as its guardian does): the UI may only approve that. */
  const propose = async () => {
    emit({
      kind: 'proposal',
      at: Date.now(),
      proposalId: decision.proposalId,
      taskId: null,
      summary: 'raise the limit',
      state: 'pending',
      payloadHash: decision.payloadHash,
    });
    await until(
      () => (profiler.state().proposals ?? []).some((p) => p.proposalId === decision.proposalId),
      5000,
      'the proposal at the profiler',
    );
  };

  it('relays a decision with the token to the process that holds the proposal', async () => {
    await propose();
    send({
      type: 'approval',
      v: APPROVAL_WIRE_VERSION,
      processId: 'P-APPROVALS',
      token: profiler.token,
      decision,
    });
    await until(() => received.length === 1, 5000, 'decision delivered');
    assert.deepEqual(received[0], decision);
    await until(() => replies.length === 1, 5000, 'reply');
    assert.equal(replies[0]!.type === 'approval-relayed' && replies[0]!.ok, true);
  });

  it('relays in-process through profiler.decide', async () => {
    assert.deepEqual(profiler.decide('P-APPROVALS', decision), { ok: true });
    await until(() => received.length === 1, 5000, 'decision delivered');
    assert.deepEqual(received[0], decision);
    assert.deepEqual(profiler.decide('P-NOBODY', decision), {
      ok: false,
      reason: 'process not connected',
    });
    assert.deepEqual(profiler.decide('P-APPROVALS', { ...decision, verdict: 'maybe' as never }), {
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses a wrong token, an unknown process and malformed decisions', async () => {
    send({ type: 'approval', v: 1, processId: 'P-APPROVALS', token: 'wrong', decision });
    send({ type: 'approval', v: 1, processId: 'P-NOBODY', token: profiler.token, decision });
    send({
      type: 'approval',
      v: 1,
      processId: 'P-APPROVALS',
      token: profiler.token,
      decision: { ...decision, payloadHash: 'xyz' },
    });
    send({ type: 'approval', v: 2, processId: 'P-APPROVALS', token: profiler.token, decision });
    await until(() => replies.length === 4, 5000, 'replies');
    const reasons = replies.map((r) => (r.type === 'approval-relayed' ? r.reason : ''));
    assert.deepEqual(reasons, ['bad token', 'process not connected', 'invalid', 'invalid']);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 0);
  });

  it('relays no decision on a proposal the process never announced, or no longer pending', async () => {
    const approve = { type: 'approval', v: 1, processId: 'P-APPROVALS', token: profiler.token };
    send({ ...approve, decision });
    await until(() => replies.length === 1, 5000, 'the first reply');
    await propose();
    emit({
      kind: 'proposal',
      at: Date.now() + 1,
      proposalId: decision.proposalId,
      taskId: null,
      summary: 'raise the limit',
      state: 'denied',
    });
    await until(
      () => profiler.state().proposals?.[0]?.state === 'denied',
      5000,
      'the proposal settled',
    );
    send({ ...approve, decision });
    await until(() => replies.length === 2, 5000, 'the second reply');
    const reasons = replies.map((r) => (r.type === 'approval-relayed' ? r.reason : ''));
    assert.deepEqual(reasons, ['unknown proposal', 'unknown proposal']);
    assert.equal(profiler.counters().ui.refused.unknownProposal, 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 0);
  });
});
