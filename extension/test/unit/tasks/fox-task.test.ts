import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  foxTaskCwd,
  foxTaskEnv,
  foxTaskName,
  isFoxTaskDefinitionError,
  parseFoxTaskDefinition,
  scriptTaskDefinitions,
} from '../../../src/tasks/fox-task.js';

describe('fox tasks', () => {
  describe('parseFoxTaskDefinition', () => {
    it('accepts a tasks.json entry, ignoring what VS Code adds', () => {
      assert.deepEqual(
        parseFoxTaskDefinition({
          type: 'fox',
          label: 'app',
          command: 'node src/app.mjs',
          cwd: 'packages/api',
          env: { PORT: '3000' },
          problemMatcher: [],
        }),
        { type: 'fox', command: 'node src/app.mjs', cwd: 'packages/api', env: { PORT: '3000' } },
      );
    });

    it('names the property at fault', () => {
      const cases: [unknown, string][] = [
        [null, '(definition)'],
        [{ type: 'shell', command: 'x' }, 'type'],
        [{ type: 'fox' }, 'command'],
        [{ type: 'fox', command: '  ' }, 'command'],
        [{ type: 'fox', command: 'x', cwd: 3 }, 'cwd'],
        [{ type: 'fox', command: 'x', env: ['A=1'] }, 'env'],
        [{ type: 'fox', command: 'x', env: { PORT: 3000 } }, 'env.PORT'],
      ];
      for (const [input, property] of cases) {
        assert.throws(
          () => parseFoxTaskDefinition(input),
          (err: unknown) =>
            isFoxTaskDefinitionError(err) &&
            err.code === 'FOX_TASK_DEFINITION' &&
            err.property === property,
          JSON.stringify(input),
        );
      }
    });
  });

  it('offers each npm script of a package.json, in order', () => {
    const defs = scriptTaskDefinitions(
      JSON.stringify({ scripts: { start: 'node .', 'test:e2e': 'mocha', bad: 1, 'a b': 'x' } }),
    );
    assert.deepEqual(
      defs.map((d) => d.command),
      ['npm run start', 'npm run test:e2e'],
    );
    assert.deepEqual(defs.map(foxTaskName), ['npm run start', 'npm run test:e2e']);
    assert.deepEqual(scriptTaskDefinitions('{ not json'), []);
    assert.deepEqual(scriptTaskDefinitions('{"name":"x"}'), []);
  });

  it('runs in the folder, or in cwd resolved against it', () => {
    const d = { type: 'fox' as const, command: 'x' };
    assert.equal(foxTaskCwd(d, '/w'), '/w');
    assert.equal(foxTaskCwd({ ...d, cwd: 'api' }, '/w'), join('/w', 'api'));
    assert.equal(foxTaskCwd({ ...d, cwd: '/srv' }, '/w'), '/srv');
  });

  it("sets FOX_PROFILER unless the task's env names its own", () => {
    const d = { type: 'fox' as const, command: 'x', env: { PORT: '1' } };
    const url = 'ws://127.0.0.1:9?token=t';
    const base = { PATH: '/bin', FOX_PROFILER: 'ws://stale', GONE: undefined };
    assert.deepEqual(foxTaskEnv(base, d, url), { PATH: '/bin', FOX_PROFILER: url, PORT: '1' });
    assert.equal(
      foxTaskEnv(base, { ...d, env: { FOX_PROFILER: 'ws://mine' } }, url).FOX_PROFILER,
      'ws://mine',
    );
    assert.equal(foxTaskEnv({}, d, undefined).FOX_PROFILER, undefined, 'no profiler running');
  });
});
