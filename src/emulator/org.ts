/** What every handler is given: the org's state, clock, keys, limits and settings. */
import type { Clock } from './clock.ts';
import type { FetchLimits } from './outbound.ts';
import type { OrgSigningKey } from './keys.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { OrgStore } from './store.ts';

export interface OrgSettings {
  /** Risk events calls allowed per minute, per provider. */
  eventsRateLimit: number;
  /** Calls per minute allowed on every other route (one bucket per method and path). */
  managementRateLimit: number;
  /** Bounds on the org's fetches of SSF providers' well-known documents and JWKS. */
  ssfFetch: FetchLimits;
  /** The org's users a SET may name by sign-in email (the super admin and any `users` option). */
  users: ReadonlyArray<{ id: string; login: string }>;
  /** The same users by lowercased login, for the SET receiver's lookups (a feed may name thousands). */
  usersByLogin: ReadonlyMap<string, { id: string; login: string }>;
  /** New service clients come DPoP-bound (`dpopByDefault`). */
  dpopByDefault: boolean;
}

export interface Org {
  readonly store: OrgStore;
  readonly clock: Clock;
  /** The admin API token (`Authorization: SSWS <token>`). */
  readonly apiToken: string;
  /** `https://example.okta.com`-style base URL, no trailing slash; the issuer and audience of org tokens. */
  readonly orgUrl: string;
  /** The org authorization server's signing key (keys.ts): its kid at once, the pair when it is made. */
  readonly signingKey: OrgSigningKey;
  readonly rateLimits: RateLimiter;
  readonly settings: OrgSettings;
}
