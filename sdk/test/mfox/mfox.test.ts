import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { fox, FoxRejectedError } from '@fox/sdk';
import { Lane } from '../../src/modes/mfox/lane.js';
import { runtime } from '../../src/runtime/runtime.js';

const run = promisify(execFile);

describe('mfox: I/O lanes', function () {
  this.timeout(60_000);
  afterEach(() => runtime().reset());

  it('property: in-flight per lane never exceeds its limit, and every op settles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        async (s, limit, fails) => {
          const lane = new Lane('p', limit, 1_000);
          let inFlight = 0;
          let peak = 0;
          const ops = fails.map((fail, i) =>
            lane.run(async () => {
              inFlight++;
              peak = Math.max(peak, inFlight);
              assert.ok(lane.inFlight <= limit);
              try {
                await s.schedule(Promise.resolve(i));
                if (fail) throw new Error('x');
                return i;
              } finally {
                inFlight--;
              }
            }),
          );
          const all = Promise.allSettled(ops);
          while (lane.inFlight > 0 || lane.queued > 0) {
            if (s.count() > 0) await s.waitOne();
            else await new Promise((r) => setImmediate(r));
          }
          const settled = await all;
          assert.ok(peak <= limit, `peak ${peak} > limit ${limit}`);
          assert.equal(settled.length, fails.length);
          assert.equal(lane.inFlight, 0);
          assert.equal(lane.queued, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bounds an mfox task by its lane, shares the lane across tasks, reports gauges', async () => {
    fox.configure({ lanes: { disk: { limit: 3 } } });
    let inFlight = 0;
    let peak = 0;
    // Calls wait for the test to let them go, so the queue is read before any can finish
    // (a fixed sleep raced the reading on a loaded machine).
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const body = async (): Promise<void> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await gate;
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    };
    const a = fox({ mode: 'mfox', lane: 'disk', id: 'a' }, body);
    const b = fox({ mode: 'mfox', lane: 'disk', id: 'b' }, body);
    const calls = [
      ...Array.from({ length: 20 }, () => a()),
      ...Array.from({ length: 20 }, () => b()),
    ];
    await new Promise((r) => setImmediate(r));
    const stats = fox.stats().tasks.find((t) => t.id === 'a')!;
    assert.equal(stats.current, 'mfox');
    assert.equal(stats.limit, 3);
    assert.equal(stats.queued, 37);
    open();
    await Promise.all(calls);
    assert.equal(peak, 3);
    const lane = fox.io.lanes().find((l) => l.name === 'disk')!;
    assert.equal(lane.completed, 40);
    assert.equal(lane.peakInFlight, 3);
  });

  it('removes a queued call on abort with signal.reason; settles an aborted one at once', async () => {
    fox.configure({ lanes: { one: { limit: 1 } } });
    let release!: () => void;
    const slow = fox(
      { mode: 'mfox', lane: 'one', id: 'slow' },
      (_s?: AbortSignal) => new Promise<void>((r) => (release = r)),
    );
    const first = slow();
    const ac = new AbortController();
    const queued = slow(ac.signal);
    ac.abort('nope');
    await assert.rejects(queued, (e: unknown) => e === 'nope');
    const pre = new AbortController();
    pre.abort('early');
    await assert.rejects(slow(pre.signal), (e: unknown) => e === 'early');
    release();
    await first;
  });

  it('refuses work beyond the queue bound, and ready() lets producers wait instead', async () => {
    const lane = new Lane('q', 1, 2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ops = [lane.run(() => gate), lane.run(() => gate), lane.run(() => gate)];
    await assert.rejects(
      lane.run(() => gate),
      FoxRejectedError,
    );
    let ready = false;
    const waiting = lane.ready().then(() => (ready = true));
    assert.equal(ready, false);
    release();
    await Promise.all(ops);
    await waiting;
    assert.equal(ready, true);
  });

  describe('fox.io', () => {
    let server: Server;
    let base: string;
    let connections = 0;
    before(async () => {
      server = createServer((req, res) => {
        setTimeout(() => res.end(req.url), 2);
      });
      server.on('connection', () => connections++);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('fetches in the origin lane over a bounded set of keep-alive connections', async () => {
      fox.configure({ lanes: { originDefault: { limit: 4 } } });
      connections = 0;
      const bodies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => fox.io.fetch(`${base}/${i}`).then((r) => r.text())),
      );
      assert.equal(bodies[42], '/42');
      assert.ok(connections <= 4, `opened ${connections} connections`);
      const lane = fox.io.lanes().find((l) => l.name === `origin:${base}`)!;
      assert.equal(lane.peakInFlight, 4);
    });

    it('fetch follows the signal: an aborted request rejects with its reason', async () => {
      const ac = new AbortController();
      ac.abort(new Error('cancelled'));
      await assert.rejects(fox.io.fetch(`${base}/x`, { signal: ac.signal }), /cancelled/);
    });

    it('streams, hashes and reads lines of a file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fox-io-'));
      try {
        const file = join(dir, 'f.txt');
        const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
        writeFileSync(file, text);
        assert.equal(await fox.io.hashFile(file), createHash('sha256').update(text).digest('hex'));
        let n = 0;
        for await (const line of fox.io.lines(file)) if (line.startsWith('line')) n++;
        assert.equal(n, 5000);
        let bytes = 0;
        for await (const c of fox.io.chunks(file, { highWaterMark: 1024 })) bytes += c.length;
        assert.equal(bytes, Buffer.byteLength(text));
        assert.equal(await fox.io.readFile(file, 'utf8'), text);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('never hits EMFILE reading more files than the descriptor limit allows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fox-emfile-'));
    try {
      const n = 3000;
      for (let i = 0; i < n; i++) writeFileSync(join(dir, `${i}.txt`), `file ${i}`);
      const script = (naive: boolean) => `
        import { readFile } from 'node:fs/promises';
        import { fox } from '@fox/sdk';
        const paths = Array.from({ length: ${n} }, (_, i) => ${JSON.stringify(dir)} + '/' + i + '.txt');
        try {
          const out = ${naive ? 'await Promise.all(paths.map((p) => readFile(p)))' : 'await fox.io.readFiles(paths)'};
          console.log('ok ' + out.length + ' ' + out[7].toString());
        } catch (e) { console.log('error ' + e.code); }
        await fox.shutdown();`;
      const go = async (naive: boolean) => {
        const { stdout } = await run(
          'bash',
          [
            '-c',
            `ulimit -n 256 && exec "${process.execPath}" --import tsx --conditions=source --input-type=module -e "$0"`,
            script(naive),
          ],
          { cwd: process.cwd() },
        );
        return stdout.trim();
      };
      assert.equal(await go(true), 'error EMFILE', 'the naive way does hit the limit here');
      assert.equal(await go(false), `ok ${n} file 7`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
