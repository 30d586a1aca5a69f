import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeDurably } from './durable-file.js';

/** The project's Ed25519 audit signing key, kept in a PEM file outside the database. */
export interface AuditKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SHA-256-free short id: the raw public key, base64url (identifies the signer). */
  readonly keyId: string;
  sign(message: string): string;
  verify(message: string, signature: string): boolean;
}

/**
 * Loads the key at `path`, creating it (mode 0600, directory 0700) on first use.
 *
 * Processes starting together on a new project all try to create it, and must all end up with
 * the same key. So a new key is written and fsynced to a temp file first, then hard-linked into
 * place: the link appears whole or not at all, and fails with EEXIST if another process won, in
 * which case this one reads the winner's key. Writing the file in place (even with `wx`) would
 * let a loser read it half-written; renaming would overwrite the winner.
 */
export function loadOrCreateAuditKey(path: string): AuditKey {
  if (!existsSync(path)) createKeyFile(path);
  try {
    chmodSync(path, 0o600);
  } catch {
    // Not ours to chmod (read-only checkout): verification still works.
  }
  return auditKeyFrom(createPrivateKey(readFileSync(path, 'utf8')));
}

/** What `link` fails with where the file system has no hard links (some network and FUSE mounts). */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Writes a new key to `path` unless one is there; never replaces an existing file. */
function createKeyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  // Same directory, so the link stays on one file system; unique per process and call.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    // On disk before it becomes visible under its name: a crash never leaves a torn key.
    writeDurably(temp, pem, 'wx');
    try {
      linkSync(temp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (!LINK_UNSUPPORTED.has(code ?? '')) throw err;
      // A file system without hard links: an exclusive copy still never replaces the winner.
      try {
        copyFileSync(temp, path, constants.COPYFILE_EXCL);
      } catch (copyErr) {
        if ((copyErr as NodeJS.ErrnoException).code !== 'EEXIST') throw copyErr;
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

export function auditKeyFrom(privateKey: KeyObject): AuditKey {
  const publicKey = createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    publicKey,
    keyId: Buffer.from(raw.subarray(raw.length - 32)).toString('base64url'),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
    verify: (message, signature) => {
      try {
        return verify(
          null,
          Buffer.from(message, 'utf8'),
          publicKey,
          Buffer.from(signature, 'base64'),
        );
      } catch {
        return false;
      }
    },
  };
}
