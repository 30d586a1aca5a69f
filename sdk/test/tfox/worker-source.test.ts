import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The worker runs from `WORKER_SOURCE`, generated from worker/worker-main.ts and committed (the
 * tests run the sources without a build). This fails when the committed string is not what
 * scripts/build-worker.mjs would generate now, i.e. the worker or a module it imports changed
 * without regenerating it.
 */
describe('tfox worker source', () => {
  it('is the current bundle of worker/worker-main.ts (regenerate with scripts/build-worker.mjs)', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-worker.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
