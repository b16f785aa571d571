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

/** Risk provider `name`: "Must be less than 50 characters and unique" and `maxLength: 50` (okta-risk-api.md [R1][S1]). */
export const RISK_PROVIDER_NAME_MAX = 50;
/** At most 3 risk providers per org (okta-risk-api.md [R1][S1]). */
export const RISK_PROVIDERS_MAX = 3;
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
 * A request's `User-Agent` as the System Log keeps it (`client.userAgent.rawUserAgent`). Okta documents no limit;
 * the emulator keeps the first 1024 characters (Node accepts headers up to 16 KiB) and drops the rest, so one
 * request cannot make each log event 16 KiB.
 */
export const USER_AGENT_MAX = 1024;

/** Other caller-controlled text copied into a System Log event (`debugData` values). Emulator choice. */
export const LOG_TEXT_MAX = 500;

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

/** Risk signals kept for tests to count (`store.signals`). Not an Okta concept; oldest dropped first. */
export const CONSUMED_SIGNALS_MAX = 100_000;

/**
 * Client-assertion `jti` markers kept at once. Okta documents none. A marker lives until its assertion's `exp`
 * (at most an hour). Beyond 100,000 the oldest marker is dropped, and every assertion that expires no later than
 * the latest dropped marker is refused as `client_assertion_already_used`: dropping a marker never makes an
 * assertion replayable.
 */
export const ASSERTION_JTIS_MAX = 100_000;

/** SET `jti`s remembered at once (beyond that SETs are refused, never made replayable). Emulator choice. */
export const SET_JTIS_MAX = 100_000;

/** Verified access tokens cached at once (a cache, not a limit on tokens). Emulator choice. */
export const VERIFIED_TOKEN_CACHE_MAX = 1000;

/** A `client_assertion` form value, in characters. Okta documents none; a 4096-bit RS512 assertion is < 2 KiB. */
export const CLIENT_ASSERTION_MAX = 16 * 1024;
