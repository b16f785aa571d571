/**
 * When the org's access tokens stop being valid before they expire. Okta documents neither case below, so the
 * emulator takes the stricter reading of each (listed in the README):
 * - Deactivating an app ends every token issued to it so far, for good: reactivation does not revive them.
 * - Revoking a scope grant (`DELETE /api/v1/apps/{appId}/grants/{grantId}`) ends every token issued to the app
 *   so far that carries the grant's scope, on every route (a revoked token is invalid, not trimmed to its other
 *   scopes), even after the grant is created again. Tokens issued after the re-grant work.
 * A refused token gets the answer of any invalid token (401 E0000011); `auth.ts` asks {@link TokenCutoffs.allows}.
 *
 * A cutoff is the second (epoch seconds, as a token's `iat`) it was made in, plus the `jti`s of tokens issued
 * later within that same second (a token's `iat` alone cannot tell them from tokens issued just before).
 *
 * Memory is bounded: at most {@link TOKEN_CUTOFFS_MAX} cutoffs (one per app for deactivation, one per app and
 * revoked scope), dropped with the app, and at most {@link SAME_SECOND_TOKENS_MAX} remembered `jti`s in all.
 * When the table is full, cutoffs older than a token's lifetime are dropped (every token they refuse has
 * expired); if that frees nothing, one org-wide cutoff replaces them all, ending every token issued so far
 * (stricter: clients fetch new tokens, and no refused token is ever revived). A token issued in a cutoff's
 * second once the `jti` budget is spent is refused too (stricter).
 */
import { epochSeconds, type Clock } from './clock.ts';

/** Okta fixes org-AS access tokens at one hour. (Re-exported by `token.ts`, which mints them.) */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

/** Cutoffs kept at once, deactivations and revoked grants together. Emulator choice; Okta documents none. */
export const TOKEN_CUTOFFS_MAX = 10_000;

/** `jti`s remembered as issued in their cutoff's own second, over all cutoffs. Emulator choice. */
export const SAME_SECOND_TOKENS_MAX = 10_000;

interface Cutoff {
  /** Epoch seconds of the deactivation or revocation. */
  second: number;
  /** `jti`s of tokens issued in `second` after it. */
  issuedAfter: Set<string>;
}

interface AppCutoffs {
  /** The app's last deactivation. */
  deactivated?: Cutoff;
  /** Per scope, the last revocation of the app's grant of it. */
  revoked: Map<string, Cutoff>;
}

/** The org's token cutoffs (`store.tokenCutoffs`). */
export class TokenCutoffs {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #apps = new Map<string, AppCutoffs>();
  /** Set only when the table overflowed: ends every token issued up to it. */
  #org: Cutoff | undefined;
  #count = 0;
  #sameSecondJtis = 0;

  /** @param max cutoffs kept at once; default {@link TOKEN_CUTOFFS_MAX} (tests pass a small one). */
  constructor(clock: Clock, max = TOKEN_CUTOFFS_MAX) {
    this.#clock = clock;
    this.#max = max;
  }

  /** How many cutoffs are kept (the org-wide one included). */
  get size(): number {
    return this.#count + (this.#org ? 1 : 0);
  }

  /** Whether any cutoff is kept for `appId`. */
  has(appId: string): boolean {
    return this.#apps.has(appId);
  }

  /** The app was deactivated: every token issued to it up to now stops being valid. */
  deactivated(appId: string): void {
    this.#set(appId, undefined);
  }

  /** The app's grant of `scope` was revoked: every token issued to it up to now that carries `scope` stops. */
  revoked(appId: string, scope: string): void {
    this.#set(appId, scope);
  }

  /** The token endpoint issued a token, so a token minted in a cutoff's own second still works. */
  noteIssued(appId: string, scopes: readonly string[], iat: number, jti: string): void {
    for (const cutoff of this.#applying(appId, scopes)) {
      if (cutoff.second !== iat || this.#sameSecondJtis >= SAME_SECOND_TOKENS_MAX) continue;
      cutoff.issuedAfter.add(jti);
      this.#sameSecondJtis++;
    }
  }

  /** Whether a token for `appId` carrying `scopes`, with this `iat` and `jti`, was issued after every cutoff that applies. */
  allows(appId: string, scopes: readonly string[], iat: number, jti: string): boolean {
    for (const cutoff of this.#applying(appId, scopes)) {
      if (iat === cutoff.second ? !cutoff.issuedAfter.has(jti) : iat < cutoff.second) return false;
    }
    return true;
  }

  /** Forgets an app's cutoffs (the app was deleted: its tokens are refused for that reason). */
  delete(appId: string): void {
    const app = this.#apps.get(appId);
    if (!app) return;
    if (app.deactivated) this.#drop(app.deactivated);
    for (const cutoff of app.revoked.values()) this.#drop(cutoff);
    this.#apps.delete(appId);
  }

  clear(): void {
    this.#apps.clear();
    this.#org = undefined;
    this.#count = 0;
    this.#sameSecondJtis = 0;
  }

  *#applying(appId: string, scopes: readonly string[]): Iterable<Cutoff> {
    if (this.#org) yield this.#org;
    const app = this.#apps.get(appId);
    if (!app) return;
    if (app.deactivated) yield app.deactivated;
    for (const scope of scopes) {
      const cutoff = app.revoked.get(scope);
      if (cutoff) yield cutoff;
    }
  }

  #set(appId: string, scope: string | undefined): void {
    const second = epochSeconds(this.#clock);
    const existing = this.#apps.get(appId);
    const replaced = scope === undefined ? existing?.deactivated : existing?.revoked.get(scope);
    if (replaced) this.#drop(replaced);
    else if (this.#count >= this.#max && !this.#pruneExpired(second)) return this.#endEveryToken(second);
    const app = this.#apps.get(appId) ?? { revoked: new Map<string, Cutoff>() };
    this.#apps.set(appId, app);
    const cutoff = { second, issuedAfter: new Set<string>() };
    if (scope === undefined) app.deactivated = cutoff;
    else app.revoked.set(scope, cutoff);
    this.#count++;
  }

  /** Drops the cutoffs every token of which has expired; true when that freed room. */
  #pruneExpired(now: number): boolean {
    const expired = (cutoff: Cutoff) => cutoff.second + ACCESS_TOKEN_LIFETIME_SECONDS <= now;
    for (const [appId, app] of this.#apps) {
      if (app.deactivated && expired(app.deactivated)) {
        this.#drop(app.deactivated);
        delete app.deactivated;
      }
      for (const [scope, cutoff] of app.revoked) {
        if (!expired(cutoff)) continue;
        this.#drop(cutoff);
        app.revoked.delete(scope);
      }
      if (!app.deactivated && app.revoked.size === 0) this.#apps.delete(appId);
    }
    return this.#count < this.#max;
  }

  /** The table is full of live cutoffs: one org-wide cutoff now refuses every token any of them refused, and more. */
  #endEveryToken(second: number): void {
    this.clear();
    this.#org = { second, issuedAfter: new Set() };
  }

  #drop(cutoff: Cutoff): void {
    this.#count--;
    this.#sameSecondJtis -= cutoff.issuedAfter.size;
  }
}
