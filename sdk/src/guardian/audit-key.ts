import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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
 * Loads the key at `path`, creating it (mode 0600, directory 0700) on first use. `wx` makes two
 * processes racing to create it agree: the loser reads the winner's file.
 */
export function loadOrCreateAuditKey(path: string): AuditKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    try {
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  try {
    chmodSync(path, 0o600);
  } catch {
    // Not ours to chmod (read-only checkout): verification still works.
  }
  return auditKeyFrom(createPrivateKey(readFileSync(path, 'utf8')));
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
