/**
 * Deactivating an app ends its access tokens for good: reactivation does not revive them. Okta documents
 * nothing here, so the emulator takes the stricter reading (listed in the README).
 *
 * Per app the store keeps one cutoff: the second (epoch seconds, as a token's `iat`) of the app's last
 * deactivation, plus the `jti`s of tokens issued within that same second after it (a token's `iat` alone
 * cannot tell them from tokens issued just before). Memory is bounded: one entry per app, dropped with the
 * app, and at most {@link MAX_SAME_SECOND_TOKENS} `jti`s in it.
 */
import { epochSeconds } from './clock.ts';
import type { Org } from './org.ts';

/** Tokens remembered as issued in the deactivation's own second; beyond this they are refused too (stricter). */
export const MAX_SAME_SECOND_TOKENS = 1000;

export interface TokenCutoff {
  /** Epoch seconds of the app's last deactivation. */
  second: number;
  /** `jti`s of tokens issued in `second` after the deactivation. */
  issuedAfter: Set<string>;
}

/** Called when an app is deactivated: every token issued up to now stops being valid. */
export function cutOffTokens(org: Org, appId: string): void {
  org.store.tokenCutoffs.set(appId, { second: epochSeconds(org.clock), issuedAfter: new Set() });
}

/** Called when the token endpoint issues a token, so a token minted in the deactivation's second still works. */
export function noteTokenIssued(org: Org, appId: string, iat: number, jti: string): void {
  const cutoff = org.store.tokenCutoffs.get(appId);
  if (cutoff && cutoff.second === iat && cutoff.issuedAfter.size < MAX_SAME_SECOND_TOKENS) cutoff.issuedAfter.add(jti);
}

/** Whether a token for `appId` with this `iat` and `jti` was issued after the app's last deactivation. */
export function issuedAfterCutoff(org: Org, appId: string, iat: number, jti: string): boolean {
  const cutoff = org.store.tokenCutoffs.get(appId);
  if (!cutoff) return true;
  if (iat !== cutoff.second) return iat > cutoff.second;
  return cutoff.issuedAfter.has(jti);
}
