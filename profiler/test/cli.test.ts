import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { profileMain } from '../src/index.js';
import { here, tempDir } from './helpers.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += String(d)));
  return { stream, text: () => text };
}

describe('fox profile', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('runs the child with FOX_PROFILER, prints the UI url and plain lines, and writes a report', async () => {
    const out = capture();
    const err = capture();
    const reports = join(tmp.dir, 'reports');
    const code = await profileMain(
      [
        '--store',
        join(tmp.dir, 'fox.db'),
        '--reports',
        reports,
        '--',
        process.execPath,
        '--import',
        'tsx',
        '--conditions=source',
        join(here, 'fixtures', 'exporting-app.ts'),
      ],
      { stdout: out.stream, stderr: err.stream, env: { ...process.env, FIXTURE_MS: '6000' } },
    );
    assert.equal(code, 0, err.text());
    const text = out.text();
    assert.match(text, /live UI at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    // Not a TTY: plain lines, no escape codes.
    assert.match(text, /\[fox\] fixture#handle wfox \d+ calls\/s/);
    assert.ok(!text.includes('\u001b['), 'no escape codes');
    const report = /report written to (.+\.html)/.exec(text)?.[1];
    assert.ok(report && existsSync(report), text);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /id="fox-report-data"/);
    assert.match(html, /fixture#handle/);
    // Rebuilt from the store after the run (whole run), not from the in-memory history.
    assert.match(html, /"report":\{"sessionId":"[0-9A-Z]{26}"/);
  });

  it('returns the child’s exit code and 2 on a usage error', async () => {
    const out = capture();
    const err = capture();
    const io = { stdout: out.stream, stderr: err.stream, env: process.env };
    assert.equal(
      await profileMain(
        ['--no-store', '--no-report', '--quiet', '--', process.execPath, '-e', 'process.exit(3)'],
        io,
      ),
      3,
    );
    assert.equal(await profileMain([], io), 2);
    assert.equal(await profileMain(['--bogus', '--', 'node'], io), 2);
    assert.match(err.text(), /usage: fox profile/);
  });
});
