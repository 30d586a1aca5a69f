import { ts } from 'ts-morph';
import type { FileContext } from './file-context.js';
import { calleeName, calleePath, calleeRoot } from './walk.js';

/**
 * The catalogue of calls the classifier and the rules recognise by name: synchronous CPU work,
 * blocking and async I/O, database/broker clients and HTTP clients.
 */

export const SYNC_CPU = new Map<string, [number, string]>(
  Object.entries({
    pbkdf2Sync: [4, 'synchronous key derivation (pbkdf2Sync)'],
    scryptSync: [4, 'synchronous key derivation (scryptSync)'],
    generateKeyPairSync: [4, 'synchronous key generation'],
    hashSync: [4, 'synchronous password hashing'],
    compareSync: [3, 'synchronous password check'],
    gzipSync: [3, 'synchronous compression'],
    gunzipSync: [3, 'synchronous decompression'],
    deflateSync: [3, 'synchronous compression'],
    deflateRawSync: [3, 'synchronous compression'],
    inflateSync: [3, 'synchronous decompression'],
    inflateRawSync: [3, 'synchronous decompression'],
    unzipSync: [3, 'synchronous decompression'],
    brotliCompressSync: [3, 'synchronous compression'],
    brotliDecompressSync: [3, 'synchronous decompression'],
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
  'readFileSync',
  'writeFileSync',
  'appendFileSync',
  'readdirSync',
  'statSync',
  'lstatSync',
  'mkdirSync',
  'copyFileSync',
  'rmSync',
  'unlinkSync',
  'renameSync',
  'openSync',
  'readSync',
  'writeSync',
  'execSync',
  'execFileSync',
  'spawnSync',
]);

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

/** Kinds of network call, shared with the rules that look for timeouts and retries. */
export type NetworkCall = 'fetch' | 'axios' | 'got' | 'undici' | 'http';

/** Which HTTP client a call uses, when it is a network call. */
export function networkCallKind(
  ctx: FileContext,
  call: ts.CallExpression,
): NetworkCall | undefined {
  const name = calleeName(call);
  const root = calleeRoot(call);
  const path = calleePath(call);
  if (name === undefined) return undefined;
  const fromModule = root !== undefined ? ctx.packageImports.get(root) : undefined;
  if (ts.isIdentifier(call.expression)) {
    if (name === 'fetch') return 'fetch';
    if (fromModule === 'axios') return 'axios';
    if (fromModule === 'got') return 'got';
    if (fromModule === 'undici' && (name === 'request' || name === 'fetch')) return 'undici';
    if (
      (fromModule === 'node:http' ||
        fromModule === 'node:https' ||
        fromModule === 'http' ||
        fromModule === 'https') &&
      (name === 'request' || name === 'get')
    ) {
      return 'http';
    }
    return undefined;
  }
  if (root === undefined || !HTTP_METHODS.has(name) || path === undefined) return undefined;
  const module = fromModule ?? '';
  if (root === 'axios' || module === 'axios') return 'axios';
  if (root === 'got' || module === 'got') return 'got';
  if (root === 'undici' || module === 'undici') return 'undici';
  if (/^(node:)?https?$/.test(module) || root === 'http' || root === 'https') {
    return name === 'request' || name === 'get' ? 'http' : undefined;
  }
  return undefined;
}
