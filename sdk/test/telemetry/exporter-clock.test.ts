import assert from 'node:assert/strict';
import { startExporter } from '../../src/telemetry/exporter.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';
import { FakeHost } from './fake-host.js';

describe('exporter on an injected clock', () => {
  it('builds one aggregates frame per interval of the clock it is given', async () => {
    const clock = createFakeClock({ wallNow: 1_700_000_000_000 });
    const host = new FakeHost();
    host.addTask('src/a.ts#f');
    // Nobody listens on port 9: the exporter buffers and retries, and the program runs on.
    const exporter = startExporter({
      url: 'ws://127.0.0.1:9/?token=t',
      runtime: host,
      clock,
      intervalMs: 1_000,
      exitHooks: false,
    });
    try {
      assert.equal(exporter.counters().seq, 0);
      clock.tick(999);
      assert.equal(exporter.counters().seq, 0);
      clock.tick(1);
      assert.equal(exporter.counters().seq, 1);
      clock.tick(3_000);
      assert.equal(exporter.counters().seq, 4);
    } finally {
      await exporter.shutdown(100);
    }
  });
});
