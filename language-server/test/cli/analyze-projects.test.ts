import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { analyzeMain } from '../../src/index.js';
import { captureIo, tempProject, untimedFetch } from './temp-project.js';

const OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
};
const json = (v: unknown): string => JSON.stringify(v, null, 2);

interface Report {
  findings: { rule: string; file: string; line: number }[];
}

describe('fox analyze: which files', function () {
  this.timeout(60_000);

  describe('a solution-style tsconfig (only references)', () => {
    const project = tempProject({
      'package.json': '{ "name": "mono", "type": "module" }',
      'tsconfig.json': json({ files: [], references: [{ path: './a' }, { path: './b' }] }),
      // b references a as well: a diamond, a is still loaded once.
      'a/tsconfig.json': json({ compilerOptions: OPTIONS, include: ['src', '../shared'] }),
      'b/tsconfig.json': json({
        compilerOptions: OPTIONS,
        include: ['src', '../shared'],
        references: [{ path: '../a' }],
      }),
      'a/src/a.ts': untimedFetch('pingA'),
      'b/src/b.ts': untimedFetch('pingB'),
      'shared/util.ts': untimedFetch('pingShared'),
    });
    after(() => project.remove());

    it('analyses every referenced project, each shared file once, and says so', async () => {
      const io = captureIo();
      assert.equal(await analyzeMain([project.dir, '--fail-on', 'warning'], io), 1);
      const findings = io.out.split('\n').filter((l) => / FOX002 /.test(l));
      assert.deepEqual(findings.map((l) => l.split(':')[0]).sort(), [
        'a/src/a.ts',
        'b/src/b.ts',
        'shared/util.ts',
      ]);
      assert.match(
        io.out,
        /analysed 2 projects from tsconfig\.json: a\/tsconfig\.json, b\/tsconfig\.json\n/,
      );
      assert.match(io.out, /\n3 files, 3 functions /);
    });

    it('JSON lists each finding once', async () => {
      const io = captureIo();
      await analyzeMain([project.dir, '--format', 'json'], io);
      const report = JSON.parse(io.out) as Report;
      assert.deepEqual(report.findings.map((f) => f.file).sort(), [
        'a/src/a.ts',
        'b/src/b.ts',
        'shared/util.ts',
      ]);
    });
  });

  it('a tsconfig that yields no files exits 2 and says why', async () => {
    const project = tempProject({
      'tsconfig.json': json({ files: [], references: [{ path: './empty' }] }),
      'empty/tsconfig.json': json({ compilerOptions: OPTIONS, include: ['src'] }),
      'src/stray.ts': untimedFetch('stray'),
    });
    try {
      const io = captureIo();
      assert.equal(await analyzeMain([project.dir], io), 2);
      assert.match(io.err, /tsconfig\.json \(with its references\) yields no TypeScript files/);
      assert.equal(io.out, '');
    } finally {
      project.remove();
    }
  });

  it('a --tsconfig that does not exist exits 2, naming it', async () => {
    const project = tempProject({ 'src/a.ts': untimedFetch('ping') });
    try {
      const io = captureIo();
      const missing = join(project.dir, 'tsconfig.build.json');
      assert.equal(await analyzeMain([project.dir, '--tsconfig', missing], io), 2);
      assert.equal(io.err, `fox analyze: ${missing}: does not exist\n`);
      assert.equal(io.out, '');
    } finally {
      project.remove();
    }
  });

  it('a reference to a missing project exits 2, naming both files', async () => {
    const project = tempProject({
      'tsconfig.json': json({ files: [], references: [{ path: './gone' }] }),
    });
    try {
      const io = captureIo();
      assert.equal(await analyzeMain([project.dir], io), 2);
      assert.match(
        io.err,
        /gone\/tsconfig\.json: referenced from .*tsconfig\.json, does not exist/,
      );
    } finally {
      project.remove();
    }
  });

  describe('a folder without a tsconfig', () => {
    const project = tempProject({
      'package.json': '{ "name": "plain", "type": "module" }',
      '.gitignore': '# build output\n/generated/\n*.gen.ts\n',
      'src/a.ts': untimedFetch('ping'),
      'src/b.gen.ts': untimedFetch('generatedPing'),
      'generated/g.ts': untimedFetch('generated'),
      'node_modules/dep/index.ts': untimedFetch('dependency'),
      'node_modules/dep/nested/deep.ts': untimedFetch('deep'),
    });
    after(() => project.remove());

    it('analyses neither node_modules nor .gitignored files', async () => {
      const io = captureIo();
      assert.equal(await analyzeMain([project.dir, '--format', 'json'], io), 0);
      const report = JSON.parse(io.out) as Report;
      assert.deepEqual(
        report.findings.map((f) => f.file),
        ['src/a.ts'],
      );
      const text = captureIo();
      await analyzeMain([project.dir], text);
      assert.match(text.out, /analysed the folder \(no tsconfig\.json\)\n1 files, 1 functions /);
    });

    it('an empty folder exits 2 instead of reporting a clean run', async () => {
      const empty = tempProject({ 'node_modules/dep/index.ts': untimedFetch('dependency') });
      try {
        const io = captureIo();
        assert.equal(await analyzeMain([empty.dir], io), 2);
        assert.match(io.err, /no TypeScript files under /);
      } finally {
        empty.remove();
      }
    });
  });
});
