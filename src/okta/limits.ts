/**
 * Every length limit and retention maximum of the Okta contract, in one place, for the emulator and the harness
 * alike. Neutral: it imports neither side.
 *
 * Each entry says where it comes from: a tag of `shared/reference/` (documented by Okta), or "Okta documents
 * none" and what the emulator chose instead. Where Okta is silent the choice is the stricter one that still
 * serves every request the guide and the harness make; the README's "Emulator choices" lists them too.
 * Lengths are counted in Unicode code points, as JSON Schema's `maxLength` counts them.
 */

/** Request bodies, in bytes. Okta documents none; 1 MiB is far above the largest valid request (20 × 50 subjects). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * How long the emulator keeps reading (and discarding) a refused oversized body before it closes the
 * connection, so the client reads the 400 instead of a reset (a lingering close). Emulator choice.
 */
export const OVERSIZED_BODY_LINGER_MS = 2000;
/** …and at most this many further bytes. Emulator choice. */
export const OVERSIZED_BODY_LINGER_BYTES = 16 * 1024 * 1024;

/**
 * A request target (path and query), in bytes. Okta documents none. 4 KiB is far above the longest request the
 * guide and the harness make (a System Log query of about 300 bytes), and keeps every response header that
 * reflects the target (`WWW-Authenticate`'s `resource`, the `Link` headers) well below the 16 KiB of headers
 * an HTTP client such as Node's reads.
 */
export const REQUEST_TARGET_MAX = 4096;

/** Risk provider `name`: "Must be less than 50 characters and unique" and `maxLength: 50` (okta-risk-api.md [R1][S1]). */
export const RISK_PROVIDER_NAME_MAX = 50;
/** At most 3 risk providers per org (okta-risk-api.md [R1][S1]). */
export const RISK_PROVIDERS_MAX = 3;
/**
 * Security Events Provider (SSF receiver) fields: `name` ≤ 100, `type` ≤ 255, `settings.issuer` ≤ 700, the URLs
 * ≤ 1000 (management OpenAPI 2025.08.0, `SecurityEventsProviderRequest` and its settings; ssf-dpop.md).
 */
export const SSF_PROVIDER_NAME_MAX = 100;
export const SSF_PROVIDER_TYPE_MAX = 255;
export const SSF_PROVIDER_ISSUER_MAX = 700;
export const SSF_PROVIDER_URL_MAX = 1000;
/** A SET `jti`, as kept for replay detection. Okta documents none; 256 as for DPoP proofs. Emulator choice. */
export const SET_JTI_MAX = 256;

/** Risk events per call (okta-risk-api.md [R2][S1]). */
export const RISK_EVENTS_PER_CALL_MAX = 20;
/** Subjects per risk event (okta-risk-api.md [R2][S1]). */
export const RISK_SUBJECTS_PER_EVENT_MAX = 50;
/** A subject's `message`: `maxLength: 512` (okta-risk-api.md §2.2 [S1]). */
export const RISK_MESSAGE_MAX = 512;

/**
 * DCR `client_name`. Okta documents none for `/oauth2/v1/clients` (okta-oauth-service-app.md lists it as the
 * only required field, with no length). The emulator chooses 100, the limit Okta documents for the name of a
 * Security Events Provider, its successor to the risk provider; the harness's `--provider-name` (≤ 50, the
 * risk provider's limit) always fits.
 */
export const CLIENT_NAME_MAX = 100;

/**
 * A URI in DCR metadata. Okta documents `maxLength: 1024` for `client_uri`, `logo_uri` and
 * `frontchannel_logout_uri` of the same client seen through the Apps API (management OpenAPI 2025.08.0,
 * `OpenIdConnectApplicationSettingsClient`); the emulator applies it to every URI of the metadata
 * (`redirect_uris` and `post_logout_redirect_uris` items, `jwks_uri`, `policy_uri`, `tos_uri`,
 * `initiate_login_uri`), for which Okta documents none.
 */
export const CLIENT_URI_MAX = 1024;

/**
 * An RSA key's modulus in DCR metadata, in bits. Okta documents the minimum (2048) and no maximum; the emulator
 * takes 8192, far above any key jose or Okta's guide makes, so one key cannot be a megabyte to store and check.
 */
export const JWK_RSA_MAX_BITS = 8192;

/**
 * Apps an org holds at once, and the client metadata they hold in all, in bytes of JSON. Okta publishes neither
 * (it limits app creation only by rate). The emulator's memory bound, as the 50 SSF providers are: 1,000 apps is
 * far above what parallel runs keep at once (each holds one, about 1 KB of metadata), and 16 MiB keeps a hostile
 * caller, whose every registration may be near the 1 MiB body limit, from filling memory with 1,000 of them.
 * A create beyond either is refused (400 E0000001 on `application`) until an app is deleted.
 */
export const APPS_MAX = 1000;
export const APPS_METADATA_BYTES_MAX = 16 * 1024 * 1024;

/** A JWK `kid` in DCR metadata. Okta documents none; the emulator takes the URI limit, 1024. */
export const JWK_KID_MAX = 1024;

/**
 * Request data the System Log keeps is cut, never refused: Okta logs a request whatever its headers, so a long
 * `User-Agent` must not turn an accepted call into an error. A cut value keeps its first characters and ends
 * in `...`, the whole at most the limit (`clipText`).
 *
 * A request's `User-Agent` as the System Log keeps it (`client.userAgent.rawUserAgent`). Okta documents no limit;
 * the emulator keeps 1024 characters (Node accepts headers up to 16 KiB), so one request cannot make each log
 * event 16 KiB.
 */
export const USER_AGENT_MAX = 1024;

/** The request target kept in `debugContext.debugData.requestUri` and `url`. Okta documents none. Emulator choice. */
export const LOG_URL_MAX = 2048;

/**
 * Other caller-controlled text copied into a System Log event (every `debugData` value: the risk signal list,
 * an SSF event, a refused token request's scope). Okta documents none. Emulator choice: 4096, the 4 KB the
 * SSF receiver already kept of an event.
 */
export const LOG_TEXT_MAX = 4096;

/** `outcome.reason`: `maxLength: 255` (management OpenAPI 2025.08.0, `LogOutcome`). */
export const LOG_OUTCOME_REASON_MAX = 255;

/** System Log `limit`: default 100, at most 1000 (okta-risk-api.md, System Log). */
export const SYSTEM_LOG_LIMIT_DEFAULT = 100;
export const SYSTEM_LOG_LIMIT_MAX = 1000;

/**
 * System Log retention. Okta keeps events 90 days (okta-risk-api.md, System Log); it documents no count. The
 * emulator also keeps at most 10,000 events and drops the oldest first, as retention would, so a long-running
 * emulator in CI stays bounded in memory. A poller never sees an event twice: cursors are positions, not indexes.
 */
export const SYSTEM_LOG_RETENTION_DAYS = 90;
export const SYSTEM_LOG_EVENTS_MAX = 10_000;

/**
 * A System Log page, in bytes of JSON. Okta documents only `limit` ≤ 1000 (okta-risk-api.md); a page of events
 * with large `debugData` could still be hundreds of megabytes. The emulator stops a page once it would pass
 * 1 MiB (a page always holds at least one event), and its `next` link continues from there.
 */
export const SYSTEM_LOG_PAGE_MAX_BYTES = 1024 * 1024;

/**
 * Risk signals kept for tests to count (`store.signals`). Not an Okta concept; oldest dropped first. 100,000:
 * the delivery tests count every one of 50,000 signals `send` delivers (about 25 MB at the maximum).
 */
export const CONSUMED_SIGNALS_MAX = 100_000;
/** SET events kept for tests to count (`store.securityEvents`). Not an Okta concept; oldest dropped first. */
export const RECEIVED_SECURITY_EVENTS_MAX = 100_000;

/*
 * Replay markers (`jti`s) are never dropped while the token they guard could still be accepted: a marker is
 * forgotten only once its assertion, SET or proof would fail its time check anyway. When a store is full of live
 * markers the request that would add one more is refused (the stricter way), and succeeds again as soon as
 * markers expire. Okta documents none of these maxima.
 */

/**
 * Client-assertion `jti` markers kept at once. A marker lives until its assertion's `exp` (at most an hour).
 * When 100,000 live markers are kept, a token request whose assertion carries a `jti` gets OAuth's
 * `temporarily_unavailable` (an assertion without `jti` is not remembered, so it is not refused). The token
 * route's rate limit (600 a minute) lets at most 36,000 assertions in within an hour, so only an org with its
 * limits raised can get there.
 */
export const ASSERTION_JTIS_MAX = 100_000;

/** SET `jti`s remembered at once, each for its 5-minute window; beyond that SETs are refused (`invalid_request`). */
export const SET_JTIS_MAX = 100_000;

/** DPoP proof `jti`s remembered at once, each for its 5-minute window; beyond that proofs get `temporarily_unavailable`. */
export const DPOP_JTIS_MAX = 100_000;

/** Verified access tokens cached at once (a cache, not a limit on tokens). Emulator choice. */
export const VERIFIED_TOKEN_CACHE_MAX = 1000;

/** A `client_assertion` form value, in characters. Okta documents none; a 4096-bit RS512 assertion is < 2 KiB. */
export const CLIENT_ASSERTION_MAX = 16 * 1024;

/**
 * `text` if it has at most `max` characters (code points), else its first `max - 3` characters and `...`: what the
 * System Log keeps of caller-controlled text. Never splits a surrogate pair, and a cut value is a copy, so it
 * does not keep the long original alive (V8 slices share their parent string). The marker is ASCII, not `…`, so
 * a cut ASCII value stays a one-byte string: half the memory.
 */
export function clipText(text: string, max: number): string {
  // UTF-16 length bounds the code-point count from above: the common short case costs one comparison.
  if (text.length <= max) return text;
  const marker = CLIP_MARKER.length;
  const kept = offsetAfter(text, max - marker);
  if (offsetAfter(text, marker, kept) >= text.length) return text;
  // A JSON round trip makes a flat copy, one byte per character where it can be (lone surrogates survive).
  return JSON.parse(JSON.stringify(text.slice(0, kept) + CLIP_MARKER)) as string;
}

const CLIP_MARKER = '...';

/** The UTF-16 offset `n` code points after `from` in `text` (or its length). */
function offsetAfter(text: string, n: number, from = 0): number {
  let i = from;
  for (let count = 0; count < n && i < text.length; count++) {
    const unit = text.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    i += pair ? 2 : 1;
  }
  return i;
}
