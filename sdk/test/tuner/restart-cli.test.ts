import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tuneMain } from '../../src/cli/tune.js';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('./fixtures/tuned-app.ts', import.meta.url));

async function app(mode: 'tune' | 'check', store: string) {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', APP, mode, store],
    { timeout: 50_000 },
  );
  const last = stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as {
    timeout: number;
    retry: number;
    status: { genome: Record<string, number>; currentGeneration: string; phase: string }[];
    history: string[];
  };
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await tuneMain(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// Two real processes on one store file: the first tunes and adopts, the second starts with the
// adopted parameters restored from the lineage; then the CLI reads the same file.
describe('tuner across a restart, and fox tune', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fox-tuner-restart-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('restores the adopted generation in a new process; the pinned retry stays as written', async () => {
    const store = join(dir, 'fox.db');
    const first = await app('tune', store);
    assert.equal(first.timeout, 50);
    assert.ok(first.history.includes('adopted'), first.history.join(','));
    const second = await app('check', store);
    assert.equal(second.timeout, 50, 'restored from the lineage, not the 1000 in the code');
    assert.equal(second.retry, 3);
    assert.deepEqual(second.status[0]?.genome, { 'timeout.ms': 50 });
    assert.equal(second.status[0]?.currentGeneration, first.status[0]?.currentGeneration);
  });

  it('fox tune status|history|export read the lineage (table and JSON)', async () => {
    const store = join(dir, 'fox.db');
    const status = await cli(['status', '--store', store]);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /tuned-app#dep\s+no\s+\d+\s+\S+\s+timeout\.ms=50/);
    const history = await cli(['history', 'tuned-app#dep', '--store', store, '--json']);
    const gens = JSON.parse(history.out) as {
      decision: string;
      parentId: string | null;
      id: string;
    }[];
    assert.equal(gens[0]?.decision, 'baseline');
    const adopted = gens.find((g) => g.decision === 'adopted')!;
    assert.ok(
      gens.some((g) => g.id === adopted.parentId),
      'the parent is in the lineage',
    );
    const table = await cli(['history', '--store', store]);
    assert.match(table.out, /adopted\s+timeout\.ms 1000 → 50/);
    const exported = await cli(['export', '--store', store]);
    const doc = JSON.parse(exported.out) as {
      format: string;
      tasks: { genome: object }[];
      generations: unknown[];
    };
    assert.equal(doc.format, 'fox-tuner-lineage/1');
    assert.deepEqual(doc.tasks[0]?.genome, { 'timeout.ms': 50 });
    assert.equal(doc.generations.length, gens.length);
  });

  it('usage errors exit 2 naming the problem', async () => {
    assert.equal((await cli([])).code, 2);
    const bad = await cli(['status', '--stroe', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--stroe/);
    const missing = await cli(['status', '--store', join(dir, 'nope.db')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no store/);
  });
});
