import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('demo (npm start)', function () {
  this.timeout(60_000);

  it('serves, generates load for --duration, prints the task table, and exits 0', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fox-demo-'));
    after(() => rmSync(tmp, { recursive: true, force: true }));
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
      {
        cwd: root,
        env: {
          ...process.env,
          FOX_PROFILER: '',
          FOX_DEMO_STORE: join(tmp, 'fox.db'),
          FOX_DEMO_CHAOS: 'off',
        },
      },
    );
    assert.match(stdout, /service at http:\/\/127\.0\.0\.1:\d+/);
    const requests = Number(/(\d+) requests, (\d+) failed/.exec(stdout)?.[1]);
    assert.ok(requests > 20, stdout);
    // Every endpoint's task shows up in the table.
    for (const task of [
      'PartnerApi.quote',
      'Inventory.stockOf',
      'src/cpu-work.ts#hashReport +tfox',
      'src/cpu-work.ts#forecastDemand +auto→',
      'src/catalog-files.ts#readCatalogPages +mfox',
    ]) {
      assert.match(stdout, new RegExp(task), stdout);
    }
    // With chaos off, no experiment ran; the summary still names the store.
    assert.match(stdout, /chaos experiments: 0/, stdout);
    assert.ok(
      stdout.includes(`store (audit log, chaos reports, flow runs): ${join(tmp, 'fox.db')}`),
    );
  });
});
