import assert from 'node:assert/strict';
import type { Profiler, UiState } from '@fox/profiler';
import { ProfilerHost } from '../../src/profiler/profiler-host.js';

function fakeProfiler(): Profiler & { closed: number } {
  const state = { at: 1, processes: [], tasks: [], events: [] } as unknown as UiState;
  return {
    url: 'ws://127.0.0.1:1?token=t',
    uiUrl: 'http://127.0.0.1:1/?token=t',
    port: 1,
    token: 't',
    sessionId: undefined,
    storePath: undefined,
    closed: 0,
    counters: () => {
      throw new Error('unused');
    },
    state: () => state,
    timeline: (processId, taskId) => ({ type: 'spans', processId, taskId, spans: [] }),
    decide: () => ({ ok: false, reason: 'unused' }),
    killChaos: () => ({ ok: false, processes: 0, reason: 'unused' }),
    cpuFunctions: () => [],
    async close() {
      this.closed++;
    },
  };
}

describe('ProfilerHost', () => {
  it('starts once, ticks listeners with the state, and stops', async () => {
    const started: unknown[] = [];
    const profiler = fakeProfiler();
    const host = new ProfilerHost(
      async (o) => {
        started.push(o);
        return profiler;
      },
      () => ({ storePath: false }),
      60_000,
    );
    const ticks: (UiState | undefined)[] = [];
    const sub = host.onTick((s) => ticks.push(s));
    const [a, b] = await Promise.all([host.ensure(), host.ensure()]);
    assert.equal(a, b);
    assert.deepEqual(started, [{ storePath: false }]);
    assert.equal(ticks.length, 1, 'an immediate push on start');
    host.emit();
    assert.equal(ticks.length, 2);
    await host.stop();
    assert.equal(profiler.closed, 1);
    assert.equal(ticks.at(-1), undefined, 'listeners learn that it stopped');
    assert.equal(host.profiler, undefined);
    sub.dispose();
  });

  it('can retry after a failed start, and one failing listener does not stop the others', async () => {
    let attempts = 0;
    const host = new ProfilerHost(
      async () => {
        if (++attempts === 1) throw new Error('port in use');
        return fakeProfiler();
      },
      () => ({}),
      60_000,
    );
    await assert.rejects(host.ensure(), /port in use/);
    let got = 0;
    host.onTick(() => {
      throw new Error('broken view');
    });
    host.onTick(() => got++);
    await host.ensure();
    assert.equal(got, 1);
    await host.stop();
  });

  it('uses a real profiler end to end', async () => {
    const { startProfiler } = await import('@fox/profiler');
    const host = new ProfilerHost(startProfiler, () => ({ storePath: false }), 60_000);
    const p = await host.ensure();
    assert.match(p.url, /^ws:\/\/127\.0\.0\.1:\d+\?token=/);
    assert.deepEqual(p.state().processes, []);
    await host.stop();
  });
});
