import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('demo (npm start)', function () {
  this.timeout(60_000);

  it('serves, generates load for --duration, prints the task table, and exits 0', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        join(root, 'samples/demo/src/main.ts'),
        '--duration',
        '2s',
      ],
      { cwd: root, env: { ...process.env, FOX_PROFILER: '' } },
    );
    assert.match(stdout, /service at http:\/\/127\.0\.0\.1:\d+/);
    const requests = Number(/(\d+) requests, (\d+) failed/.exec(stdout)?.[1]);
    assert.ok(requests > 20, stdout);
    // Every endpoint's task shows up in the table.
    for (const task of [
      'PartnerApi.quote',
      'Inventory.stockOf',
      'hashReport|src/dependencies.ts#',
    ]) {
      assert.match(stdout, new RegExp(task), stdout);
    }
  });
});
