import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random token (256 bits, base64url): safe in a URL query without escaping. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Compares a presented token with the expected one in constant time. Both sides are hashed
 * first so that neither the length nor the position of the first differing byte leaks through
 * timing (`timingSafeEqual` alone requires equal lengths and would reveal the expected length).
 */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
