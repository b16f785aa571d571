/**
 * Okta's SSF receiver endpoint: `POST /security/api/v1/security-events` (`publishSecurityEventTokens`). No
 * auth header: the SET's signature, checked against the provider's JWKS, is the authentication. Success is
 * 202 with no body; every failure is 400 with RFC 8935's `{"err", "description"}`.
 *
 * The order of checks (the first failing rule wins; texts Okta does not document are the emulator's, listed
 * in the README):
 *  1. `Content-Type: application/secevent+jwt` → invalid_request.
 *  2. A compact JWS whose header and payload are JSON objects → invalid_request.
 *  3. Header: `typ` exactly `secevent+jwt`, `alg` RS256, `kid` a string → invalid_request.
 *  4. `iss` a string → invalid_request; an ACTIVE provider registered with exactly that issuer → invalid_issuer.
 *  5. The provider's JWKS, fetched (bounded, cached) → invalid_key; the key with the header's `kid`, refetched
 *     once on a miss, and the signature → authentication_failed (`Verification failed for kid=…`, as observed).
 *  6. `aud` exactly the org URL (a string) → invalid_audience.
 *  7. Claims: `jti` (≤ 256 characters), `iat` integer seconds, not in the future and at most 5 minutes old,
 *     no `exp` (SSF forbids it), `events` a non-empty object of the six accepted types, each with its required
 *     claims → invalid_request `Failed claim validation in security event token. '<path>': <text>, …`.
 *  8. A `jti` this issuer used before: 202, and the SET is ignored (Okta: "the second message is ignored").
 *  9. Each event whose subject is a known user's sign-in email is logged as
 *     `security.events.provider.receive_event`; others are accepted and silently dropped, as Okta documents.
 */
import { compactVerify, importJWK, type CryptoKey } from 'jose';
import {
  BLANK,
  claimFailureText,
  eventProblems,
  eventTypeRule,
  NOT_ALLOWED,
  NOT_AN_INTEGER,
  NOT_AN_OBJECT,
  NOT_A_STRING,
  SET_ALGORITHMS,
  SET_MEDIA_TYPE,
  SET_PATH,
  SET_TYP,
  subjectEmail,
  type ClaimProblem,
  type SetErrorCode,
} from '../okta/ssf.ts';
import { SET_JTI_MAX, SET_JTIS_MAX } from '../okta/limits.ts';
import { epochSeconds } from './clock.ts';
import { mediaType, type EmulatorRequest, type Reply, type Route } from './http.ts';
import { recordEvent } from './log-writer.ts';
import type { Org } from './org.ts';
import { fetchJsonObject, FetchProblem } from './outbound.ts';
import type { SecurityEventsProviderRecord } from './store.ts';

export const RECEIVE_EVENT = 'security.events.provider.receive_event';
const RECEIVE_MESSAGE = 'Security Events Provider Reported Risk';

/** How old a SET's `iat` may be. Okta documents no window; five minutes matches its DPoP proofs. */
export const MAX_SET_AGE_SECONDS = 300;
/** The longest `jti` kept for replay detection. */
export const MAX_JTI_LENGTH = SET_JTI_MAX;
/** At most this many `jti`s are remembered; beyond it (all still in their window) SETs are refused, never replayable. */
export const MAX_REMEMBERED_JTIS = SET_JTIS_MAX;
/** A fetched JWKS is reused this long (ms); a `kid` miss refetches at most once a minute. */
export const JWKS_CACHE_MS = 5 * 60_000;
const JWKS_REFETCH_MS = 60_000;
const MAX_CACHED_JWKS = 100;

/** An RFC 8935 error: `err` and a description. */
export class SetError extends Error {
  constructor(
    readonly err: SetErrorCode,
    readonly description: string,
    /** Why exactly; for tests, never sent. */
    readonly detail?: string,
  ) {
    super(description);
    this.name = 'SetError';
  }
}

function claimFailure(problems: ClaimProblem[]): SetError {
  return new SetError('invalid_request', claimFailureText(problems));
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const UNPARSABLE = 'The security event token cannot be parsed as a signed JWT.';

function parseSet(req: EmulatorRequest): { token: string; header: Record<string, unknown>; payload: Record<string, unknown> } {
  if (mediaType(req) !== SET_MEDIA_TYPE) {
    throw new SetError('invalid_request', `The request Content-Type must be ${SET_MEDIA_TYPE}.`);
  }
  const token = req.rawBody.toString('utf8');
  const parts = token.split('.');
  const header = parts.length === 3 ? decodeSegment(parts[0]!) : undefined;
  const payload = header ? decodeSegment(parts[1]!) : undefined;
  if (!header || !payload || !BASE64URL.test(parts[2]!)) throw new SetError('invalid_request', UNPARSABLE);
  if (header.typ !== SET_TYP) throw new SetError('invalid_request', `The security event token 'typ' header must be '${SET_TYP}'.`);
  if (typeof header.alg !== 'string' || !(SET_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new SetError('invalid_request', `The security event token must be signed with ${SET_ALGORITHMS.join(', ')}.`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new SetError('invalid_request', "The security event token 'kid' header is required.");
  return { token, header, payload };
}

function findProvider(org: Org, iss: unknown): SecurityEventsProviderRecord {
  if (iss === undefined || iss === '') throw claimFailure([{ path: 'iss', message: BLANK }]);
  if (typeof iss !== 'string') throw claimFailure([{ path: 'iss', message: NOT_A_STRING }]);
  for (const provider of org.store.securityEventsProviders.values()) {
    if (provider.issuer !== iss) continue;
    if (provider.status !== 'ACTIVE') throw new SetError('invalid_issuer', 'The security events provider for this issuer is not active.', `provider ${provider.id} is INACTIVE`);
    return provider;
  }
  throw new SetError('invalid_issuer', 'No security events provider is registered with this issuer.', `no provider has issuer ${iss}`);
}

// ---- The provider's keys ----

interface CachedJwks {
  keys: Array<Record<string, unknown>>;
  fetchedAt: number;
}

const jwksCaches = new WeakMap<Org, Map<string, CachedJwks>>();
const inFlight = new WeakMap<Org, Map<string, Promise<CachedJwks>>>();
const importedKeys = new WeakMap<object, CryptoKey>();

function cacheOf<T>(map: WeakMap<Org, Map<string, T>>, org: Org): Map<string, T> {
  let cache = map.get(org);
  if (!cache) map.set(org, (cache = new Map()));
  return cache;
}

/** Fetches a JWKS once however many SETs ask for it at the same time. */
function fetchJwks(org: Org, url: string): Promise<CachedJwks> {
  const pending = cacheOf(inFlight, org);
  const existing = pending.get(url);
  if (existing) return existing;
  const promise = (async () => {
    let doc: Record<string, unknown>;
    try {
      doc = await fetchJsonObject(url, org.settings.ssfFetch);
    } catch (error) {
      const reason = error instanceof FetchProblem ? error.reason : 'the fetch failed';
      throw new SetError('invalid_key', "The security events provider's JWKS could not be retrieved from its jwks_url.", reason);
    }
    if (!Array.isArray(doc.keys) || doc.keys.length === 0) {
      throw new SetError('invalid_key', "The security events provider's JWKS has no keys.", 'keys is missing, empty or not an array');
    }
    const keys = doc.keys.filter((k): k is Record<string, unknown> => typeof k === 'object' && k !== null && !Array.isArray(k));
    const entry = { keys, fetchedAt: org.clock.now() };
    const cache = cacheOf(jwksCaches, org);
    if (cache.size >= MAX_CACHED_JWKS) cache.clear();
    cache.set(url, entry);
    return entry;
  })();
  pending.set(url, promise);
  promise.then(
    () => pending.delete(url),
    () => pending.delete(url),
  );
  return promise;
}

function verificationFailed(kid: string, detail: string): SetError {
  return new SetError('authentication_failed', `Could not verify message signature, Verification failed for kid=${kid}`, detail);
}

async function keyFor(org: Org, provider: SecurityEventsProviderRecord, kid: string): Promise<CryptoKey> {
  const now = org.clock.now();
  let jwks = cacheOf(jwksCaches, org).get(provider.jwksUrl);
  if (!jwks || now - jwks.fetchedAt >= JWKS_CACHE_MS) jwks = await fetchJwks(org, provider.jwksUrl);
  let matches = jwks.keys.filter((k) => k.kid === kid);
  // A rotated key: look again, but not more than once a minute per JWKS.
  if (matches.length === 0 && now - jwks.fetchedAt >= JWKS_REFETCH_MS) {
    jwks = await fetchJwks(org, provider.jwksUrl);
    matches = jwks.keys.filter((k) => k.kid === kid);
  }
  if (matches.length === 0) throw verificationFailed(kid, `the JWKS has no key with kid ${kid}`);
  if (matches.length > 1) throw new SetError('invalid_key', "The security events provider's JWKS has several keys with this kid.", `${matches.length} keys share kid ${kid}`);
  const jwk = matches[0]!;
  if (jwk.kty !== 'RSA') throw verificationFailed(kid, `the key is ${String(jwk.kty)}, not RSA`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new SetError('invalid_key', "The security events provider's key is not a signing key.", `use is ${String(jwk.use)}`);
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') throw verificationFailed(kid, `the key is for ${String(jwk.alg)}`);
  if (typeof jwk.d === 'string') throw new SetError('invalid_key', "The security events provider's JWKS publishes a private key.", 'the key has a private member');
  const cached = importedKeys.get(jwk);
  if (cached) return cached;
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string' || !BASE64URL.test(jwk.n) || !BASE64URL.test(jwk.e)) {
    throw new SetError('invalid_key', "The security events provider's key cannot be read.", 'n or e is not base64url');
  }
  try {
    const key = (await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256')) as CryptoKey;
    importedKeys.set(jwk, key);
    return key;
  } catch (error) {
    throw new SetError('invalid_key', "The security events provider's key cannot be read.", (error as Error).message);
  }
}

// ---- Claims ----

interface AcceptedSet {
  jti: string;
  iat: number;
  events: Array<{ uri: string; event: Record<string, unknown> }>;
}

function checkClaims(org: Org, payload: Record<string, unknown>): AcceptedSet {
  const problems: ClaimProblem[] = [];
  const { jti, iat, exp, events } = payload;
  if (jti === undefined || jti === '') problems.push({ path: 'jti', message: BLANK });
  else if (typeof jti !== 'string') problems.push({ path: 'jti', message: NOT_A_STRING });
  else if (jti.length > MAX_JTI_LENGTH) problems.push({ path: 'jti', message: `The field must be at most ${MAX_JTI_LENGTH} characters` });
  const now = epochSeconds(org.clock);
  if (iat === undefined) problems.push({ path: 'iat', message: BLANK });
  else if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) problems.push({ path: 'iat', message: NOT_AN_INTEGER });
  else if (iat > now) problems.push({ path: 'iat', message: 'The token is issued in the future' });
  else if (iat < now - MAX_SET_AGE_SECONDS) problems.push({ path: 'iat', message: 'The token is issued more than five minutes in the past' });
  if (exp !== undefined) problems.push({ path: 'exp', message: 'A security event token must not carry an expiration' });
  const accepted: AcceptedSet['events'] = [];
  if (events === undefined) problems.push({ path: 'events', message: BLANK });
  else if (typeof events !== 'object' || events === null || Array.isArray(events)) problems.push({ path: 'events', message: NOT_AN_OBJECT });
  else if (Object.keys(events).length === 0) problems.push({ path: 'events', message: BLANK });
  else {
    for (const [uri, event] of Object.entries(events as Record<string, unknown>)) {
      const rule = eventTypeRule(uri);
      if (!rule) {
        problems.push({ path: 'events', message: `${NOT_ALLOWED} (${uri.length > 200 ? `${uri.slice(0, 200)}…` : uri})` });
        continue;
      }
      const found = eventProblems(rule, event);
      problems.push(...found);
      if (found.length === 0) accepted.push({ uri, event: event as Record<string, unknown> });
    }
  }
  if (problems.length > 0) throw claimFailure(problems);
  return { jti: jti as string, iat: iat as number, events: accepted };
}

function consume(req: EmulatorRequest, org: Org, provider: SecurityEventsProviderRecord, set: AcceptedSet): void {
  for (const { uri, event } of set.events) {
    const email = subjectEmail(event)?.toLowerCase();
    const user = email === undefined ? undefined : org.settings.usersByLogin.get(email);
    // Okta: an event for an email that is no user's sign-in is accepted and silently ignored.
    if (!user) continue;
    org.store.addSecurityEvent({ providerId: provider.id, jti: set.jti, eventType: uri, userId: user.id });
    recordEvent(org, req, {
      eventType: RECEIVE_EVENT,
      displayMessage: RECEIVE_MESSAGE,
      actor: { id: provider.id, type: 'SecurityEventProvider', alternateId: provider.issuer, displayName: provider.name, detailEntry: null },
      target: [{ id: user.id, type: 'User', alternateId: user.login, displayName: user.login, detailEntry: null }],
      // Cut to LOG_TEXT_MAX by the log writer, as every debugData value is.
      debugData: { partnerRiskReportData: JSON.stringify({ issuer: provider.issuer, eventType: uri, event }) },
    });
  }
}

async function receive(req: EmulatorRequest, org: Org): Promise<void> {
  const { token, header, payload } = parseSet(req);
  const provider = findProvider(org, payload.iss);
  const kid = header.kid as string;
  const key = await keyFor(org, provider, kid);
  try {
    await compactVerify(token, key, { algorithms: [...SET_ALGORITHMS] });
  } catch (error) {
    throw verificationFailed(kid, (error as Error).message);
  }
  if (payload.aud !== org.orgUrl) {
    throw new SetError('invalid_audience', "The security event token 'aud' claim must be this org's URL.", `aud ${JSON.stringify(payload.aud)} is not ${org.orgUrl}`);
  }
  const set = checkClaims(org, payload);
  // No await from here on: a concurrent replay cannot slip between the check and the record.
  const key2 = `${provider.issuer}\n${set.jti}`;
  if (org.store.setJtis.has(key2, org.clock.now())) return;
  // Full of live jtis: refused rather than one forgotten early (src/okta/limits.ts).
  if (!org.store.setJtis.remember(key2, (set.iat + MAX_SET_AGE_SECONDS + 1) * 1000, org.clock.now())) {
    throw new SetError('invalid_request', 'The org is holding too many recent security event tokens; send again later.');
  }
  consume(req, org, provider, set);
}

export const securityEventsRoutes: Route[] = [
  {
    method: 'POST',
    path: SET_PATH,
    // Authenticated by the SET's signature, not by authenticate(): one shared bucket, as before.
    rateLimit: 'route',
    async handler(req, org): Promise<Reply> {
      try {
        await receive(req, org);
        return { status: 202 };
      } catch (error) {
        if (error instanceof SetError) return { status: 400, body: { err: error.err, description: error.description } };
        throw error;
      }
    },
  },
];
