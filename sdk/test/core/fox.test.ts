import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  FoxConfigError,
  FoxDuplicateTaskError,
  FoxShutdownError,
  FoxValidationError,
  StatsSnapshotSchema,
  fox,
  hasFoxCode,
  isFoxError,
} from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

describe('fox(options, fn)', () => {
  afterEach(() => runtime().reset());

  it('returns a function with the same parameters that always returns a promise', async () => {
    const add = fox({ mode: 'sfox' }, function add(a: number, b: number) {
      return a + b;
    });
    const p = add(2, 3);
    assert.ok(p instanceof Promise);
    assert.equal(await p, 5);
    assert.equal(add.name, 'add');
    assert.equal(add.length, 2);
  });

  it('passes `this` through', async () => {
    const obj = {
      factor: 3,
      times: fox({ id: 'test#times' }, async function (this: { factor: number }, x: number) {
        return this.factor * x;
      }),
    };
    assert.equal(await obj.times(4), 12);
  });

  it('turns a synchronous throw into a rejection and counts it by code', async () => {
    const boom = fox({ id: 'test#boom' }, () => {
      throw Object.assign(new Error('nope'), { code: 'E_NOPE' });
    });
    await assert.rejects(boom(), /nope/);
    const stats = fox.stats().tasks.find((t) => t.id === 'test#boom')!;
    assert.equal(stats.calls, 1);
    assert.equal(stats.errors, 1);
    assert.deepEqual(stats.errorsByCode, { E_NOPE: 1 });
  });

  it('derives the task id from the file and the binding name', () => {
    const parseThing = fox({}, async (s: string) => s.trim());
    void parseThing;
    const ids = fox.tasks().map((t) => t.id);
    assert.deepEqual(ids, ['test/core/fox.test.ts#parseThing']);
    const info = fox.tasks()[0]!;
    assert.equal(info.mode, 'sfox');
    assert.equal(info.current, 'sfox');
    assert.ok(info.location!.file.endsWith('fox.test.ts'));
    assert.ok(info.location!.line > 1);
  });

  it('uses the id option when given', () => {
    fox({ id: 'orders#place' }, async () => 1);
    assert.deepEqual(
      fox.tasks().map((t) => t.id),
      ['orders#place'],
    );
  });

  it('rejects a duplicate id from another definition, naming both places', () => {
    fox({ id: 'dup#one' }, async () => 1);
    assert.throws(
      () => fox({ id: 'dup#one' }, async () => 2),
      (err: unknown) => {
        assert.ok(err instanceof FoxDuplicateTaskError);
        assert.equal(err.code, 'FOX_DUPLICATE_TASK');
        assert.match(err.locations[0], /fox\.test\.ts:\d+:\d+/);
        assert.match(err.locations[1], /fox\.test\.ts:\d+:\d+/);
        assert.notEqual(err.locations[0], err.locations[1]);
        return true;
      },
    );
  });

  describe('option validation at decoration', () => {
    const cases: [string, unknown, string[]][] = [
      ['unknown mode', { mode: 'xfox' }, ['mode']],
      ['unknown option', { retires: 3 }, ['retires']],
      [
        'bad limiter value',
        { mode: 'wfox', limiter: { algorithm: 'magic' } },
        ['limiter', 'algorithm'],
      ],
      ['limiter without wfox', { mode: 'sfox', limiter: { algorithm: 'fixed' } }, ['limiter']],
      ['empty id', { id: '' }, ['id']],
      ['input that is not a schema', { input: 42 }, ['input']],
      ['lane outside mfox', { mode: 'tfox', lane: 'fs' }, ['lane']],
      ['module outside tfox', { mode: 'mfox', module: 'file:///x.js' }, ['module']],
    ];
    for (const [name, options, path] of cases) {
      it(`throws FoxConfigError for ${name}`, () => {
        let calls = 0;
        assert.throws(
          () => fox(options as never, async () => calls++),
          (err: unknown) => {
            assert.ok(err instanceof FoxConfigError, String(err));
            assert.equal(err.code, 'FOX_CONFIG');
            assert.deepEqual(err.path, path);
            assert.ok(err.message.includes(path.join('.')), err.message);
            return true;
          },
        );
        assert.equal(calls, 0);
        assert.equal(fox.tasks().length, 0, 'nothing registered');
      });
    }

    it('says clearly which mode an option belongs to', () => {
      assert.throws(
        () => fox({ mode: 'sfox', lane: 'net' }, async () => 1),
        /only applies to mode 'mfox'/,
      );
    });

    it('validates the decorator options when the decorator is created', () => {
      assert.throws(() => fox({ mode: 'nope' } as never), FoxConfigError);
    });
  });

  describe('input and output schemas', () => {
    const Order = z.object({ id: z.string(), qty: z.number().int().positive() });

    it('rejects bad input with FoxValidationError and does not call the function', async () => {
      let called = 0;
      const place = fox({ id: 'orders#place', input: Order }, async (o: z.infer<typeof Order>) => {
        called++;
        return o.id;
      });
      const err = await place({ id: 'a', qty: -1 }).then(
        () => assert.fail('should reject'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof FoxValidationError);
      assert.ok(isFoxError(err) && hasFoxCode(err, 'FOX_VALIDATION'));
      assert.equal(err.taskId, 'orders#place');
      assert.equal(err.direction, 'input');
      assert.deepEqual(err.issues[0]!.path, [0, 'qty']);
      assert.match(err.message, /orders#place/);
      assert.match(err.message, /\[0\]\.qty/);
      assert.equal(called, 0);
      assert.equal(await place({ id: 'b', qty: 2 }), 'b');
      const stats = fox.stats().tasks[0]!;
      assert.equal(stats.calls, 2);
      assert.equal(stats.errorsByCode.FOX_VALIDATION, 1);
    });

    it('checks each argument against its own schema and applies transforms', async () => {
      const scale = fox(
        { id: 'math#scale', input: [z.coerce.number(), z.number().default(2)] },
        async (x: number | string, factor?: number) => (x as number) * factor!,
      );
      assert.equal(await scale('21'), 42);
      await assert.rejects(scale('x', 1), (e: unknown) => {
        assert.ok(e instanceof FoxValidationError);
        assert.deepEqual(e.issues[0]!.path, [0]);
        return true;
      });
    });

    it('rejects a bad result with FoxValidationError(output)', async () => {
      const get = fox({ id: 'orders#get', output: Order }, async () => ({ id: 1 }));
      await assert.rejects(get(), (e: unknown) => {
        assert.ok(e instanceof FoxValidationError);
        assert.equal(e.direction, 'output');
        return true;
      });
    });

    it('accepts any Standard Schema validator', async () => {
      const evenOnly = {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (v: unknown) =>
            typeof v === 'number' && v % 2 === 0
              ? { value: v }
              : { issues: [{ message: 'must be even', path: [] }] },
        },
      };
      const half = fox({ id: 'math#half', input: evenOnly }, async (n: number) => n / 2);
      assert.equal(await half(8), 4);
      await assert.rejects(half(3), /must be even/);
    });
  });

  describe('telemetry', () => {
    it('returns a stats snapshot that matches the wire schema', async () => {
      const ok = fox({ id: 't#ok' }, async (ms: number) => new Promise((r) => setTimeout(r, ms)));
      await Promise.all([ok(1), ok(2), ok(5)]);
      const snap = fox.stats();
      StatsSnapshotSchema.parse(snap);
      const t = snap.tasks[0]!;
      assert.equal(t.calls, 3);
      assert.equal(t.successes, 3);
      assert.equal(t.inFlight, 0);
      assert.equal(t.latency.count, 3);
      assert.ok(t.latency.p50 >= 0.5 && t.latency.max >= 4, JSON.stringify(t.latency));
      assert.equal(t.limit, null);
      assert.equal(snap.process.pid, process.pid);
    });

    it('reports event-loop delay from the first snapshot on', async () => {
      fox({ id: 't#any' }, async () => 1);
      fox.stats(); // the delay monitor starts with the first read
      await new Promise((r) => setTimeout(r, 25));
      const until = performance.now() + 60;
      while (performance.now() < until); // hold the loop: the monitor's 10 ms timer runs late
      await new Promise((r) => setTimeout(r, 30));
      const delay = fox.stats().process.eventLoopDelay;
      assert.ok(delay !== null && delay.max >= 30, JSON.stringify(delay));
    });

    it('counts in-flight calls while they run', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const wait = fox({ id: 't#wait' }, async () => gate);
      const p = Promise.all([wait(), wait()]);
      assert.equal(fox.stats().tasks[0]!.inFlight, 2);
      release();
      await p;
      assert.equal(fox.stats().tasks[0]!.inFlight, 0);
    });
  });

  describe('call context', () => {
    it('knows its parent for calls made before the first await', async () => {
      const seen: (string | undefined)[] = [];
      const child = fox({ id: 'ctx#child' }, async () => {
        seen.push(fox.context()?.parent?.taskId);
      });
      const parent = fox({ id: 'ctx#parent' }, async () => {
        await child();
      });
      await parent();
      assert.deepEqual(seen, ['ctx#parent']);
      assert.equal(fox.context(), undefined);
    });

    it('knows its parent across awaits with asyncContext', async () => {
      fox.configure({ asyncContext: true });
      const runIds: string[] = [];
      const child = fox({ id: 'ctx#child2' }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        const ctx = fox.context()!;
        runIds.push(ctx.parent!.runId, ctx.runId);
        return ctx.parent!.taskId;
      });
      const parent = fox({ id: 'ctx#parent2' }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        runIds.push(fox.context()!.runId);
        return child();
      });
      assert.equal(await parent(), 'ctx#parent2');
      assert.match(runIds[0]!, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'run ids are ULIDs');
      assert.equal(runIds[1], runIds[0], 'child sees the same parent run');
      assert.notEqual(runIds[2], runIds[0]);
    });

    it('gives the call a signal that follows the caller signal', async () => {
      const controller = new AbortController();
      let seen: AbortSignal | undefined;
      const task = fox(
        { id: 'ctx#signal', timeout: 10_000 },
        async (opts: { signal: AbortSignal }) => {
          seen = fox.context()!.signal;
          return opts;
        },
      );
      const p = task({ signal: controller.signal });
      controller.abort(new Error('stop'));
      await p.catch(() => undefined);
      assert.ok(seen?.aborted);
    });
  });

  describe('configure and shutdown', () => {
    it('rejects unknown or invalid settings with the setting name', () => {
      assert.throws(
        () => fox.configure({ stor: true } as never),
        (e: unknown) => {
          assert.ok(e instanceof FoxConfigError);
          assert.deepEqual(e.path, ['stor']);
          return true;
        },
      );
      assert.throws(() => fox.configure({ flushIntervalMs: 1 }), /flushIntervalMs/);
    });

    it('refuses new calls after shutdown', async () => {
      const f = fox({ id: 'sd#f' }, async () => 1);
      await fox.shutdown();
      await assert.rejects(f(), FoxShutdownError);
    });
  });
});
