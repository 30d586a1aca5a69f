import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { profileMain, startProfiler, type UiState } from '../src/index.js';
import { exited, here, repoRoot, tempDir, until } from './helpers.js';

const tsx = ['--import', 'tsx', '--conditions=source'];

/** `fox profile …` in its own process group, so a test can kill -9 it and clean up after it. */
function foxProfile(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(
    process.execPath,
    [...tsx, join(repoRoot, 'profiler', 'src', 'cli', 'run-profile.ts'), ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  return child;
}

/** Collects a stream's text as it comes. */
function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.on('data', (d: string | Buffer) => (text += String(d)));
  return () => text;
}

/** The port and token `fox profile` printed in its live UI line. */
async function endpointOf(out: () => string): Promise<{ port: number; token: string }> {
  await until(() => /live UI at \S+/.test(out()), 20_000, 'the live UI line');
  const url = new URL(/live UI at (\S+)/.exec(out())![1]!);
  return { port: Number(url.port), token: url.searchParams.get('token')! };
}

async function stateOf(port: number, token: string): Promise<UiState | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/state?token=${token}`);
    return res.ok ? ((await res.json()) as UiState) : undefined;
  } catch {
    return undefined;
  }
}

async function waitForState(
  port: number,
  token: string,
  pred: (s: UiState) => boolean,
  what: string,
): Promise<UiState> {
  const end = Date.now() + 20_000;
  for (;;) {
    const s = await stateOf(port, token);
    if (s && pred(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  return { stream, text: collect(stream) };
}

describe('fox profile restarted after kill -9', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  /** Process groups (fox profile and what it started) and stray pids to kill afterwards. */
  const groups: number[] = [];
  const strays: number[] = [];
  const servers: Server[] = [];

  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const pid of strays.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const s of servers.splice(0)) s.close();
    tmp.cleanup();
  });

  it('takes back the program it left running: same port, same token, the program reconnects', async () => {
    const store = join(tmp.dir, 'fox.db');
    const endpointFile = `${store}.endpoint.json`;
    const first = foxProfile(
      [
        ...['--store', store, '--no-report', '--quiet', '--'],
        ...[process.execPath, ...tsx, join(here, 'fixtures', 'exporting-app.ts')],
      ],
      { FIXTURE_MS: '0', FIXTURE_INTERVAL_MS: '100' },
    );
    groups.push(first.pid!);
    const firstOut = collect(first.stdout!);
    collect(first.stderr!);
    const { port, token } = await endpointOf(firstOut);
    const before = await waitForState(
      port,
      token,
      (s) => s.processes.some((p) => p.connected && p.gauges.length > 0),
      'the program connected',
    );
    const program = before.processes[0]!;
    strays.push(program.pid);

    // The endpoint is kept beside the store, private to the user.
    const saved = JSON.parse(readFileSync(endpointFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(saved, { port, token, pid: first.pid });
    assert.equal(statSync(endpointFile).mode & 0o777, 0o600);

    first.kill('SIGKILL');
    await exited(first);
    assert.ok(alive(program.pid), 'the program outlives its fox profile');

    const second = foxProfile([
      ...['--store', store, '--no-report', '--quiet', '--'],
      ...[process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    ]);
    groups.push(second.pid!);
    const secondOut = collect(second.stdout!);
    const secondErr = collect(second.stderr!);
    assert.deepEqual(await endpointOf(secondOut), { port, token });
    assert.match(
      secondErr(),
      new RegExp(`re-using the endpoint of a previous fox profile \\(pid ${first.pid}\\)`),
    );
    // The orphan finds its profiler again and streams to it.
    const after = await waitForState(
      port,
      token,
      (s) => s.processes.some((p) => p.pid === program.pid && p.connected && p.gauges.length >= 3),
      'the orphan reconnected',
    );
    assert.equal(after.processes.find((p) => p.pid === program.pid)!.id, program.id);
    assert.deepEqual(JSON.parse(readFileSync(endpointFile, 'utf8')), {
      port,
      token,
      pid: second.pid,
    });

    // A clean exit (its command ends on SIGTERM) removes the file.
    second.kill('SIGTERM');
    await exited(second);
    assert.equal(existsSync(endpointFile), false, secondErr());
  });

  it('leaves the endpoint of a fox profile that still serves alone', async () => {
    const store = join(tmp.dir, 'fox.db');
    const other = await startProfiler({ storePath: false, token: 't'.repeat(32) });
    try {
      const saved = { port: other.port, token: other.token, pid: process.pid };
      writeFileSync(`${store}.endpoint.json`, JSON.stringify(saved), { mode: 0o600 });
      const out = capture();
      const err = capture();
      const code = await profileMain(
        ['--store', store, '--no-report', '--quiet', '--', process.execPath, '-e', ''],
        { stdout: out.stream, stderr: err.stream, env: process.env },
      );
      assert.equal(code, 0, err.text());
      assert.match(err.text(), /another fox profile \(pid \d+\) is serving this store/);
      const url = new URL(/live UI at (\S+)/.exec(out.text())![1]!);
      assert.notEqual(url.searchParams.get('token'), other.token);
      assert.deepEqual(JSON.parse(readFileSync(`${store}.endpoint.json`, 'utf8')), saved);
    } finally {
      await other.close();
    }
  });

  it('keeps the token but takes a new port when the old one is taken, and says so', async () => {
    const store = join(tmp.dir, 'fox.db');
    const gone = spawn(process.execPath, ['-e', '']);
    await exited(gone);
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const token = 'k'.repeat(40);
    writeFileSync(`${store}.endpoint.json`, JSON.stringify({ port, token, pid: gone.pid }), {
      mode: 0o600,
    });
    const out = capture();
    const err = capture();
    const code = await profileMain(
      ['--store', store, '--no-report', '--quiet', '--', process.execPath, '-e', ''],
      { stdout: out.stream, stderr: err.stream, env: process.env },
    );
    assert.equal(code, 0, err.text());
    assert.match(err.text(), /re-using the endpoint of a previous fox profile/);
    assert.match(err.text(), new RegExp(`port ${port} of the previous fox profile is taken`));
    const url = new URL(/live UI at (\S+)/.exec(out.text())![1]!);
    assert.equal(url.searchParams.get('token'), token);
    assert.notEqual(Number(url.port), port);
    assert.equal(existsSync(`${store}.endpoint.json`), false, 'removed on a clean exit');
  });

  it('ignores an endpoint file others could have written', async function () {
    if (process.getuid === undefined) this.skip();
    const store = join(tmp.dir, 'fox.db');
    const gone = spawn(process.execPath, ['-e', '']);
    await exited(gone);
    const planted = { port: 1, token: 'p'.repeat(40), pid: gone.pid };
    writeFileSync(`${store}.endpoint.json`, JSON.stringify(planted), { mode: 0o644 });
    const out = capture();
    const err = capture();
    const code = await profileMain(
      ['--store', store, '--no-report', '--quiet', '--', process.execPath, '-e', ''],
      { stdout: out.stream, stderr: err.stream, env: process.env },
    );
    assert.equal(code, 0, err.text());
    assert.match(err.text(), /ignoring .*endpoint\.json: not private/);
    assert.notEqual(
      new URL(/live UI at (\S+)/.exec(out.text())![1]!).searchParams.get('token'),
      planted.token,
    );
  });

  it('takes --token and --port together, and refuses a short token', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    const token = 'a-token-of-my-own-choosing';
    const out = capture();
    const err = capture();
    const io = { stdout: out.stream, stderr: err.stream, env: process.env };
    const args = ['--no-store', '--no-report', '--quiet'];
    const run = ['--', process.execPath, '-e', ''];
    assert.equal(
      await profileMain([...args, '--token', token, '--port', String(port), ...run], io),
      0,
      err.text(),
    );
    const url = new URL(/live UI at (\S+)/.exec(out.text())![1]!);
    assert.equal(Number(url.port), port);
    assert.equal(url.searchParams.get('token'), token);
    assert.equal(await profileMain([...args, '--token', 'short', ...run], io), 2);
    assert.equal(await profileMain([...args, '--port', '70000', ...run], io), 2);
  });
});
