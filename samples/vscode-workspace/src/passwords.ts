import { pbkdf2Sync, randomBytes } from 'node:crypto';

/** Key derivation: CPU-heavy, and it runs on the event loop (the analyser flags FOX001). */
export class Passwords {
  derive(password: string, salt = randomBytes(16)): Buffer {
    if (!password) throw new Error('empty password');
    return pbkdf2Sync(password, salt, 310_000, 32, 'sha256');
  }
}
