import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./fixtures/no-bullmq-main.ts', import.meta.url));

describe('dfox without bullmq installed', function () {
  this.timeout(30_000);

  it('fails calls and workers with FOX_MISSING_PEER naming the package; nothing else breaks', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN], {
      encoding: 'utf8',
      timeout: 25_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const { call, worker } = JSON.parse(r.stdout) as Record<string, Record<string, string>>;
    for (const e of [call!, worker!]) {
      assert.equal(e['code'], 'FOX_MISSING_PEER');
      assert.equal(e['packageName'], 'bullmq');
      assert.match(e['message']!, /npm i bullmq/);
    }
  });
});
