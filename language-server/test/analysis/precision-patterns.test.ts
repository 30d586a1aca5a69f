import assert from 'node:assert/strict';
import { analyzeSnippet as analyze, fox004Reports as fox004 } from './support/analyze-snippet.js';

/**
 * Precision patterns from the real-code benchmark (language-server/bench/realcode): small helpers
 * the classifier called cpu, FOX004 on loops that must run in order or on promises already
 * running, and FOX001 naming only the first blocking call. Each pattern has a case that
 * failed before the fix, and true positives that must stay.
 */

const kindOf = (source: string, name: string): string | undefined =>
  analyze(source).functions.find((f) => f.name === name)?.kind;

describe('precision patterns (real-code benchmark)', () => {
  describe('classification: small helpers are not cpu', () => {
    it('work in closures it returns or object methods it builds (zod ZodError initializer)', () => {
      const src = `
        function format(issues: { path: string[] }[]): string {
          let out = '';
          for (const a of issues) for (const b of a.path) out += b.length * 31 + ':' + a.path.length;
          return out;
        }
        function lazy(proto: object, key: string, make: (self: any) => unknown): void {
          Object.defineProperty(proto, key, { get() { return make(this); } });
        }
        export function install(proto: { issues: { path: string[] }[] }): void {
          lazy(proto, 'format', (self) => () => format(self.issues));
          lazy(proto, 'add', (self) => (issue: { path: string[] }) => {
            self.issues.push(issue);
            self.message = JSON.stringify(self.issues, null, 2);
          });
          Object.defineProperty(proto, 'text', {
            get() { return JSON.stringify(this) + format(this.issues); },
          });
        }
        export function formatAll(groups: { issues: { path: string[] }[] }[]): string[] {
          // Inline iteration callbacks run now: their work is this function's.
          return groups.map((g) => format(g.issues));
        }`;
      assert.equal(kindOf(src, 'format'), 'cpu');
      assert.equal(kindOf(src, 'install'), 'light');
      assert.equal(kindOf(src, 'formatAll'), 'cpu');
    });

    it('a sort, one hash and a plain loop (msal computeAdditionalCacheKeyHash)', () => {
      const src = `
        import { createHash } from 'node:crypto';
        export function cacheKeyHash(claims: Record<string, string>): string {
          const keys = Object.keys(claims).sort();
          const parts: string[] = [];
          for (const k of keys) parts.push(k + '=' + claims[k]);
          return createHash('sha256').update(parts.join('&')).digest('hex');
        }`;
      assert.equal(kindOf(src, 'cacheKeyHash'), 'light');
    });

    it('JSON.stringify quoting keys into a path string (zod toDotPath / prettifyError)', () => {
      const src = `
        export function toDotPath(path: (string | number)[]): string {
          const segs: string[] = [];
          for (const seg of path) {
            if (typeof seg === 'number') segs.push(\`[\${seg}]\`);
            else if (/[^\\w$]/.test(seg)) segs.push(\`[\${JSON.stringify(seg)}]\`);
            else segs.push('.' + seg);
          }
          return segs.join('');
        }
        export function prettify(issues: { message: string; path: string[] }[]): string {
          const lines: string[] = [];
          for (const issue of [...issues].sort((a, b) => a.path.length - b.path.length)) {
            lines.push(issue.message);
            lines.push(\`  at \${toDotPath(issue.path)}\`);
          }
          return lines.join('\\n');
        }`;
      assert.equal(kindOf(src, 'toDotPath'), 'light');
      assert.equal(kindOf(src, 'prettify'), 'light');
    });

    it('a cursor scan whose inner loops advance the same cursor (trpc splitSetCookieString)', () => {
      const src = `
        export function splitHeader(s: string): string[] {
          const out: string[] = [];
          let pos = 0;
          while (pos < s.length) {
            const start = pos;
            while (pos < s.length && s.charAt(pos) !== ',') pos += 1;
            out.push(s.slice(start, pos));
            pos += 1;
            while (pos < s.length && s.charAt(pos) === ' ') pos += 1;
          }
          return out;
        }`;
      assert.equal(kindOf(src, 'splitHeader'), 'light');
    });

    it('counting in nested loops (theia FileCoverage.fromDetails)', () => {
      const src = `
        interface D { executed: boolean; branches: { executed: boolean }[] }
        export function tally(details: D[]) {
          const s = { total: 0, covered: 0 };
          const b = { total: 0, covered: 0 };
          for (const d of details) {
            s.total += 1;
            s.covered += d.executed ? 1 : 0;
            for (const br of d.branches) {
              b.total += 1;
              b.covered += br.executed ? 1 : 0;
            }
          }
          return { s, b };
        }`;
      assert.equal(kindOf(src, 'tally'), 'light');
    });

    it('a binary search (theia binarySearch2)', () => {
      const src = `
        export function search(xs: number[], key: number): number {
          let low = 0, high = xs.length - 1;
          while (low <= high) {
            const mid = ((low + high) / 2) | 0;
            const comp = xs[mid]! - key;
            if (comp < 0) low = mid + 1;
            else if (comp > 0) high = mid - 1;
            else return mid;
          }
          return -(low + 1);
        }`;
      assert.equal(kindOf(src, 'search'), 'light');
    });

    it('loop bounds and index arithmetic are not work (mongodb isErrorResponse)', () => {
      const src = `
        export function isError(bson: Uint8Array, elements: number[][]): boolean {
          for (let e = 0; e < elements.length; e++) {
            const el = elements[e]!;
            if (bson[el[0]!] === 111 && bson[el[0]! + 1] === 107) {
              for (let i = el[1]!; i < el[1]! + el[2]!; i++) if (bson[i] !== 0) return false;
              return true;
            }
          }
          return true;
        }`;
      assert.equal(kindOf(src, 'isError'), 'light');
    });

    it('a loop bounded by a count with a small default (zod randomString)', () => {
      const src = `
        export function randomString(length = 10): string {
          const chars = 'abcdefghijklmnopqrstuvwxyz';
          let str = '';
          for (let i = 0; i < length; i++) str += chars[Math.floor(Math.random() * chars.length)];
          return str;
        }`;
      assert.equal(kindOf(src, 'randomString'), 'light');
    });

    it('keeps a nested numeric loop over input cpu', () => {
      const src = `
        export function pairwise(points: number[][]): number {
          let best = Infinity;
          for (let i = 0; i < points.length; i++)
            for (let j = i + 1; j < points.length; j++) {
              const dx = points[i]![0]! - points[j]![0]!;
              const dy = points[i]![1]! - points[j]![1]!;
              best = Math.min(best, Math.sqrt(dx * dx + dy * dy));
            }
          return best;
        }`;
      assert.equal(kindOf(src, 'pairwise'), 'cpu');
    });

    it('keeps bcrypt compareSync and zlib sync on input cpu', () => {
      const src = `
        import bcrypt from 'bcrypt';
        import { gzipSync } from 'node:zlib';
        export function check(password: string, hash: string): boolean {
          return bcrypt.compareSync(password, hash);
        }
        export function pack(body: Buffer): Buffer {
          return gzipSync(body);
        }`;
      assert.equal(kindOf(src, 'check'), 'cpu');
      assert.equal(kindOf(src, 'pack'), 'cpu');
    });
  });

  describe('FOX001: every blocking call on an async path', () => {
    it('names each blocking call a helper makes, not only the first', () => {
      const r = analyze(`
        import * as fs from 'node:fs';
        class Server {
          async create(opts: { root: string; shell: string }): Promise<number> {
            this.validate(opts);
            return 1;
          }
          protected validate(opts: { root: string; shell: string }): void {
            if (!fs.existsSync(opts.root) || !fs.statSync(opts.root).isDirectory()) opts.root = '/';
            if (!this.isValidShell(opts.shell)) opts.shell = '/bin/sh';
          }
          protected isValidShell(shell: string): boolean {
            try { fs.accessSync(shell, fs.constants.X_OK); return true; } catch { return false; }
          }
        }
        export const server = new Server();`);
      const found = r.findings.filter((f) => f.rule === 'FOX001');
      assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.message)));
      const msg = found[0]!.message;
      for (const call of ['fs.existsSync', 'fs.statSync', 'fs.accessSync'])
        assert.ok(msg.includes(`(${call})`), `${call} missing from: ${msg}`);
    });

    it('still reports each own blocking call on its own line', () => {
      const r = analyze(`
        import { readFileSync, statSync } from 'node:fs';
        export async function load(p: string): Promise<string> {
          const s = statSync(p);
          return s.size > 0 ? readFileSync(p, 'utf8') : '';
        }`);
      assert.deepEqual(
        r.findings.filter((f) => f.rule === 'FOX001').map((f) => f.line),
        [4, 5],
      );
    });
  });

  describe('FOX004: loops that are not parallelisable', () => {
    it('is silent on awaits of promises already running', () => {
      assert.equal(
        fox004(`
          export async function init(providers: { ready: Promise<void> }[]) {
            for (const p of providers) await p.ready;
          }
          export async function collect(pending: Promise<number>[]) {
            const out: number[] = [];
            for (const p of pending) out.push(await p);
            return out;
          }`).length,
        0,
      );
    });

    it('still reports a promise started in the iteration and awaited', () => {
      assert.equal(
        fox004(`
          declare function load(id: string): Promise<string>;
          export async function all(ids: string[]) {
            for (const id of ids) { const p = load(id); console.log(await p); }
          }`).length,
        1,
      );
    });

    it('is silent in helpers that exist to run in series', () => {
      assert.equal(
        fox004(`
          export async function seriesAsyncMap<T, R>(xs: T[], f: (x: T) => Promise<R>) {
            const out: R[] = [];
            for (const x of xs) out.push(await f(x));
            return out;
          }
          export const runSequentially = async (jobs: string[], run: (j: string) => Promise<void>) => {
            for (const j of jobs) await run(j);
          };`).length,
        0,
      );
    });

    it('is silent on plugin and contribution activation loops', () => {
      assert.equal(
        fox004(`
          interface C { onStart?(s: unknown): Promise<void>; }
          export class App {
            constructor(private readonly provider: { getContributions(): C[] }) {}
            async start(server: unknown) {
              for (const c of this.provider.getContributions()) {
                if (c.onStart) await c.onStart(server);
              }
            }
            async activateAll(events: string[]) {
              for (const e of events) await this.$activateByEvent(e);
            }
            async $activateByEvent(e: string) { return e; }
          }`).length,
        0,
      );
    });

    it('still reports independent reads over plugins and contributions', () => {
      const found = fox004(`
        declare function loadManifest(path: string): Promise<object>;
        interface C { getConfigurationSnippets(): Promise<object[]>; }
        export async function manifests(raw: { packagePath: string }[]) {
          const out: object[] = [];
          for (const plg of raw) out.push(await loadManifest(plg.packagePath));
          return out;
        }
        export async function snippets(contributions: C[]) {
          const out: object[] = [];
          for (const c of contributions) out.push(...(await c.getConfigurationSnippets()));
          return out;
        }`);
      assert.equal(found.length, 2);
    });
  });
});
