import { strict as assert } from 'node:assert';
import { ts } from 'ts-morph';
import { FoxAnalyzer, applyEdits, type Finding } from '../../src/index.js';

/** `@fox/sdk`'s `fox` signatures (options as the real sdk takes them: lane, bulkhead…). */
const SDK_TYPES = `
export type Foxed<A extends unknown[], R, This = unknown> = (this: This, ...args: A) => Promise<Awaited<R>>;
export interface FoxOptions { mode?: 'sfox' | 'wfox' | 'tfox' | 'mfox' | 'auto'; lane?: string; bulkhead?: { limit: number; queue?: number } }
export interface FoxApi {
  <A extends unknown[], R, This = unknown>(options: FoxOptions, fn: (this: This, ...args: A) => R): Foxed<A, R, This>;
}
export declare const fox: FoxApi;
`;

const NODE_FS = `declare module 'node:fs/promises' {
  export function readdir(path: string): Promise<string[]>;
  export function stat(path: string): Promise<{ size: number }>;
  export function unlink(path: string): Promise<void>;
}
`;

function analyzer(files: Record<string, string>, withSdk = true): FoxAnalyzer {
  return FoxAnalyzer.inMemory({
    '/p/package.json': '{ "name": "p", "type": "module" }',
    ...(withSdk
      ? {
          '/p/node_modules/@fox/sdk/package.json':
            '{ "name": "@fox/sdk", "type": "module", "types": "./index.d.ts" }',
          '/p/node_modules/@fox/sdk/index.d.ts': SDK_TYPES,
        }
      : {}),
    '/p/src/node-fs.d.ts': NODE_FS,
    ...Object.fromEntries(Object.entries(files).map(([f, text]) => [`/p/src/${f}`, text])),
  });
}

const fox003 = (a: FoxAnalyzer, file: string): Finding[] =>
  a.analyzeFile(`/p/src/${file}`, { phase: 'all' }).findings.filter((f) => f.rule === 'FOX003');

/** Diagnostics of one file, as `TScode message` strings. */
function diagnosticsOf(a: FoxAnalyzer, file: string): string[] {
  const program = a.project.getProgram().compilerObject;
  const sf = program.getSourceFile(`/p/src/${file}`)!;
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(
    (d) => `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
  );
}

describe('FOX003 confidence by where the array comes from', () => {
  it('a registry of contributions (this.contributions.getContributions()) is a possible hint, not a warning', () => {
    const a = analyzer({
      'app.ts': `interface Contribution { initialize?(): Promise<void> }
interface Provider<T> { getContributions(): T[] }
export class BackendApplication {
  constructor(private readonly contributions: Provider<Contribution>, private readonly plugins: Contribution[]) {}
  async initialize(): Promise<void> {
    await Promise.all(this.contributions.getContributions().map(async (c) => c.initialize?.()));
  }
  async start(): Promise<void> {
    await Promise.all(this.plugins.map(async (p) => p.initialize?.()));
  }
}
`,
    });
    const findings = fox003(a, 'app.ts');
    assert.deepEqual(
      findings.map((f) => `${f.line} ${f.confidence} ${f.severity}`),
      ['6 possible hint', '9 possible hint'],
    );
    assert.match(findings[0]!.message, /configuration/);
  });

  it("a parameter's plugin list and the listeners its plugins return are possible hints", () => {
    const a = analyzer({
      'pipeline.ts': `interface Listener { didResolve?(): Promise<void> }
interface Plugin { requestDidStart?(ctx: string): Promise<Listener | undefined> }
const isDefined = <T>(x: T | undefined): x is T => x !== undefined;
export async function process(internals: { plugins: Plugin[] }, ctx: string): Promise<void> {
  const listeners = (await Promise.all(internals.plugins.map((p) => p.requestDidStart?.(ctx)))).filter(isDefined);
  await Promise.all(listeners.map(async (l) => l.didResolve?.()));
}
`,
    });
    assert.deepEqual(
      fox003(a, 'pipeline.ts').map((f) => `${f.line} ${f.confidence}`),
      ['5 possible', '6 possible'],
    );
  });

  it('a copy of a parameter ([...plugins]) mapped in a worklist loop is a warning', () => {
    const a = analyzer({
      'deployer.ts': `declare function resolve(id: string): Promise<string[]>;
export async function deploy(plugins: string[]): Promise<void> {
  const queue: string[] = [...plugins];
  while (queue.length) {
    const next: string[] = [];
    await Promise.all(queue.map(async (entry) => next.push(...(await resolve(entry)))));
    queue.length = 0;
    queue.push(...next);
  }
}
`,
    });
    const findings = fox003(a, 'deployer.ts');
    assert.deepEqual(
      findings.map((f) => `${f.line} ${f.confidence} ${f.severity}`),
      ['6 certain warning'],
    );
    assert.match(findings[0]!.message, /parameter 'plugins'/);
  });

  it('an array filled by push in a loop over a parameter is a warning', () => {
    const a = analyzer({
      'plugins.ts': `declare function localize(p: string): Promise<string>;
declare function lookup(id: string): string | undefined;
export async function deployed(ids: string[]): Promise<string[]> {
  const plugins: string[] = [];
  for (const id of ids) {
    const p = lookup(id);
    if (p) plugins.push(p);
  }
  return Promise.all(plugins.map((p) => localize(p)));
}
`,
    });
    assert.deepEqual(
      fox003(a, 'plugins.ts').map((f) => `${f.line} ${f.confidence}`),
      ['9 certain'],
    );
  });

  it('a directory listing (await readdir) is a warning', () => {
    const a = analyzer({
      'fs.ts': `import { readdir, stat } from 'node:fs/promises';
export class Disk {
  async list(dir: string) {
    const entries = await readdir(dir);
    return Promise.all(entries.filter((e) => !e.startsWith('.')).map(async (e) => stat(dir + '/' + e)));
  }
}
`,
    });
    const findings = fox003(a, 'fs.ts');
    assert.deepEqual(
      findings.map((f) => `${f.line} ${f.confidence} ${f.severity}`),
      ['5 certain warning'],
    );
    assert.match(findings[0]!.message, /awaited I\/O/);
  });

  it("a request's body (req.body.items, destructured) is a warning", () => {
    const a = analyzer({
      'handler.ts': `declare function save(x: unknown): Promise<void>;
declare const app: { post(path: string, h: (req: { body: { items: unknown[] } }) => Promise<void>): void };
app.post('/batch', async (req) => {
  await Promise.all(req.body.items.map(async (i) => save(i)));
});
export async function batch({ body }: { body: unknown[] }) {
  return Promise.all(body.map(async (piece: unknown) => save(piece)));
}
export function handle(request: { body: { items: unknown[] } }) {
  const { items } = request.body;
  return Promise.all(items.map(async (i) => save(i)));
}
`,
    });
    assert.deepEqual(
      fox003(a, 'handler.ts').map((f) => `${f.line} ${f.confidence} ${f.severity}`),
      ['4 certain warning', '7 certain warning', '11 certain warning'],
    );
  });
});

describe('FOX003 lane fix is type-correct or unavailable', () => {
  const PIPELINE = `interface Listener { didStart?(ctx: string): Promise<void> | undefined }
export async function pipeline(plugins: Listener[], ctx: string): Promise<void> {
  await Promise.all(plugins.map((p) => p.didStart?.(ctx)));
}
export async function copy(registry: { directory(p: string): Promise<void> }, localDir: string | undefined, rest: string[]): Promise<void> {
  await Promise.all([localDir, ...rest]
    .filter((dir) => dir && dir.startsWith('local-dir:'))
    .map(async (dir: string) => {
      await registry.directory(dir);
    }));
}
`;

  for (const withSdk of [true, false]) {
    it(`an optional-call callback and an annotated callback (${withSdk ? 'sdk installed' : 'sdk stand-in'})`, () => {
      const a = analyzer({ 'pipeline.ts': PIPELINE }, withSdk);
      const before = diagnosticsOf(a, 'pipeline.ts');
      const findings = fox003(a, 'pipeline.ts');
      assert.equal(findings.length, 2);
      for (const f of findings) {
        const fix = f.fixes.find((x) => /mfox lane/.test(x.title))!;
        assert.ok(fix, 'the lane fix is offered');
        const resolved = a.resolveFix(f, fix);
        if ('unavailable' in resolved) {
          // The sdk installed, both lane fixes are expected to be type-correct, not declined.
          assert.ok(!withSdk, resolved.unavailable);
          continue;
        }
        // With the sdk installed the fix must be applicable, not merely declined.
        if (withSdk) {
          const path = '/p/src/pipeline.ts';
          const original = a.project.getSourceFileOrThrow(path).getFullText();
          a.setFileText(path, applyEdits(original, resolved.edits[0]!.edits));
          try {
            assert.deepEqual(diagnosticsOf(a, 'pipeline.ts'), before);
          } finally {
            a.setFileText(path, original);
          }
        }
      }
    });
  }

  it('a plain fix that would add a type error is unavailable', () => {
    const a = analyzer({ 'pipeline.ts': PIPELINE });
    const f = fox003(a, 'pipeline.ts')[0]!;
    const fix = {
      ...f.fixes[0]!,
      edits: [{ ...f.fixes[0]!.edits[0]!, newText: 'const x: number = "s";\n' }],
    };
    const resolved = a.resolveFix(f, fix);
    assert.ok('unavailable' in resolved);
    assert.match(resolved.unavailable, /TS2322/);
  });
});
