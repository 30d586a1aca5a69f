import assert from 'node:assert/strict';
import type { ServerToUi, UiState } from '@fox/profiler';
import { PanelBridge, newlyConnected } from '../../src/panel/panel-bridge.js';
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
    it('answers ready with the state and select with the timeline, then pushes both', () => {
      const sent: ServerToUi[] = [];
      const selected: string[] = [];
      const bridge = new PanelBridge(
        (m) => sent.push(m),
        (s) => selected.push(s.taskId),
      );
      bridge.receive({ type: 'ready' }, source);
      bridge.receive({ type: 'select', processId: 'p', taskId: 't' }, source);
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
      bridge.receive({ type: 'unselect' }, source);
      sent.length = 0;
      bridge.push(source);
      assert.deepEqual(
        sent.map((m) => m.type),
        ['state'],
      );
    });

    it('ignores malformed messages from the page', () => {
      const sent: ServerToUi[] = [];
      const bridge = new PanelBridge((m) => sent.push(m));
      for (const m of [null, 'ready', { type: 'select', processId: 1 }, { type: 'eval' }]) {
        bridge.receive(m, source);
      }
      assert.equal(sent.length, 0);
      assert.equal(bridge.selection, undefined);
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
