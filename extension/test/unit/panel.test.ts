import assert from 'node:assert/strict';
import type { ServerToUi, UiState } from '@fox/profiler';
import {
  PanelBridge,
  newlyConnected,
  type PanelChaosKill,
  type PanelDecision,
} from '../../src/panel/panel-bridge.js';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../src/panel/webview-html.js';

const state = (processes: { id: string; connected: boolean }[] = []): UiState => ({
  at: 1,
  processes: processes.map((p) => ({
    ...p,
    pid: 1,
    argv: [],
    nodeVersion: 'v20',
    projectRoot: '/w',
    startedAt: 0,
    lastSeen: 0,
    dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
    missedIntervals: 0,
    rowsRejected: 0,
    gauges: [],
  })),
  tasks: [],
  events: [],
  collector: {
    framesAccepted: 0,
    framesRejected: 0,
    spansStored: 0,
    spansDropped: 0,
    connections: 0,
  },
});

const source = {
  state: () => state(),
  timeline: (processId: string, taskId: string): ServerToUi => ({
    type: 'spans',
    processId,
    taskId,
    spans: [],
  }),
};

describe('profiler panel', () => {
  describe('webviewHtml', () => {
    const input = {
      cspSource: 'https://x.vscode-cdn.net',
      scriptUri: 'https://x.vscode-cdn.net/ui/webview.js',
      styleUri: 'https://x.vscode-cdn.net/ui/webview.css',
      nonce: 'abc123',
    };

    it('allows only the nonced script and the webview origin', () => {
      const csp = contentSecurityPolicy(input);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'nonce-abc123'/);
      assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    });

    it('loads the bundle with the nonce and contains no inline script or style', () => {
      const html = webviewHtml(input);
      assert.match(
        html,
        /<script nonce="abc123" src="https:\/\/x\.vscode-cdn\.net\/ui\/webview\.js">/,
      );
      assert.equal(html.match(/<script/g)?.length, 1);
      assert.doesNotMatch(html, /style=|<style/);
    });

    it('escapes attribute values', () => {
      assert.match(webviewHtml({ ...input, styleUri: 'a"b' }), /href="a&quot;b"/);
    });

    it('makes 32-character alphanumeric nonces', () => {
      const nonce = makeNonce((n) => Uint8Array.from({ length: n }, (_, i) => i * 7));
      assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    });
  });

  describe('PanelBridge', () => {
    it('answers ready with the state and select with the timeline, then pushes both', async () => {
      const sent: ServerToUi[] = [];
      const selected: string[] = [];
      const bridge = new PanelBridge(
        (m) => sent.push(m),
        (s) => selected.push(s.taskId),
      );
      await bridge.receive({ type: 'ready' }, source);
      await bridge.receive({ type: 'select', processId: 'p', taskId: 't' }, source);
      assert.deepEqual(
        sent.map((m) => m.type),
        ['state', 'spans'],
      );
      assert.deepEqual(selected, ['t']);
      sent.length = 0;
      bridge.push(source);
      assert.deepEqual(
        sent.map((m) => m.type),
        ['state', 'spans'],
      );
      await bridge.receive({ type: 'unselect' }, source);
      sent.length = 0;
      bridge.push(source);
      assert.deepEqual(
        sent.map((m) => m.type),
        ['state'],
      );
    });

    it('ignores malformed messages from the page', async () => {
      const sent: ServerToUi[] = [];
      const bridge = new PanelBridge((m) => sent.push(m));
      for (const m of [null, 'ready', { type: 'select', processId: 1 }, { type: 'eval' }]) {
        await bridge.receive(m, source);
      }
      assert.equal(sent.length, 0);
      assert.equal(bridge.selection, undefined);
    });
  });

  describe('PanelBridge commands from the page', () => {
    const hash = 'c'.repeat(64);
    const approval = {
      type: 'approval',
      v: 1,
      processId: 'p1',
      token: '', // the webview holds no token: the host relays in-process
      decision: { proposalId: 'P1', payloadHash: hash, approver: 'page', verdict: 'approve' },
    };

    it("relays an approval to the host's decide and answers with the outcome", async () => {
      const sent: ServerToUi[] = [];
      const asked: PanelDecision[] = [];
      const bridge = new PanelBridge(
        (m) => sent.push(m),
        () => {},
        {
          decide: async (d) => (asked.push(d), { ok: false, reason: 'process not connected' }),
        },
      );
      await bridge.receive(approval, source);
      // The page's approver is not used: the host approves as its own configured identity.
      assert.deepEqual(asked, [
        { processId: 'p1', proposalId: 'P1', payloadHash: hash, verdict: 'approve' },
      ]);
      assert.deepEqual(sent, [
        { type: 'approval-relayed', proposalId: 'P1', ok: false, reason: 'process not connected' },
      ]);
    });

    it('ignores malformed approvals and says when nothing handles a command', async () => {
      const sent: ServerToUi[] = [];
      let asked = 0;
      const bridge = new PanelBridge(
        (m) => sent.push(m),
        () => {},
        { decide: async () => (asked++, { ok: true }) },
      );
      const bad = [
        { ...approval, processId: 7 },
        { ...approval, decision: { ...approval.decision, payloadHash: 'abc' } },
        { ...approval, decision: { ...approval.decision, verdict: 'maybe' } },
        { ...approval, decision: null },
        { type: 'chaos-kill', processId: 3 },
        { type: 'chaos-kill', reason: 'x'.repeat(300) },
      ];
      for (const m of bad) await bridge.receive(m, source);
      assert.equal(asked, 0);
      assert.deepEqual(sent, []);
      await bridge.receive({ type: 'chaos-kill', v: 1, token: '' }, source);
      assert.deepEqual(sent, [
        {
          type: 'chaos-kill-relayed',
          ok: false,
          processes: 0,
          reason: 'chaos stop is not handled here',
        },
      ]);
    });

    it('relays the chaos stop button for one process or all, with a default reason', async () => {
      const sent: ServerToUi[] = [];
      const kills: PanelChaosKill[] = [];
      const bridge = new PanelBridge(
        (m) => sent.push(m),
        () => {},
        { chaosKill: async (k) => (kills.push(k), { ok: true, processes: k.processId ? 1 : 2 }) },
      );
      await bridge.receive({ type: 'chaos-kill', v: 1, token: '', processId: 'p1' }, source);
      await bridge.receive({ type: 'chaos-kill', v: 1, token: '', reason: 'too hot' }, source);
      assert.deepEqual(kills, [
        { processId: 'p1', reason: 'stopped from the Fox panel in VS Code' },
        { reason: 'too hot' },
      ]);
      assert.deepEqual(sent, [
        { type: 'chaos-kill-relayed', ok: true, processes: 1 },
        { type: 'chaos-kill-relayed', ok: true, processes: 2 },
      ]);
    });

    it('reports a failing handler to the page instead of throwing', async () => {
      const sent: ServerToUi[] = [];
      const bridge = new PanelBridge(
        (m) => sent.push(m),
        () => {},
        {
          decide: () => Promise.reject(new Error('boom')),
          chaosKill: () => Promise.reject(new Error('bang')),
        },
      );
      await bridge.receive(approval, source);
      await bridge.receive({ type: 'chaos-kill', v: 1, token: '' }, source);
      assert.deepEqual(
        sent.map((m) => ('reason' in m ? m.reason : undefined)),
        ['boom', 'bang'],
      );
    });
  });

  describe('newlyConnected', () => {
    it('reports each process once per connection', () => {
      const seen = new Set<string>();
      assert.deepEqual(newlyConnected(seen, state([{ id: 'a', connected: true }])), ['a']);
      assert.deepEqual(newlyConnected(seen, state([{ id: 'a', connected: true }])), []);
      assert.deepEqual(newlyConnected(seen, state([{ id: 'a', connected: false }])), []);
      assert.deepEqual(newlyConnected(seen, state([{ id: 'a', connected: true }])), ['a']);
    });
  });
});
