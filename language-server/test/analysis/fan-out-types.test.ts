import { strict as assert } from 'node:assert';
import { FoxAnalyzer, type AnalysisPhase } from '../../src/index.js';

/** A stand-in for axios's declarations: what the type-aware FOX002 recognises an instance by. */
const AXIOS_DTS = `export interface AxiosRequestConfig { timeout?: number; signal?: unknown; baseURL?: string }
export interface AxiosInstance {
  (config: AxiosRequestConfig): Promise<unknown>;
  get(url: string, config?: AxiosRequestConfig): Promise<unknown>;
  post(url: string, data?: unknown, config?: AxiosRequestConfig): Promise<unknown>;
}
export interface AxiosStatic extends AxiosInstance { create(config?: AxiosRequestConfig): AxiosInstance }
declare const axios: AxiosStatic;
export default axios;
`;

function analyzer(files: Record<string, string>): FoxAnalyzer {
  return FoxAnalyzer.inMemory({
    '/p/package.json': '{ "name": "p", "type": "module" }',
    '/p/node_modules/axios/package.json':
      '{ "name": "axios", "type": "module", "types": "index.d.ts", "exports": { ".": { "types": "./index.d.ts" } } }',
    '/p/node_modules/axios/index.d.ts': AXIOS_DTS,
    ...Object.fromEntries(Object.entries(files).map(([f, text]) => [`/p/${f}`, text])),
  });
}

/** `line confidence` of each finding of `rule` in `file` under `phase`. */
function found(a: FoxAnalyzer, file: string, rule: string, phase: AnalysisPhase): string[] {
  return a
    .analyzeFile(`/p/${file}`, { phase })
    .findings.filter((f) => f.rule === rule)
    .map((f) => `${f.line} ${f.confidence}`);
}

describe('FOX003 with the type checker', () => {
  const FAN_OUT = `interface Repo { find(id: string): Promise<string> }
export async function byArrow(repo: Repo, ids: string[]) {
  return Promise.all(ids.map((id) => repo.find(id)));
}
export async function byMethodReference(repo: Repo, ids: string[]) {
  return Promise.all(ids.map(repo.find));
}
export async function names(ids: string[]) {
  return Promise.all(ids.map((id) => id.toString()));
}
export async function plain(ids: string[]) {
  return Promise.all(ids.map(async (id) => id));
}
`;

  it('the syntax phase sees only the async callback', () => {
    assert.deepEqual(found(analyzer({ 'src/a.ts': FAN_OUT }), 'src/a.ts', 'FOX003', 'syntax'), [
      '12 certain',
    ]);
  });

  it('the types phase adds callbacks that return a promise by type, without repeating the syntax finding', () => {
    assert.deepEqual(found(analyzer({ 'src/a.ts': FAN_OUT }), 'src/a.ts', 'FOX003', 'types'), [
      '3 certain',
      '6 certain',
    ]);
  });

  it('the full run reports each fan-out once', () => {
    assert.deepEqual(found(analyzer({ 'src/a.ts': FAN_OUT }), 'src/a.ts', 'FOX003', 'all'), [
      '3 certain',
      '6 certain',
      '12 certain',
    ]);
  });

  it('does not build the checker for a file the syntax decides alone', () => {
    const a = analyzer({
      'src/b.ts': `declare const app: { get(path: string, h: () => void): void };
export const x = [1, 2].map((n) => n * 2);
const seen = new Map<string, number>();
export async function all(ids: string[]) {
  app.get('/x', () => undefined);
  return Promise.all(ids.map(async (id) => seen.get(id)));
}
`,
    });
    let built = 0;
    const original = a.checker.bind(a);
    a.checker = () => {
      built++;
      return original();
    };
    a.analyzeFile('/p/src/b.ts', { phase: 'types' });
    assert.equal(built, 0);
  });
});

describe('FOX003 on arrays bounded by code', () => {
  const BOUNDED = `declare function ping(x: unknown): Promise<void>;
declare const db: { query(sql: string): Promise<{ id: string }[]> };
const REGIONS = ['eu', 'us', 'ap'];
const HANDLERS = { a: 1, b: 2 };
export class Union {
  constructor(readonly _def: { options: { parseAsync(x: unknown): Promise<unknown> }[] }) {}
  parse(data: unknown) {
    const options = this._def.options;
    return Promise.all(options.map(async (option) => option.parseAsync(data)));
  }
}
export async function everyRegion() {
  return Promise.all(REGIONS.map(async (r) => ping(r)));
}
export async function everyHandler() {
  return Promise.all(Object.keys(HANDLERS).map(async (k) => ping(k)));
}
export async function union(def: { options: unknown[] }) {
  return Promise.all(def.options.map(async (o) => ping(o)));
}
export async function fromRequest(req: { body: { items: unknown[] } }) {
  return Promise.all(req.body.items.map(async (i) => ping(i)));
}
export async function fromParameter(ids: string[]) {
  return Promise.all(ids.map(async (id) => ping(id)));
}
export async function fromQuery() {
  const rows = await db.query('select id from t');
  return Promise.all(rows.map(async (r) => ping(r.id)));
}
`;

  it('keeps fan-outs over code-sized arrays as possible hints with the reason', () => {
    const a = analyzer({ 'src/bounded.ts': BOUNDED });
    const findings = a
      .analyzeFile('/p/src/bounded.ts', { phase: 'syntax' })
      .findings.filter((f) => f.rule === 'FOX003');
    assert.deepEqual(
      findings.map((f) => `${f.line} ${f.confidence} ${f.severity}`),
      [
        '9 possible hint',
        '13 possible hint',
        '16 possible hint',
        '19 possible hint',
        '22 certain warning',
        '25 certain warning',
        '29 certain warning',
      ],
    );
    assert.match(findings[0]!.message, /property of `this`/);
    assert.match(findings[1]!.message, /module-level constant 'REGIONS'/);
    assert.match(findings[2]!.message, /Object\.keys/);
  });
});

describe('FOX002 with the type checker', () => {
  const CLIENT = `import axios from 'axios';
export const api = axios.create({ baseURL: 'https://api.example.com' });
`;
  const USERS = `import type { AxiosInstance } from 'axios';
import { api } from './client.js';
export async function load(id: string) {
  return api.get(\`/users/\${id}\`);
}
export class Users {
  constructor(private readonly http: AxiosInstance) {}
  find(id: string) {
    return this.http.get(\`/users/\${id}\`);
  }
  bounded(id: string) {
    return this.http.get(\`/users/\${id}\`, { timeout: 1000 });
  }
  direct() {
    return this.http({ baseURL: 'https://api.example.com' });
  }
}
export async function elsewhere(url: string, cache: Map<string, string>) {
  cache.get(url);
  return fetch(url);
}
`;

  it('the syntax phase sees only the global fetch', () => {
    const a = analyzer({ 'src/client.ts': CLIENT, 'src/users.ts': USERS });
    assert.deepEqual(found(a, 'src/users.ts', 'FOX002', 'syntax'), ['20 certain']);
  });

  it('the types phase adds calls through axios instances, recognised by their type', () => {
    const a = analyzer({ 'src/client.ts': CLIENT, 'src/users.ts': USERS });
    assert.deepEqual(found(a, 'src/users.ts', 'FOX002', 'types'), [
      '4 certain',
      '9 certain',
      '15 certain',
    ]);
    assert.deepEqual(found(a, 'src/users.ts', 'FOX002', 'all'), [
      '4 certain',
      '9 certain',
      '15 certain',
      '20 certain',
    ]);
  });
});
