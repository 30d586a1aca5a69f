import { ts } from 'ts-morph';
import { resolveBinding } from './bindings.js';
import type { FileContext } from './file-context.js';
import { resolveNetworkCall, type NetworkCall } from './network-calls.js';

/**
 * The catalogue of calls the classifier and the rules recognise by name: synchronous CPU work,
 * blocking and async I/O, database/broker clients and HTTP clients.
 */

/**
 * Synchronous CPU work by name: [weight, reason]. Every entry blocks the event loop for certain
 * (unlike a loop, which may be short), so the rules report them even in mixed functions.
 */
export const SYNC_CPU = new Map<string, [number, string]>(
  Object.entries({
    pbkdf2Sync: [4, 'synchronous key derivation (pbkdf2Sync)'],
    scryptSync: [4, 'synchronous key derivation (scryptSync)'],
    generateKeyPairSync: [4, 'synchronous key generation'],
    generatePrimeSync: [4, 'synchronous prime generation'],
    hkdfSync: [2, 'synchronous key derivation (hkdfSync)'],
    // bcrypt / bcryptjs: one compare costs tens of milliseconds by design.
    hashSync: [4, 'synchronous password hashing'],
    compareSync: [3, 'synchronous password check (compareSync)'],
    genSaltSync: [2, 'synchronous salt generation (genSaltSync)'],
    gzipSync: [3, 'synchronous compression'],
    gunzipSync: [3, 'synchronous decompression'],
    deflateSync: [3, 'synchronous compression'],
    deflateRawSync: [3, 'synchronous compression'],
    inflateSync: [3, 'synchronous decompression'],
    inflateRawSync: [3, 'synchronous decompression'],
    unzipSync: [3, 'synchronous decompression'],
    brotliCompressSync: [3, 'synchronous compression'],
    brotliDecompressSync: [3, 'synchronous decompression'],
    zstdCompressSync: [3, 'synchronous compression'],
    zstdDecompressSync: [3, 'synchronous decompression'],
    // esbuild / @babel/core / @swc/core: parsing and printing a whole module.
    transformSync: [3, 'synchronous code transform (transformSync)'],
    transformFileSync: [3, 'synchronous code transform (transformFileSync)'],
    buildSync: [4, 'synchronous bundling (buildSync)'],
  }) as [string, [number, string]][],
);

export const HASHING = new Set([
  'createHash',
  'createHmac',
  'createCipheriv',
  'createDecipheriv',
  'createSign',
]);

/** Blocking I/O: fine in a CLI, a stall for everyone else on a server's event loop. */
export const BLOCKING_IO = new Set([
  // node:fs
  'readFileSync',
  'writeFileSync',
  'appendFileSync',
  'readdirSync',
  'statSync',
  'lstatSync',
  'fstatSync',
  'existsSync',
  'accessSync',
  'realpathSync',
  'readlinkSync',
  'mkdirSync',
  'mkdtempSync',
  'copyFileSync',
  'cpSync',
  'rmSync',
  'rmdirSync',
  'unlinkSync',
  'renameSync',
  'symlinkSync',
  'chmodSync',
  'truncateSync',
  'utimesSync',
  'opendirSync',
  'openSync',
  'closeSync',
  'fsyncSync',
  'readSync',
  'writeSync',
  // glob / fs.globSync (Node 22) / globby
  'globSync',
  'globbySync',
  // node:child_process
  'execSync',
  'execFileSync',
  'spawnSync',
]);

/** Packages whose `sync` export walks the file system synchronously (`fg.sync`, `glob.sync`). */
const SYNC_GLOB_MODULES = /^(fast-glob|glob|globby|tiny-glob\/sync)$/;

/** Is `call` a `<glob package>.sync(…)`, resolved through the file's imports? */
export function isSyncGlob(ctx: FileContext, call: ts.CallExpression): boolean {
  const e = call.expression;
  if (!ts.isPropertyAccessExpression(e) || e.name.text !== 'sync') return false;
  if (!ts.isIdentifier(e.expression)) return false;
  const b = resolveBinding(ctx, e.expression);
  return b.kind === 'module' && SYNC_GLOB_MODULES.test(b.module);
}

export const FS_ASYNC = new Set([
  'readFile',
  'writeFile',
  'appendFile',
  'readdir',
  'stat',
  'lstat',
  'mkdir',
  'rm',
  'unlink',
  'rename',
  'copyFile',
  'open',
  'access',
  'opendir',
]);
export const STREAMS = new Set(['createReadStream', 'createWriteStream', 'pipeline']);
export const DB_CALLS = new Set([
  'query',
  'execute',
  'findOne',
  'findMany',
  'findUnique',
  'findFirst',
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'deleteOne',
  'deleteMany',
  'aggregate',
  'transaction',
  '$transaction',
  '$queryRaw',
  'upsert',
  'bulkWrite',
  'hgetall',
  'mget',
  'xadd',
  'publish',
  'sendMessage',
  'send',
]);
/** HTTP client method names on a client object (`axios.get`, `got.post`, `this.http.get`). */
export const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'request']);
export const HTTP_CLIENTS = new Set([
  'axios',
  'got',
  'ky',
  'superagent',
  'undici',
  'http',
  'https',
]);

export type { NetworkCall } from './network-calls.js';

/** Which HTTP client a call uses, when it is a network call (resolved by binding, not text). */
export function networkCallKind(
  ctx: FileContext,
  call: ts.CallExpression,
  checker?: ts.TypeChecker,
): NetworkCall | undefined {
  return resolveNetworkCall(ctx, call, checker)?.kind;
}
