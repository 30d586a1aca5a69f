import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header that carries a delivery's signature. */
export const SIGNATURE_HEADER = 'fox-signature';

/** How far a signed timestamp may be from the receiver's clock by default (5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The `Fox-Signature` header of a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256>` over
 * `<t>.<raw body>` (the scheme Stripe and others use). The timestamp is inside the MAC, so a
 * captured request cannot be replayed later with a fresh time: receivers reject a `t` outside
 * their tolerance and may also remember the `Fox-Delivery` id to refuse exact replays.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, `${unixSeconds}.${body}`)}`;
}

function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

export type SignatureCheck =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'stale' };

/**
 * Checks a delivery's `Fox-Signature` header against the raw request body, as a receiver does
 * (constant-time compare; any `v1` may match, so a sender rotating secrets can send two).
 *
 * @example
 * const check = verifyWebhookSignature(secret, req.headers['fox-signature'], rawBody);
 * if (!check.ok) return res.writeHead(401).end();
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): SignatureCheck {
  if (!header) return { ok: false, reason: 'malformed' };
  let t: number | undefined;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === undefined || sigs.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(hmacHex(secret, `${t}.${body}`), 'hex');
  const match = sigs.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!match) return { ok: false, reason: 'mismatch' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true, timestamp: t };
}
