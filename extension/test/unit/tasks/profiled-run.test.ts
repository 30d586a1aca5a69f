import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startProfiler, type Profiler } from '@fox/profiler';
import { ProfiledRun, redactToken, toTerminalText } from '../../../src/tasks/profiled-run.js';
import { until } from '../../../../sdk/test/support/until.js';

/** A terminal that records what it shows and resolves when the command ends. */
function terminal() {
  let text = '';
  let resolveClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((r) => (resolveClosed = r));
  // Checked on every write: a wait ends as soon as the text it waits for is shown.
  const waiters = new Set<() => void>();
  return {
    sink: {
      write: (t: string) => {
        text += t;
        for (const check of waiters) check();
      },
      close: (code: number) => resolveClosed(code),
    },
    closed,
    text: () => text,
    waitFor(pattern: RegExp, ms = 10_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = () => {
          if (!pattern.test(text)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in:\n${text}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by a container's init) does not. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}

const node = (script: string) => `"${process.execPath}" -e "${script.replace(/"/g, '\\"')}"`;
const def = (command: string, env?: Record<string, string>) => ({
  type: 'fox' as const,
  command,
  ...(env ? { env } : {}),
});

describe('ProfiledRun (a fox task in its terminal)', () => {
  let profiler: Profiler | undefined;
  afterEach(async () => {
    await profiler?.close();
    profiler = undefined;
  });

  it("runs the command with the profiler's FOX_PROFILER and ends with its exit code", async () => {
    profiler = await startProfiler({ storePath: false });
    const url = profiler.url;
    const t = terminal();
    const run = new ProfiledRun({
      definition: def(node('console.log(process.env.FOX_PROFILER); process.exit(3)')),
      cwd: process.cwd(),
      profilerUrl: async () => url,
    });
    await run.open(t.sink);
    assert.equal(await t.closed, 3);
    assert.ok(t.text().includes(`${url}\r\n`), t.text());
    assert.ok(!t.text().includes('\n\n') && !/[^\r]\n/.test(t.text()), 'CRLF only');
    assert.match(t.text(), /Fox profiler: FOX_PROFILER=ws:\/\/127\.0\.0\.1:\d+\?token=…\r\n/);
  });

  it('runs without the profiler when it cannot start, and says so', async () => {
    const t = terminal();
    const run = new ProfiledRun({
      definition: def(node("console.log('profiler=' + (process.env.FOX_PROFILER ?? 'none'))")),
      cwd: process.cwd(),
      baseEnv: { PATH: process.env['PATH'] },
      profilerUrl: () => Promise.reject(new Error('port in use')),
    });
    await run.open(t.sink);
    assert.equal(await t.closed, 0);
    assert.match(t.text(), /could not start \(port in use\); running without it/);
    assert.match(t.text(), /profiler=none/);
  });

  it('passes typed input to the command, and Ctrl+C interrupts it', async () => {
    const t = terminal();
    const run = new ProfiledRun({
      definition: def(
        node(
          "process.stdin.on('data', (d) => console.log('got ' + String(d).trim())); console.log('ready')",
        ),
      ),
      cwd: process.cwd(),
      profilerUrl: async () => 'ws://127.0.0.1:1?token=x',
    });
    await run.open(t.sink);
    await t.waitFor(/ready/);
    run.input('hello\r', t.sink);
    await t.waitFor(/got hello/);
    run.input('\x03');
    assert.equal(await t.closed, 130, '128 + SIGINT');
  });

  it('stops the command and what it started when the terminal closes', async () => {
    const t = terminal();
    // A shell that starts a child: both must go (the task runs in its own process group).
    const run = new ProfiledRun({
      definition: def(
        `${node("setInterval(() => {}, 1000); console.log('child ' + process.pid)")}; echo after`,
      ),
      cwd: process.cwd(),
      profilerUrl: async () => 'ws://127.0.0.1:1?token=x',
    });
    await run.open(t.sink);
    await t.waitFor(/child \d+/);
    const child = Number(/child (\d+)/.exec(t.text())![1]);
    run.stop();
    await t.closed;
    // The group's SIGTERM is delivered asynchronously; wait for the child to be gone.
    await until(() => !running(child), 5_000, `child ${child} to exit`);
    assert.equal(running(child), false, 'the child is gone');
    assert.doesNotMatch(t.text(), /(^|\n)after\r/, 'the shell did not go on');
  });

  it('converts line ends for the terminal and hides the token', () => {
    assert.equal(toTerminalText('a\nb\r\nc'), 'a\r\nb\r\nc');
    assert.equal(redactToken('ws://127.0.0.1:5?token=s3cret&x=1'), 'ws://127.0.0.1:5?token=…&x=1');
  });
});
