import { strict as assert } from 'node:assert';
import { pathToFileURL } from 'node:url';
import { FoxAnalyzer, type FunctionReport } from '../../src/index.js';
import { MAX_CALL_DEPTH } from '../../src/analysis/call-graph/index.js';
import { DocumentAnalysis } from '../../src/server/document-analysis.js';

/** Interprocedural analysis: callees' work reaches callers through the project call graph. */

const PKG = { '/p/package.json': '{ "name": "p", "type": "module" }' };

/** A pure CPU hot spot: nested numeric loops over its input. */
const BLUR = `
export function blurRows(px: number[], w: number): number[] {
  const out = new Array<number>(px.length);
  for (let y = 0; y < px.length / w; y++) {
    for (let x = 0; x < w; x++) {
      out[y * w + x] = (px[y * w + x - 1]! + px[y * w + x]! * 2 + px[y * w + x + 1]!) / 4;
    }
  }
  return out;
}
`;

function fn(functions: FunctionReport[], name: string): FunctionReport {
  const f = functions.find((x) => x.name === name);
  assert.ok(f, `no function ${name} in ${functions.map((x) => x.name).join(', ')}`);
  return f;
}

const reasons = (f: FunctionReport): string[] => f.evidence.map((e) => e.reason);

describe('call graph: callees’ work reaches callers', () => {
  it('a caller of a CPU-heavy function in another file is CPU-heavy, with the path', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/image.ts': `${BLUR}\nexport function resize(px: number[], w: number) { return blurRows(px, w); }\n`,
      '/p/src/report.ts': `import { resize } from './image.js';
export function buildReport(px: number[]) {
  const scaled = resize(px, 4);
  return scaled.length;
}
`,
    });
    const r = a.analyzeFile('/p/src/report.ts');
    const f = fn(r.functions, 'buildReport');
    assert.equal(f.kind, 'cpu');
    assert.equal(f.recommendedMode, 'tfox');
    const e = f.evidence.find((x) => x.via);
    assert.ok(e, reasons(f).join('; '));
    assert.equal(e.reason, 'buildReport → resize → blurRows: nested loops over input');
    assert.deepEqual(e.via, ['resize', 'blurRows']);
    assert.equal(e.line, 3, 'evidence points at the call in the caller');
    assert.deepEqual(r.dependencies, ['/p/src/image.ts']);
  });

  it('a caller of a CPU-heavy function in the same file, through a class method', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/images.ts': `${BLUR}
export class Thumbnailer {
  make(px: number[]) { return this.blur(px); }
  private blur(px: number[]) { return blurRows(px, 8); }
}
`,
    });
    const r = a.analyzeFile('/p/src/images.ts');
    const make = fn(r.functions, 'Thumbnailer.make');
    assert.equal(make.kind, 'cpu');
    assert.ok(
      reasons(make).includes(
        'Thumbnailer.make → Thumbnailer.blur → blurRows: nested loops over input',
      ),
      reasons(make).join('; '),
    );
    // The heavy function itself is where FOX001 points (the fix goes there), not every caller.
    const fox001 = r.findings.filter((x) => x.rule === 'FOX001').map((x) => x.functionId);
    assert.deepEqual(fox001, ['src/images.ts#blurRows']);
  });

  it('a call in a loop makes the callee’s work the caller’s: FOX001 at the caller', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/batch.ts': `import { blurRows } from './blur.js';
export function blurAll(images: number[][]) {
  return images.map((img) => blurRows(img, 4));
}
`,
      '/p/src/blur.ts': BLUR,
    });
    const r = a.analyzeFile('/p/src/batch.ts');
    const finding = r.findings.find((x) => x.rule === 'FOX001');
    assert.ok(finding, 'FOX001 at blurAll');
    assert.equal(finding.functionId, 'src/batch.ts#blurAll');
    assert.match(
      finding.message,
      /blurAll → blurRows: nested loops over input \(called in a loop\)/,
    );
  });

  it('reports a bcrypt-like compareSync loop in a promise-returning (mixed) function', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/login.ts': `import bcrypt from 'bcrypt';
export function login(pw: string) {
  return fetch('/users').then((r) => r.json()).then((users: { hash: string }[]) =>
    users.find((u) => bcrypt.compareSync(pw, u.hash)),
  );
}
`,
    });
    const r = a.analyzeFile('/p/src/login.ts');
    assert.equal(fn(r.functions, 'login').kind, 'mixed');
    const finding = r.findings.find((x) => x.rule === 'FOX001');
    assert.ok(finding, 'FOX001 on compareSync');
    assert.equal(finding.line, 4);
    assert.match(finding.message, /inside 'login', which also waits on I\/O,/);
    assert.equal(finding.confidence, 'certain');
  });

  it('reports compareSync reached through a sync helper at the async handler, with the path', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/auth.ts': `import bcrypt from 'bcrypt';
export function matches(pw: string, hash: string): boolean {
  return bcrypt.compareSync(pw, hash);
}
`,
      '/p/src/handler.ts': `import { matches } from './auth.js';
export async function handleLogin(req: { pw: string; ids: string[] }) {
  const users = await fetch('/users').then((r) => r.json() as Promise<{ hash: string }[]>);
  for (const u of users) {
    if (matches(req.pw, u.hash)) return u;
  }
  return undefined;
}
`,
    });
    const r = a.analyzeFile('/p/src/handler.ts');
    const finding = r.findings.find((x) => x.rule === 'FOX001');
    assert.ok(finding, 'FOX001 at the call of matches');
    assert.equal(finding.line, 5);
    assert.match(finding.message, /handleLogin → matches: synchronous password check/);
    assert.match(finding.message, /inside async 'handleLogin'/);
    assert.equal(finding.confidence, 'certain');
  });

  it('reports a readFileSync helper called per email from an async function at the caller', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/mail.ts': `import { readFileSync } from 'node:fs';
function loadTemplate(name: string): string {
  return readFileSync('/templates/' + name, 'utf8');
}
function render(name: string, to: string): string {
  return loadTemplate(name).replace('{{to}}', to);
}
export async function sendAll(to: string[], send: (body: string) => Promise<void>) {
  for (const t of to) {
    await send(render('welcome.html', t));
  }
}
export async function sendMaybe(to: string, flag: boolean, send: (b: string) => Promise<void>) {
  if (flag) await send(render('x.html', to));
}
`,
    });
    const r = a.analyzeFile('/p/src/mail.ts');
    const found = r.findings.filter((x) => x.rule === 'FOX001');
    assert.deepEqual(
      found.map((x) => [x.line, x.confidence]),
      [
        [10, 'certain'],
        [14, 'likely'],
      ],
      found.map((x) => x.message).join('\n'),
    );
    assert.match(
      found[0]!.message,
      /sendAll → render → loadTemplate: blocking I\/O \(readFileSync\)/,
    );
    // The sync helpers themselves are I/O (blocking) now, not light.
    assert.equal(fn(r.functions, 'render').kind, 'io');
  });

  it('does not pass an async callee’s CPU work on to its callers (it is reported there)', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/svc.ts': `import bcrypt from 'bcrypt';
export async function verify(pw: string, hashes: string[]) {
  await Promise.resolve();
  return hashes.some((h) => bcrypt.compareSync(pw, h));
}
export async function handler(pw: string) {
  return await verify(pw, []);
}
`,
    });
    const r = a.analyzeFile('/p/src/svc.ts');
    const found = r.findings.filter((x) => x.rule === 'FOX001');
    assert.deepEqual(
      found.map((x) => x.functionId),
      ['src/svc.ts#verify'],
    );
  });

  it('terminates on recursion and cycles, within and across files', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/a.ts': `import { b } from './b.js';
export function a(n: number): number { return n <= 0 ? 0 : b(n - 1) + a(n - 1); }
export function even(n: number): boolean { return n === 0 || odd(n - 1); }
export function odd(n: number): boolean { return n !== 0 && even(n - 1); }
`,
      '/p/src/b.ts': `import { a } from './a.js';
import { blurRows } from './c.js';
export function b(n: number): number { blurRows([n], 1); return a(n); }
`,
      '/p/src/c.ts': BLUR,
    });
    const result = a.analyzeAll();
    const b = fn(result.functions, 'b');
    assert.equal(b.kind, 'cpu');
    const fa = fn(result.functions, 'a');
    assert.ok(
      reasons(fa).some((x) => x.startsWith('a → b → blurRows:')),
      reasons(fa).join('; '),
    );
    // Nothing is counted twice around the cycle: a's evidence goes through b once.
    assert.equal(fa.evidence.filter((e) => e.via).length, 1);
  });

  it('propagates through at most MAX_CALL_DEPTH calls', () => {
    // f0 → f1 → … → f5, f5 heavy: f(5 - MAX_CALL_DEPTH) sees it, the one before does not.
    const chain = Array.from(
      { length: 5 },
      (_, i) => `export function f${i}(px: number[]) { return f${i + 1}(px); }`,
    ).join('\n');
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/chain.ts': `${chain}\nexport function f5(px: number[]) { return blurRows(px, 2); }\n${BLUR}`,
    });
    const r = a.analyzeFile('/p/src/chain.ts');
    // f5 → blurRows is one call; blurRows is 6 - i calls from f_i.
    const reach = 6 - MAX_CALL_DEPTH;
    assert.equal(fn(r.functions, `f${reach}`).kind, 'cpu');
    assert.equal(fn(r.functions, `f${reach - 1}`).kind, 'light');
  });

  it('editing the callee’s file changes the caller’s result (incremental invalidation)', () => {
    const heavy = `${BLUR}\nexport function resize(px: number[], w: number) { return blurRows(px, w); }\n`;
    const light = `export function resize(px: number[], w: number) { return px.slice(0, w); }\n`;
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/image.ts': light,
      '/p/src/report.ts': `import { resize } from './image.js';
export function buildReport(px: number[]) { return resize(px, 4).length; }
`,
    });
    const kind = (): string => fn(a.analyzeFile('/p/src/report.ts').functions, 'buildReport').kind;
    assert.equal(kind(), 'light');
    a.setFileText('/p/src/image.ts', heavy);
    assert.equal(kind(), 'cpu');
    a.setFileText('/p/src/image.ts', light);
    assert.equal(kind(), 'light');
  });

  it('the editor: a change to an open callee makes the open caller’s syntax result stale', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/image.ts': `export function resize(px: number[]) { return px; }\n`,
      '/p/src/report.ts': `import { resize } from './image.js';
export function buildReport(images: number[][]) { return images.map((px) => resize(px)); }
`,
    });
    const docs = new DocumentAnalysis(a, {
      debounceMs: 60_000,
      onTypesReady: () => undefined,
      onError: (m) => assert.fail(m),
    });
    try {
      const report = pathToFileURL('/p/src/report.ts').href;
      const image = pathToFileURL('/p/src/image.ts').href;
      docs.open(report, 1, a.project.getSourceFileOrThrow('/p/src/report.ts').getFullText());
      docs.open(image, 1, `export function resize(px: number[]) { return px; }\n`);
      const fox001 = (): number =>
        docs.syntax(report)!.findings.filter((f) => f.rule === 'FOX001').length;
      assert.equal(fox001(), 0);
      // Unsaved edit of the callee: the caller's next syntax result sees it.
      docs.change(
        image,
        2,
        `${BLUR}\nexport function resize(px: number[]) { return blurRows(px, 2); }\n`,
      );
      assert.equal(fox001(), 1);
      docs.close(image);
      assert.equal(fox001(), 0, 'closing the callee falls back to the project copy');
    } finally {
      docs.dispose();
    }
  });
});

describe('call graph in the editor: type-aware results follow callee edits', () => {
  it('FOX006 of an open task appears when an open callee starts writing module state', async () => {
    const clean = `export function remember(key: string) { return key.length; }\n`;
    const stateful = `let hits = 0;\nexport function remember(key: string) { hits++; return key.length; }\n`;
    const task = `import { fox } from '@fox/sdk';
import { remember } from './cache.js';
export const score = fox({ mode: 'tfox' }, (key: string) => remember(key));
`;
    const a = FoxAnalyzer.inMemory({ ...PKG, '/p/src/cache.ts': clean, '/p/src/task.ts': task });
    const docs = new DocumentAnalysis(a, {
      debounceMs: 1,
      onTypesReady: () => undefined,
      onError: (m) => assert.fail(m),
    });
    try {
      const taskUri = pathToFileURL('/p/src/task.ts').href;
      const cacheUri = pathToFileURL('/p/src/cache.ts').href;
      docs.open(taskUri, 1, task);
      docs.open(cacheUri, 1, clean);
      await docs.settled(taskUri);
      const fox006 = (): string[] =>
        (docs.types(taskUri)?.findings ?? [])
          .filter((f) => f.rule === 'FOX006')
          .map((f) => f.message);
      assert.deepEqual(fox006(), []);
      docs.change(cacheUri, 2, stateful);
      await docs.settled(cacheUri);
      await docs.settled(taskUri);
      assert.equal(fox006().length, 1);
      assert.match(fox006()[0]!, /calls 'remember', which writes module state 'hits'/);
    } finally {
      docs.dispose();
    }
  });
});

describe('call graph: task rules through callees', () => {
  it('FOX006: a tfox task that touches module state through a callee', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/cache.ts': `let hits = 0;
const seen = new Map<string, number>();
export function remember(key: string, value: number) {
  hits++;
  seen.set(key, value);
}
export function lookup(key: string) { return seen.get(key); }
`,
      '/p/src/task.ts': `import { fox } from '@fox/sdk';
import { remember, lookup } from './cache.js';
const memo = new Map<string, number>();
export const score = fox({ mode: 'tfox' }, (key: string, v: number) => {
  remember(key, v);
  memo.set(key, v);
  return lookup(key);
});
`,
    });
    const r = a.analyzeFile('/p/src/task.ts');
    const found = r.findings.filter((x) => x.rule === 'FOX006');
    assert.deepEqual(
      found.map((x) => x.line),
      [5, 6],
      found.map((x) => `${x.line}: ${x.message}`).join('\n'),
    );
    assert.match(
      found[0]!.message,
      /calls 'remember', which writes module state 'hits', 'seen' of src\/cache\.ts \(score → remember\)/,
    );
    assert.match(found[1]!.message, /writes module state 'memo'/);
  });

  it('FOX006: module state a few calls down, and none for constants', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/t.ts': `import { fox } from '@fox/sdk';
const TABLE = [1, 2, 3];
let counter = 0;
function bump() { counter += 1; }
function step(n: number) { bump(); return TABLE[n]; }
export const run = fox({ mode: 'tfox' }, (n: number) => step(n) ?? TABLE[0]);
`,
    });
    const found = a.analyzeFile('/p/src/t.ts').findings.filter((x) => x.rule === 'FOX006');
    assert.deepEqual(
      found.map((x) => x.message),
      [
        "tfox task 'run' cannot run in a worker thread: it calls 'step', which writes module state 'counter' (run → step → bump); each worker has its own copy, so the write never reaches the main thread or other workers.",
      ],
    );
  });

  it('FOX007: an sfox task whose helper is CPU-heavy', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/t.ts': `import { fox } from '@fox/sdk';
import { blurRows } from './blur.js';
export const blur = fox({ mode: 'sfox' }, (px: number[]) => blurRows(px, 4));
`,
      '/p/src/blur.ts': BLUR,
    });
    const found = a.analyzeFile('/p/src/t.ts').findings.filter((x) => x.rule === 'FOX007');
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /blur → blurRows: nested loops over input/);
  });

  it('resolves an instance method with the checker when the file has tasks', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/t.ts': `import { fox } from '@fox/sdk';
import { Resizer } from './resizer.js';
export const shrink = fox({ mode: 'sfox' }, (px: number[]) => new Resizer(4).run(px));
`,
      '/p/src/resizer.ts': `${BLUR}
export class Resizer {
  constructor(private readonly w: number) {}
  run(px: number[]) { return blurRows(px, this.w); }
}
`,
    });
    // The syntax alone cannot tell what `new Resizer(4).run` is: no finding without the checker.
    const syntax = a.analyzeFile('/p/src/t.ts', { phase: 'syntax' });
    assert.equal(fn(syntax.functions, 'shrink').kind, 'light');
    const r = a.analyzeFile('/p/src/t.ts');
    const shrink = fn(r.functions, 'shrink');
    assert.equal(shrink.kind, 'cpu');
    assert.ok(
      reasons(shrink).includes('shrink → Resizer.run → blurRows: nested loops over input'),
      reasons(shrink).join('; '),
    );
    assert.deepEqual(
      r.findings.filter((x) => x.rule === 'FOX007').map((x) => x.line),
      [3],
    );
  });

  it('a tfox task’s callers do not inherit its CPU work (it runs on a worker)', () => {
    const a = FoxAnalyzer.inMemory({
      ...PKG,
      '/p/src/t.ts': `import { fox } from '@fox/sdk';
import { blurRows } from './blur.js';
export const blur = fox({ mode: 'tfox' }, (px: number[]) => blurRows(px, 4));
export function caller(px: number[]) { return blur(px); }
`,
      '/p/src/blur.ts': BLUR,
    });
    const r = a.analyzeFile('/p/src/t.ts');
    assert.equal(fn(r.functions, 'caller').kind, 'io');
    assert.equal(fn(r.functions, 'blur').kind, 'cpu');
  });
});
