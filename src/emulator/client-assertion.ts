/**
 * `private_key_jwt` client authentication at the org authorization server, as node-oidc-provider's
 * `client_auth.js` / `jwt_client_auth.js` do it: a fixed order of checks, one Okta catalog error per rule, the
 * public text from `OAUTH_ERRORS` and the precise reason in `OAuthError.detail`. The first failing rule wins.
 *
 * The order (steps 1 and 12 live in `token.ts`, the rest here):
 *  1. Request (token.ts): form content type, no credentials in the query, no duplicated parameters, grant_type
 *     present and `client_credentials`, exactly one kind of client credentials, and it is a client_assertion.
 *  2. `client_assertion_type` is exactly `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
 *     → client_assertion_type_invalid.
 *  3. Parse: at most `CLIENT_ASSERTION_MAX` characters, three base64url parts, header and payload JSON objects,
 *     registered claims of their JWT types → client_assertion_invalid_jwt; a header with `b64` (RFC 7797) or
 *     `crit` → invalid_client.
 *  4. `alg` in RS256 RS384 RS512 ES256 ES384 ES512 → client_assertion_invalid_signature_algorithm.
 *  5. `iss` names a known client → client_assertion_invalid_issuer; `sub` = `iss` → client_assertion_invalid_subject;
 *     a `client_id` form parameter, when sent, = `iss` → invalid_client.
 *  6. The client: ACTIVE → invalid_client; private_key_jwt → unsupported_auth_method_client_creds; application_type
 *     service → invalid_application_type_client_credentials; grant_types has client_credentials → unauthorized_client.
 *  7. `aud` is exactly the token URL (a string or a one-member array) → client_assertion_invalid_audience.
 *  8. Times, with no clock tolerance: `exp` an integer → client_assertion_expiration_required; `exp` > now →
 *     client_assertion_expired_token; `exp` ≤ now + 3600 → client_assertion_expires_too_far_in_future; `iat` and
 *     `nbf`, when present, ≤ now → client_assertion_issued_at_in_future.
 *  9. Key: a JWKS → client_assertion_jwks_not_configured; the active key with the header `kid`, or the sole active
 *     key when there is no `kid` → client_assertion_invalid_kid; `use` sig → client_assertion_not_signed_with_signing_key;
 *     `kty`/`crv`/`alg` fit the header `alg` → client_assertion_invalid_signature; importable → client_assertion_invalid_jwks.
 * 10. Signature → client_assertion_invalid_signature.
 * 11. `jti`, when present, not seen before for this client → client_assertion_already_used.
 * 12. Scopes (token.ts): present → missing_scopes; no `openid` → openid_not_allowed_client_creds; all granted → invalid_scope.
 */
import { compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import { CLIENT_ASSERTION_MAX } from '../okta/limits.ts';
import { OAuthError, type OAuthErrorCode } from './errors.ts';
import type { Org } from './org.ts';
import type { AppRecord, StoredJwk } from './store.ts';

/** The only `client_assertion_type` Okta accepts. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The assertion algorithms Okta documents for `private_key_jwt`. */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;

/** Okta refuses an assertion that expires more than an hour after it is received. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 3600;

const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** What the caller learns while the assertion is checked; `app` is set as soon as `iss` names a client. */
export interface AssertionContext {
  app?: AppRecord;
}

export interface ClientAssertionInput {
  /** The `client_assertion_type` form parameter, if sent. */
  assertionType: string | undefined;
  /** The `client_assertion` form parameter. */
  assertion: string;
  /** The `client_id` form parameter, if sent. */
  clientId: string | undefined;
}

/** A checked assertion's single-use marker: record it with `rememberJti` once the request has succeeded. */
export interface JtiRecord {
  key: string;
  /** When the marker may be forgotten (the assertion's `exp`, in milliseconds). */
  expiresAt: number;
}

export interface AuthenticatedClient {
  app: AppRecord;
  /** Undefined when the assertion carries no `jti` (Okta lets such assertions be reused). */
  jti: JtiRecord | undefined;
}

function fail(code: OAuthErrorCode, detail: string, arg?: string): OAuthError {
  return new OAuthError(code, { detail, arg });
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJsonObject(segment: string, name: string): Record<string, unknown> {
  if (segment === '' || !BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw fail('client_assertion_invalid_jwt', `the ${name} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw fail('client_assertion_invalid_jwt', `the ${name} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('client_assertion_invalid_jwt', `the ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Step 3: a JWS in compact form whose registered claims have their RFC 7519 types (`exp` is step 8's). */
function parseAssertion(assertion: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  if (assertion.length > CLIENT_ASSERTION_MAX) throw fail('client_assertion_invalid_jwt', `${assertion.length} characters, over ${CLIENT_ASSERTION_MAX}`);
  const parts = assertion.split('.');
  const header = decodeJsonObject(parts[0]!, 'header');
  // JWS options Okta does not document (RFC 7797's unencoded payload, any critical extension) are refused
  // before the parts are counted: an unencoded payload may itself hold dots.
  if ('b64' in header) throw fail('invalid_client', `the header carries b64 ${JSON.stringify(header.b64)} (RFC 7797), which Okta does not document`);
  if ('crit' in header) throw fail('invalid_client', `the header carries crit ${JSON.stringify(header.crit)}, which Okta does not document`);
  if (parts.length !== 3) throw fail('client_assertion_invalid_jwt', `${parts.length} dot-separated parts, not 3`);
  const payload = decodeJsonObject(parts[1]!, 'payload');
  if (!BASE64URL.test(parts[2]!)) throw fail('client_assertion_invalid_jwt', 'the signature is not base64url');
  for (const claim of ['iat', 'nbf'] as const) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw fail('client_assertion_invalid_jwt', `${claim} is not a number`);
    }
  }
  if (payload.jti !== undefined && (typeof payload.jti !== 'string' || payload.jti === '')) {
    throw fail('client_assertion_invalid_jwt', 'jti is not a non-empty string');
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') throw fail('client_assertion_invalid_jwt', 'kid is not a string');
  return { header, payload };
}

/** Step 6: what the client itself must be for a client_credentials request at the org AS. */
function checkClient(app: AppRecord): void {
  const { metadata } = app;
  if (app.status !== 'ACTIVE') throw fail('invalid_client', `client ${app.id} is ${app.status}`);
  if (metadata.token_endpoint_auth_method !== 'private_key_jwt') {
    throw fail('unsupported_auth_method_client_creds', `client ${app.id} uses ${metadata.token_endpoint_auth_method}`);
  }
  if (metadata.application_type !== 'service') {
    throw fail('invalid_application_type_client_credentials', `client ${app.id} is a ${metadata.application_type} app`);
  }
  if (!metadata.grant_types.includes('client_credentials')) {
    throw fail('unauthorized_client', `client ${app.id} lacks client_credentials`, metadata.grant_types.join(', '));
  }
}

/** Step 7: the token URL exactly; Okta compares the endpoint invoked, so no trailing slash, no bare org URL. */
function checkAudience(aud: unknown, tokenUrl: string): void {
  const ok = aud === tokenUrl || (Array.isArray(aud) && aud.length === 1 && aud[0] === tokenUrl);
  if (!ok) throw fail('client_assertion_invalid_audience', `aud ${JSON.stringify(aud)} is not ${tokenUrl}`);
}

/**
 * Step 8, with no clock tolerance (compared in milliseconds, so a fractional `iat` is judged exactly):
 * `exp = now + 3600` passes and `now + 3601` does not; `exp = now` has expired; `iat = now` passes.
 */
function checkTimes(payload: Record<string, unknown>, nowMs: number): number {
  const { exp, iat, nbf } = payload;
  const now = nowMs / 1000;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) {
    throw fail('client_assertion_expiration_required', `exp is ${JSON.stringify(exp) ?? 'missing'}, not integer seconds`);
  }
  if (exp <= now) throw fail('client_assertion_expired_token', `exp ${exp} is not after now ${now}`);
  if (exp > now + MAX_ASSERTION_LIFETIME_SECONDS) {
    throw fail('client_assertion_expires_too_far_in_future', `exp ${exp} is more than ${MAX_ASSERTION_LIFETIME_SECONDS}s after now ${now}`);
  }
  if (typeof iat === 'number' && iat > now) throw fail('client_assertion_issued_at_in_future', `iat ${iat} is after now ${now}`);
  if (typeof nbf === 'number' && nbf > now) throw fail('client_assertion_issued_at_in_future', `nbf ${nbf} is after now ${now}`);
  return exp;
}

/** Okta stores `use: null` (and other null members); jose treats null members as set, so they go first. */
function withoutNulls(jwk: StoredJwk): Record<string, unknown> {
  return Object.fromEntries(Object.entries(jwk).filter(([, v]) => v !== null));
}

/** Step 9: Okta's documented selection (kid when present, else the sole key), then the key's fitness for `alg`. */
async function selectKey(app: AppRecord, header: Record<string, unknown>, alg: string): Promise<CryptoKey> {
  const stored = app.metadata.jwks?.keys;
  if (!Array.isArray(stored) || stored.length === 0) {
    throw fail('client_assertion_jwks_not_configured', `client ${app.id} has no jwks${app.metadata.jwks_uri ? ' (jwks_uri is not fetched)' : ''}`);
  }
  const active = stored.map(withoutNulls).filter((k) => k.status !== 'INACTIVE');
  const kid = header.kid as string | undefined;
  let candidates: Array<Record<string, unknown>>;
  if (kid !== undefined) {
    candidates = active.filter((k) => k.kid === kid);
    if (candidates.length === 0) throw fail('client_assertion_invalid_kid', `no active key has kid ${kid}`);
    if (candidates.length > 1) throw fail('client_assertion_invalid_jwks', `${candidates.length} keys share kid ${kid}`);
  } else {
    candidates = active;
    if (candidates.length !== 1) throw fail('client_assertion_invalid_kid', `no kid, and the client has ${candidates.length} active keys`);
  }
  const jwk = candidates[0]!;
  if (jwk.use !== undefined && jwk.use !== 'sig') throw fail('client_assertion_not_signed_with_signing_key', `key use is ${String(jwk.use)}`);
  const wantedKty = alg.startsWith('RS') ? 'RSA' : 'EC';
  if (jwk.kty !== wantedKty) throw fail('client_assertion_invalid_signature', `a ${String(jwk.kty)} key cannot verify ${alg}`);
  if (wantedKty === 'EC' && jwk.crv !== EC_CURVES[alg]) throw fail('client_assertion_invalid_signature', `curve ${String(jwk.crv)} cannot verify ${alg}`);
  if (jwk.alg !== undefined && jwk.alg !== alg) throw fail('client_assertion_invalid_signature', `the key is for ${String(jwk.alg)}, the assertion uses ${alg}`);
  // Only the public members: a stored private member must never turn verification into something else.
  const members = wantedKty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
  const publicJwk = Object.fromEntries(members.map((m) => [m, jwk[m]])) as JWK;
  // Node decodes base64url leniently; a malformed member must not import as some other key.
  const malformed = members.slice(1).filter((m) => typeof jwk[m] !== 'string' || jwk[m] === '' || !BASE64URL.test(jwk[m] as string));
  if (malformed.length > 0) throw fail('client_assertion_invalid_jwks', `key members ${malformed.join(', ')} are not base64url`);
  // Importing a key is costly; the stored JWK object is replaced, never changed, when a client is updated.
  const cacheKey = `${alg} ${members.map((m) => jwk[m]).join('.')}`;
  const cached = importedKeys.get(jwk)?.get(cacheKey);
  if (cached) return cached;
  try {
    const key = await importJWK(publicJwk, alg);
    if (key instanceof Uint8Array) throw new TypeError('symmetric key');
    let perJwk = importedKeys.get(jwk);
    if (!perJwk) importedKeys.set(jwk, (perJwk = new Map()));
    perJwk.set(cacheKey, key);
    return key;
  } catch (error) {
    throw fail('client_assertion_invalid_jwks', `the key does not import: ${(error as Error).message}`);
  }
}

/** Imported public keys, per stored JWK object and algorithm. */
const importedKeys = new WeakMap<object, Map<string, CryptoKey>>();

/**
 * Steps 2 to 11: authenticates the client behind a `private_key_jwt` assertion, or throws the first rule's
 * `OAuthError`. Changes nothing: the caller records the returned `jti` with `rememberJti`, in the same tick as
 * this function resolves, once the whole request has passed.
 */
export async function authenticateClientAssertion(org: Org, input: ClientAssertionInput, context: AssertionContext = {}): Promise<AuthenticatedClient> {
  if (input.assertionType !== JWT_BEARER_ASSERTION_TYPE) {
    throw fail('client_assertion_type_invalid', `client_assertion_type is ${JSON.stringify(input.assertionType) ?? 'missing'}`);
  }
  const { header, payload } = parseAssertion(input.assertion);

  const alg = header.alg;
  if (typeof alg !== 'string' || !(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) {
    throw fail('client_assertion_invalid_signature_algorithm', `alg ${JSON.stringify(alg) ?? 'missing'} is not allowed`);
  }

  const iss = payload.iss;
  const app = typeof iss === 'string' ? org.store.apps.get(iss) : undefined;
  if (!app) throw fail('client_assertion_invalid_issuer', typeof iss === 'string' ? `no client ${iss}` : 'iss is missing or not a string');
  context.app = app;
  if (payload.sub !== iss) throw fail('client_assertion_invalid_subject', `sub ${JSON.stringify(payload.sub) ?? 'missing'} is not iss ${iss}`);
  if (input.clientId !== undefined && input.clientId !== iss) throw fail('invalid_client', `client_id ${input.clientId} is not iss ${iss}`);

  checkClient(app);
  checkAudience(payload.aud, `${org.orgUrl}/oauth2/v1/token`);
  const exp = checkTimes(payload, org.clock.now());

  const key = await selectKey(app, header, alg);
  try {
    await compactVerify(input.assertion, key, { algorithms: [alg] });
  } catch (error) {
    throw fail('client_assertion_invalid_signature', `verification failed: ${(error as Error).message}`);
  }

  // No await from here to the caller's rememberJti: a concurrent replay cannot slip between check and record.
  // A marker counts until its assertion's exp, whether or not a sweep has removed it since.
  let jti: JtiRecord | undefined;
  if (typeof payload.jti === 'string') {
    jti = { key: `${app.id}:${payload.jti}`, expiresAt: exp * 1000 };
    if (org.store.usedJtis.has(jti.key, org.clock.now())) throw fail('client_assertion_already_used', `jti ${payload.jti} was used before`);
  }
  return { app, jti };
}

/**
 * Marks an assertion's `jti` as used until the assertion expires. Call only when the request has succeeded.
 * When the org already holds `ASSERTION_JTIS_MAX` live markers it throws `temporarily_unavailable` instead of
 * forgetting one early, so no assertion ever becomes replayable (`src/okta/limits.ts`).
 */
export function rememberJti(org: Org, jti: JtiRecord | undefined): void {
  if (!jti) return;
  const { usedJtis } = org.store;
  if (!usedJtis.remember(jti.key, jti.expiresAt, org.clock.now())) {
    throw fail('temporarily_unavailable', `the org holds ${usedJtis.max} client-assertion jtis that have not expired yet`);
  }
}
