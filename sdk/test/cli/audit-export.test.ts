import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditMain } from '../../src/cli/audit.js';
import { cefHeaderEscape, cefValueEscape, toCef } from '../../src/cli/cef.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';
import { makeEnv, type Env } from '../guardian/fixtures.js';
import { captureIo } from './capture-io.js';

const VERIFY = join(import.meta.dirname, '../../../scripts/audit/verify-export.mjs');
const FOX_BIN = join(import.meta.dirname, '../../bin/fox.js');

/** Runs the independent verification script as a receiver would: its own Node process. */
function verifyExport(file: string, ...flags: string[]) {
  const r = spawnSync(process.execPath, [VERIFY, ...flags, file], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('fox audit export → independent verification', () => {
  let env: Env;
  afterEach(() => env.cleanup());
  const store = () => ['--store', env.dbPath];

  /** A log of `n` entries (checkpoints every 100th and at close), data with awkward text. */
  function writeLog(n: number, close = true) {
    env = makeEnv();
    for (let i = 1; i <= n; i++) {
      env.clock.t += 7;
      env.audit.append({
        type: i % 10 === 3 ? 'odd|type\\x=y' : 'decision',
        data: {
          proposalId: `P${i}`,
          by: i % 2 ? 'alice' : 'bob=admin',
          reason: `line one\nline two | a\\b = c é ${i}`,
          attempts: i,
        },
      });
    }
    if (close) env.audit.close();
  }

  async function keyId(): Promise<string> {
    const c = captureIo();
    assert.equal(await auditMain(['verify', '--json', ...store()], c.io), 0);
    return (JSON.parse(c.out.join('\n')) as { keyId: string }).keyId;
  }

  async function exportTo(file: string, ...flags: string[]): Promise<string[]> {
    const c = captureIo();
    assert.equal(await auditMain(['export', ...flags, '--out', file, ...store()], c.io), 0);
    return readFileSync(file, 'utf8').trimEnd().split('\n');
  }

  for (const format of ['jsonl', 'cef'] as const) {
    it(`${format}: verifies; tampering with one line fails naming that line`, async () => {
      writeLog(250);
      const file = join(env.dir, `audit.${format}`);
      const lines = await exportTo(file, '--format', format);
      const kid = await keyId();
      // header + 250 entries + checkpoints at 100, 200 and the close (250)
      assert.equal(lines.length, 1 + 250 + 3);
      const ok = verifyExport(file, '--key-id', kid, '--require-signed-tail');
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /^OK: 250 entries, 3 checkpoints, signed through seq 250, 0 unsigned/);

      // Edit what one entry says (line 42 holds seq 41).
      const tampered = [...lines];
      assert.match(tampered[41]!, /P41/);
      tampered[41] = tampered[41]!.replaceAll('P41', 'P99');
      writeFileSync(file, tampered.join('\n') + '\n');
      const bad = verifyExport(file, '--key-id', kid);
      assert.equal(bad.code, 1, bad.out);
      assert.match(bad.out, /^FAILED/);
      assert.match(bad.out, /line 42 \(seq 41\): hash does not match the entry/);

      // Only the searchable copy (JSONL data, CEF cs3) edited: the entry's hash still holds.
      const searchable = [...lines];
      searchable[41] = searchable[41]!.replace('P41', 'P99');
      writeFileSync(file, searchable.join('\n') + '\n');
      const copy = verifyExport(file, '--key-id', kid);
      assert.equal(copy.code, 1, copy.out);
      assert.match(copy.out, /line 42 \(seq 41\): the line's (data|proposalId) disagrees/);

      // A deleted entry breaks the sequence and the link at the next line.
      const rehashed = [...lines];
      rehashed.splice(41, 1); // drop seq 41 altogether
      writeFileSync(file, rehashed.join('\n') + '\n');
      const gap = verifyExport(file, '--key-id', kid);
      assert.equal(gap.code, 1);
      assert.match(gap.out, /line 42 \(seq 42\): expected seq 41, found 42/);
      assert.match(gap.out, /line 42 \(seq 42\): prevHash does not link/);

      // Another key (an attacker re-signing with their own) is refused when the key is pinned.
      writeFileSync(file, lines.join('\n') + '\n');
      const other = verifyExport(file, '--key-id', 'A'.repeat(43));
      assert.equal(other.code, 1);
      assert.match(other.out, /not the pinned/);
    });
  }

  it('jsonl: a line whose searchable fields disagree with the hashed entry fails', async () => {
    writeLog(5);
    const file = join(env.dir, 'audit.jsonl');
    const lines = await exportTo(file);
    const rec = JSON.parse(lines[2]!) as { data: { by: string } };
    rec.data.by = 'mallory';
    lines[2] = JSON.stringify(rec);
    writeFileSync(file, lines.join('\n') + '\n');
    const r = verifyExport(file, '--key-id', await keyId());
    assert.equal(r.code, 1);
    assert.match(r.out, /line 3 \(seq 2\): the line's data disagrees/);
  });

  it('escapes CEF header and extension values', () => {
    assert.equal(cefHeaderEscape('a|b\\c\nd'), 'a\\|b\\\\c d');
    assert.equal(cefValueEscape('k=v \\ x\r\ny\rz|'), 'k\\=v \\\\ x\\ny\\rz|');
    const line = toCef({
      kind: 'entry',
      seq: 3,
      id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      at: 1,
      type: 'odd|type',
      data: { by: 'a=b' },
      prevHash: 'p',
      hash: 'h',
      entry: '{"a":"x=y\\\\z"}',
    });
    assert.ok(
      line.startsWith('CEF:0|Fox|Fox Guardian|1|audit:odd\\|type|Fox guardian odd\\|type|3|'),
    );
    assert.match(line, / suser=a\\=b /);
    assert.match(line, / msg=\{"a":"x\\=y\\\\\\\\z"\}$/);
    assert.doesNotMatch(line, /\n/);
  });

  it('--since an entry ULID exports what follows it, anchored by its checkpoint', async () => {
    writeLog(120);
    const all = await exportTo(join(env.dir, 'all.jsonl'));
    const entries = all.map((l) => JSON.parse(l) as { kind: string; seq: number; id: string });
    const at100 = entries.find((e) => e.kind === 'entry' && e.seq === 100)!;
    const file = join(env.dir, 'since.jsonl');
    const lines = await exportTo(file, '--since', at100.id);
    const recs = lines.map(
      (l) => JSON.parse(l) as { kind: string; seq?: number; afterSeq?: number },
    );
    assert.equal(recs[0]!.afterSeq, 100);
    // The checkpoint at 100 anchors the first exported entry's prevHash.
    assert.deepEqual(
      recs.slice(1).map((r) => [r.kind, r.seq]),
      [
        ['checkpoint', 100],
        ...Array.from({ length: 20 }, (_, i) => ['entry', 101 + i]),
        ['checkpoint', 120],
      ],
    );
    const r = verifyExport(file, '--key-id', await keyId());
    assert.equal(r.code, 0, r.out);
    // A ULID before every entry is a point in time: everything follows it.
    const early = await exportTo(
      join(env.dir, 'early.jsonl'),
      '--since',
      '00000000000000000000000000',
    );
    assert.equal(early.length, all.length);
    assert.equal(
      await auditMain(['export', '--since', 'yesterday', ...store()], captureIo().io),
      2,
    );
    assert.equal(await auditMain(['export', '--format', 'xml', ...store()], captureIo().io), 2);
    assert.equal(await auditMain(['export', '--interval', '5', ...store()], captureIo().io), 2);
  });

  it('fox audit export --follow (the real command in a child process) stops on SIGTERM', async () => {
    writeLog(2, false);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        FOX_BIN,
        'audit',
        'export',
        '--follow',
        '--interval',
        '50',
        '--format',
        'cef',
        ...store(),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const lines = () => out.split('\n').filter((l) => l !== '');
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(ok(), out);
    };
    await until(() => lines().length >= 3);
    env.audit.append({ type: 'decision', data: { n: 3 } });
    env.audit.close();
    await until(() => lines().some((l) => l.includes('audit:checkpoint')));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const file = join(env.dir, 'followed.cef');
    writeFileSync(file, out);
    const r = verifyExport(file, '--key-id', await keyId(), '--require-signed-tail');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^OK: 3 entries, [12] checkpoints, signed through seq 3, 0 unsigned/);
  });

  it('--follow tails new entries and checkpoints until stopped', async () => {
    writeLog(3, false);
    const clock = createFakeClock({ wallNow: 1_700_000_000_000 });
    const stop = new AbortController();
    const c = captureIo();
    const done = auditMain(['export', '--follow', '--interval', '500', ...store()], c.io, {
      clock,
      signal: stop.signal,
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      c.out.map((l) => (JSON.parse(l) as { kind: string }).kind),
      ['fox-audit-export', 'entry', 'entry', 'entry'],
    );
    env.audit.append({ type: 'decision', data: { n: 4 } });
    env.audit.checkpoint();
    env.audit.append({ type: 'decision', data: { n: 5 } });
    clock.tick(499);
    assert.equal(c.out.length, 4);
    clock.tick(1);
    assert.deepEqual(
      c.out
        .slice(4)
        .map((l) => JSON.parse(l) as { kind: string; seq: number })
        .map((r) => [r.kind, r.seq]),
      [
        ['entry', 4],
        ['checkpoint', 4],
        ['entry', 5],
      ],
    );
    env.audit.close(); // signs seq 5
    env.audit.append({ type: 'decision', data: { n: 6 } });
    stop.abort(); // what arrived since the last tick still goes out
    assert.equal(await done, 0);
    const tail = c.out.slice(7).map((l) => JSON.parse(l) as { kind: string; seq: number });
    assert.deepEqual(
      tail.map((r) => [r.kind, r.seq]),
      [
        ['checkpoint', 5],
        ['entry', 6],
      ],
    );
    const file = join(env.dir, 'followed.jsonl');
    writeFileSync(file, c.out.join('\n') + '\n');
    const r = verifyExport(file, '--key-id', await keyId());
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /6 entries, 2 checkpoints, signed through seq 5, 1 unsigned after it/);
    assert.equal(verifyExport(file, '--require-signed-tail').code, 1);
  });
});
