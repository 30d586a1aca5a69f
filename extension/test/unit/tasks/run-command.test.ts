import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultRunCommand, folderRelative, shellWord } from '../../../src/tasks/run-command.js';

const pkg = (fields: Record<string, unknown>) => JSON.stringify({ name: 'app', ...fields });

describe('"Run with Profiler…" default command', () => {
  it("runs the package's start script, whatever file is open", () => {
    assert.equal(
      defaultRunCommand({
        packageJson: pkg({ scripts: { start: 'tsx src/main.ts', test: 'mocha' } }),
        activeFile: 'src/report.ts',
      }),
      'npm start',
    );
  });

  it('runs a TypeScript entry through tsx, never `node file.ts`', () => {
    assert.equal(
      defaultRunCommand({ packageJson: pkg({ main: 'src/main.ts' }) }),
      'npx tsx src/main.ts',
    );
    // No start script and no main: the active file, by its kind.
    assert.equal(
      defaultRunCommand({ packageJson: pkg({}), activeFile: 'src/report.mts' }),
      'npx tsx src/report.mts',
    );
    assert.equal(defaultRunCommand({ activeFile: 'src/app.mjs' }), 'node src/app.mjs');
    assert.equal(
      defaultRunCommand({ packageJson: pkg({ main: 'dist/index.js' }), activeFile: 'src/a.ts' }),
      'node dist/index.js',
    );
  });

  it('falls back to npm start when nothing says what to run', () => {
    assert.equal(defaultRunCommand({}), 'npm start');
    assert.equal(
      defaultRunCommand({ packageJson: 'not json', activeFile: 'README.md' }),
      'npm start',
    );
  });

  it("offers the workspace's last choice first", () => {
    assert.equal(
      defaultRunCommand({
        remembered: 'npm run dev -- --port 3001',
        packageJson: pkg({ scripts: { start: 'node .' } }),
      }),
      'npm run dev -- --port 3001',
    );
    assert.equal(defaultRunCommand({ remembered: '  ', activeFile: 'a.js' }), 'node a.js');
  });

  it('quotes paths only when a shell needs it, relative to the folder when inside it', () => {
    assert.equal(shellWord('src/main.ts'), 'src/main.ts');
    assert.equal(shellWord('my app/main.ts'), '"my app/main.ts"');
    const root = join('/', 'w', 'proj');
    assert.equal(folderRelative(root, join(root, 'src', 'main.ts')), 'src/main.ts');
    assert.equal(
      folderRelative(root, join('/', 'elsewhere', 'x.ts')),
      join('/', 'elsewhere', 'x.ts'),
    );
    assert.equal(folderRelative(undefined, '/x/y.ts'), '/x/y.ts');
  });
});
