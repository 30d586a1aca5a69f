import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaosMain } from '../../src/cli/chaos.js';
import { captureIo } from '../cli/capture-io.js';

describe('fox chaos', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fox-chaos-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const good = {
    name: 'slow',
    seed: 9,
    hypothesis: { probes: [{ metric: 'errorRate', max: 0.1 }] },
    method: [{ fault: { type: 'latency', ms: 5 }, target: { tasks: ['**'], rate: 0.1 } }],
    durationMs: 1000,
  };

  it('validates experiments', async () => {
    const file = join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify(good));
    const ok = captureIo();
    assert.equal(await chaosMain(['validate', file], ok.io), 0);
    assert.match(ok.out[0]!, /^ok: slow/);
    writeFileSync(file, JSON.stringify({ ...good, seed: 'x' }));
    const bad = captureIo();
    assert.equal(await chaosMain(['validate', file], bad.io), 2);
    assert.match(bad.err[0]!, /seed/);
    writeFileSync(file, '{');
    assert.equal(await chaosMain(['validate', file], captureIo().io), 2);
    assert.equal(await chaosMain(['validate', join(dir, 'missing.json')], captureIo().io), 2);
  });

  it('runs the command with the experiment in FOX_CHAOS, and nothing when it is invalid', async () => {
    const file = join(dir, 'exp.json');
    const seen = join(dir, 'seen.txt');
    writeFileSync(file, JSON.stringify(good));
    const script = `require('fs').writeFileSync(${JSON.stringify(seen)}, process.env.FOX_CHAOS); process.exit(3)`;
    assert.equal(
      await chaosMain(['run', file, '--', process.execPath, '-e', script], captureIo().io),
      3,
    );
    assert.equal(readFileSync(seen, 'utf8'), file);
    rmSync(seen);
    writeFileSync(file, JSON.stringify({ ...good, method: [] }));
    assert.equal(
      await chaosMain(['run', file, '--', process.execPath, '-e', script], captureIo().io),
      2,
    );
    assert.throws(() => readFileSync(seen));
    assert.equal(await chaosMain(['run', file], captureIo().io), 2);
  });
});
