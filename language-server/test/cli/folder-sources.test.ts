import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, type Dirent } from 'node:fs';
import { relative } from 'node:path';
import { listFolderSources } from '../../src/analysis/folder-sources.js';
import { parseGitignore } from '../../src/analysis/gitignore.js';
import { tempProject } from './temp-project.js';

const FILES = {
  '.gitignore': 'generated/\n*.gen.ts\n!keep.gen.ts\n/out\ndocs/**/*.ts\n',
  'src/a.ts': '',
  'src/a.gen.ts': '',
  'src/keep.gen.ts': '',
  'src/types.d.ts': '',
  'src/deep/generated/x.ts': '',
  'src/out/kept.ts': '',
  'generated/g.ts': '',
  'out/o.ts': '',
  'docs/api/sample.ts': '',
  'node_modules/dep/index.ts': '',
  'node_modules/dep/lib/deep.ts': '',
  'dist/index.ts': '',
};
const EXPECTED = ['src/a.ts', 'src/keep.gen.ts', 'src/out/kept.ts'];

describe('fox analyze: the folder walk without a tsconfig', function () {
  this.timeout(30_000);
  const project = tempProject(FILES);
  after(() => project.remove());
  const rel = (files: string[]): string[] =>
    files.map((f) => relative(project.dir, f).split('\\').join('/')).sort();

  it('honours .gitignore and reads no folder it skips', () => {
    const read: string[] = [];
    const readDir = (path: string): Dirent[] => {
      read.push(relative(project.dir, path).split('\\').join('/'));
      return readdirSync(path, { withFileTypes: true });
    };
    const files = listFolderSources(project.dir, { readDir, useGit: false });
    assert.deepEqual(rel(files), EXPECTED);
    // Pruned before descending: node_modules, dist and the ignored folders are never listed.
    assert.deepEqual(read.sort(), ['', 'docs', 'docs/api', 'src', 'src/deep', 'src/out']);
  });

  it('in a git work tree asks git, which applies every .gitignore', function () {
    if (spawnSync('git', ['--version']).status !== 0) this.skip();
    const git = (...args: string[]) =>
      spawnSync('git', ['-C', project.dir, ...args], { encoding: 'utf8' });
    assert.equal(git('init', '-q').status, 0);
    const read: string[] = [];
    const files = listFolderSources(project.dir, {
      readDir: (p) => {
        read.push(p);
        return readdirSync(p, { withFileTypes: true });
      },
    });
    assert.deepEqual(rel(files), EXPECTED);
    assert.deepEqual(read, [], 'git listed the files; no walk');
  });

  it('matches gitignore patterns as git does', () => {
    const ignored = parseGitignore('build/\n/root-only.ts\nlogs/*.ts\n**/tmp\n*.log\n!keep.log');
    assert.equal(ignored('build', true), true);
    assert.equal(ignored('a/build', true), true, 'a pattern without / matches at any depth');
    assert.equal(ignored('build', false), false, 'a trailing / matches folders only');
    assert.equal(ignored('root-only.ts', false), true);
    assert.equal(ignored('a/root-only.ts', false), false, 'a leading / anchors to the root');
    assert.equal(ignored('logs/x.ts', false), true);
    assert.equal(ignored('logs/a/x.ts', false), false, '* does not cross /');
    assert.equal(ignored('x/y/tmp', true), true);
    assert.equal(ignored('a/old.log', false), true);
    assert.equal(ignored('a/keep.log', false), false, 'a later ! re-includes');
  });
});
