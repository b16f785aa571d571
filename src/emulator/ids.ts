import { randomBytes, randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random bytes drawn from a pool refilled 4 KiB at a time: one syscall serves many ids. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

function randomChars(count: number): string {
  let out = '';
  while (out.length < count) {
    const b = randomByte();
    // 248 = 4 * 62: dropping the bytes above it keeps every character equally likely.
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

/**
 * An Okta-shaped object id: a three-character type prefix and 17 random characters, 20 in all, as in the
 * guide's `0oaaaboyxsbrWdsk81d6` (app) and `rkpa9y5jpfe8l4ktr1d6` (risk provider).
 */
export function oktaId(prefix: '0oa' | 'oag' | 'rkp' | '00u' | 'apt' | 'sse'): string {
  return prefix + randomChars(17);
}

/** The opaque `errorId` Okta puts in every error body. */
export function errorId(): string {
  return 'oae' + randomChars(22);
}

/** The value of `X-Okta-Request-Id`. */
export function requestId(): string {
  return randomChars(27);
}

/** Opaque identifiers for access tokens (`AT.` + 43 characters, as in Okta's samples). */
export function accessTokenJti(): string {
  return 'AT.' + randomBytes(32).toString('base64url');
}
