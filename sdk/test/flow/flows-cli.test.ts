import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowsMain } from '../../src/cli/flows.js';
import { captureIo } from '../cli/capture-io.js';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, 'fixtures', 'flows-cli-app.ts');
const foxBin = resolve(here, '../../bin/fox.js');

function node(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', ...args],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('fox flows list | show | resume', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fox-flows-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists a failed run, shows its nodes, and resumes it in a new process from its module', async () => {
    const db = join(dir, 'fox.db');
    const log = join(dir, 'ran.log');
    const env = { CLI_APP_STORE: db, CLI_APP_LOG: log };
    const first = await node([app], { ...env, CLI_APP_FAIL: '1' });
    assert.match(first.stdout, /failed: .*flaky is down/, first.stderr);

    const listed = captureIo();
    assert.equal(await flowsMain(['list', '--store', db], listed.io), 0);
    assert.equal(listed.out.length, 1);
    const [runId, status] = listed.out[0]!.split(/\s+/);
    assert.match(runId!, /^[0-9A-Z]{26}$/);
    assert.equal(status, 'failed');

    const shown = captureIo();
    assert.equal(await flowsMain(['show', runId!, '--store', db, '--json'], shown.io), 0);
    const view = JSON.parse(shown.out.join('\n')) as {
      status: string;
      nodes: Array<{ name: string; status: string; needs: string[] }>;
      criticalPath: string[];
    };
    assert.equal(view.status, 'failed');
    assert.deepEqual(
      view.nodes.map((n) => [n.name, n.status]),
      [
        ['sales', 'succeeded'],
        ['refunds', 'succeeded'],
        ['flaky', 'failed'],
        ['summary', 'not run'],
      ],
    );
    assert.equal(view.criticalPath.at(-1), 'flaky');
    const text = captureIo();
    assert.equal(await flowsMain(['show', runId!, '--store', db], text.io), 0);
    assert.match(text.out.join('\n'), /critical path \(\*\): sales → flaky/);

    // The resume runs in its own process through the `fox` bin, which imports the recorded module.
    const resumed = await node([foxBin, 'flows', 'resume', runId!, '--store', db], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /succeeded \(2 node\(s\) restored, 2 run now\)/);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').sort(), [
      'flaky',
      'flaky',
      'refunds',
      'sales',
      'summary',
    ]);
    const after = captureIo();
    await flowsMain(['show', runId!, '--store', db, '--json'], after.io);
    const done = JSON.parse(after.out.join('\n')) as {
      status: string;
      nodes: Array<{ status: string }>;
    };
    assert.equal(done.status, 'succeeded');
    assert.ok(done.nodes.every((n) => n.status === 'succeeded'));
  });

  it('reports usage errors and unknown runs with exit codes', async () => {
    const db = join(dir, 'fox.db');
    const c1 = captureIo();
    assert.equal(await flowsMain(['show'], c1.io), 2);
    assert.equal(await flowsMain(['list', '--bogus'], captureIo().io), 2);
    assert.equal(await flowsMain(['list', '--store', db], captureIo().io), 2, 'no store file');
    const first = await node([app], { CLI_APP_STORE: db });
    assert.equal(first.code, 0, first.stderr);
    const c2 = captureIo();
    assert.equal(await flowsMain(['show', 'NOPE', '--store', db], c2.io), 1);
    assert.match(c2.err.join('\n'), /no run NOPE/);
    const c3 = captureIo();
    assert.equal(await flowsMain(['list', '--store', db, '--flow', 'cli-app'], c3.io), 0);
    assert.match(c3.out[0]!, /succeeded/);
  });
});
