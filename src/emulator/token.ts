/**
 * The org authorization server: `POST /oauth2/v1/token` (client_credentials with `private_key_jwt` only),
 * `GET /oauth2/v1/keys` and the two discovery documents.
 *
 * The token endpoint checks a request in a fixed order, documented in `client-assertion.ts`: step 1 (the
 * request) and step 12 (the scopes) are here, steps 2 to 11 (the client assertion) there. Every check runs
 * before anything changes; the only state a success changes is the assertion's `jti` marker. Every outcome is
 * written to the System Log (`app.oauth2.token.grant.access_token` on success, `app.oauth2.token.grant` on
 * failure: the org-AS event types of Okta's catalog), never with the assertion or the token in it.
 */
import { SignJWT } from 'jose';
import {
  ASSERTION_ALGORITHMS,
  authenticateClientAssertion,
  rememberJti,
  type AssertionContext,
} from './client-assertion.ts';
import { epochSeconds } from './clock.ts';
import { checkTokenRequestProof, rememberProof, type ProofMarker } from './dpop.ts';
import { OAuthError } from './errors.ts';
import { formBody, mediaType, type EmulatorRequest, type Reply, type Route } from './http.ts';
import { accessTokenJti, errorId } from './ids.ts';
import { recordEvent, type LogActor } from './log-writer.ts';
import type { Org } from './org.ts';
import type { AppRecord } from './store.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS } from './token-cutoff.ts';
import { DPOP_ALGORITHMS } from '../okta/dpop.ts';

/** The grant types this org AS serves: the `{0}` of Okta's grant-type errors and `grant_types_supported`. */
export const SUPPORTED_GRANT_TYPES = ['client_credentials'] as const;

export { ACCESS_TOKEN_LIFETIME_SECONDS };

/** The Okta API scopes of the operations the emulator serves, advertised as `scopes_supported`. */
export const OKTA_SCOPES = [
  'okta.apps.manage',
  'okta.apps.read',
  'okta.appGrants.manage',
  'okta.appGrants.read',
  'okta.clients.manage',
  'okta.clients.read',
  'okta.clients.register',
  'okta.logs.read',
  'okta.riskEvents.manage',
  'okta.riskProviders.manage',
  'okta.riskProviders.read',
] as const;

const CREDENTIAL_PARAMETERS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
const NO_STORE = { 'cache-control': 'no-cache, no-store', pragma: 'no-cache' };
// RFC 6749 scope-token characters: %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

interface TokenRequest {
  form: URLSearchParams;
  assertion: string;
}

/** The one value of a form parameter, treating an empty value as absent. */
function param(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value === null || value === '' ? undefined : value;
}

/** Whoever Basic credentials or a `client_secret` name, to tell "wrong method" from "no such client". */
function secretClient(org: Org, clientId: string | undefined): OAuthError {
  const app = clientId === undefined ? undefined : org.store.apps.get(clientId);
  if (app && app.status === 'ACTIVE') {
    return new OAuthError('unsupported_auth_method_client_creds', { detail: `client ${app.id} sent a secret, not a client_assertion` });
  }
  return new OAuthError('invalid_client', { detail: `no active client ${clientId ?? '(no client_id)'} for secret credentials` });
}

/** The client_id of an `Authorization: Basic` header (RFC 6749 §2.3.1 form-encodes it), or undefined if malformed. */
function basicClientId(header: string): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Step 1: the request itself, up to "the credentials are a client_assertion". */
function readTokenRequest(req: EmulatorRequest, org: Org): TokenRequest {
  const grantTypes = SUPPORTED_GRANT_TYPES.join(', ');
  const type = mediaType(req);
  // A body of another type has no form parameters to Okta, so the first parameter it misses is grant_type.
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('token_request_missing_grant_type', { arg: grantTypes, detail: `content type ${type || '(none)'} is not a form` });
  }
  const inQuery = CREDENTIAL_PARAMETERS.filter((name) => req.query.has(name));
  if (inQuery.length > 0) throw new OAuthError('client_credentials_in_query', { detail: `query has ${inQuery.join(', ')}` });

  const form = formBody(req);
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (const name of form.keys()) (seen.has(name) ? duplicated : seen).add(name);
  if (duplicated.size > 0) {
    const names = [...duplicated].join(', ');
    throw new OAuthError('illegal_duplicated_parameters', { arg: names, detail: `repeated: ${names}` });
  }

  const grantType = param(form, 'grant_type');
  if (grantType === undefined) throw new OAuthError('token_request_missing_grant_type', { arg: grantTypes, detail: 'no grant_type' });
  if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', { arg: grantTypes, detail: `grant_type ${grantType}` });
  }

  const header = req.headers.authorization;
  const secret = param(form, 'client_secret');
  const assertion = param(form, 'client_assertion');
  const kinds = [header !== undefined && 'Authorization header', secret !== undefined && 'client_secret', assertion !== undefined && 'client_assertion'].filter(Boolean);
  if (kinds.length > 1) throw new OAuthError('multiple_client_credentials', { detail: `sent ${kinds.join(' and ')}` });
  if (header !== undefined) {
    const clientId = basicClientId(header);
    if (clientId === undefined) throw new OAuthError('invalid_basic_auth_creds', { detail: 'the Authorization header is not Basic client credentials' });
    throw secretClient(org, clientId);
  }
  if (secret !== undefined) throw secretClient(org, param(form, 'client_id'));
  if (assertion === undefined) throw new OAuthError('missing_client_credentials', { detail: 'no client_assertion, secret or Authorization header' });
  return { form, assertion };
}

/** Step 12: the requested scopes, deduplicated in request order, all among the client's ACTIVE grants. */
function grantedScopes(org: Org, app: AppRecord, raw: string | null): string[] {
  if (raw === null || raw.trim() === '') throw new OAuthError('missing_scopes', { detail: 'scope is missing or blank' });
  const requested = [...new Set(raw.split(' ').filter((s) => s !== ''))];
  const malformed = requested.filter((s) => !SCOPE_TOKEN.test(s));
  if (malformed.length > 0) throw new OAuthError('invalid_scope', { detail: `malformed scope tokens: ${JSON.stringify(malformed)}` });
  if (requested.includes('openid')) throw new OAuthError('openid_not_allowed_client_creds', { detail: 'openid requested' });
  const granted = new Set<string>();
  for (const grant of org.store.grants.values()) {
    if (grant.appId === app.id && grant.status === 'ACTIVE' && grant.issuer === org.orgUrl) granted.add(grant.scopeId);
  }
  const missing = requested.filter((s) => !granted.has(s));
  if (missing.length > 0) throw new OAuthError('invalid_scope', { detail: `not granted to ${app.id}: ${missing.join(' ')}` });
  return requested;
}

/** Caller-controlled text goes into the log bounded, so one request cannot bloat it. */
function clip(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function clientActor(app: AppRecord | undefined): LogActor {
  if (!app) return { id: 'unknown', type: 'PublicClientApp', alternateId: 'unknown', displayName: 'unknown', detailEntry: null };
  const name = app.metadata.client_name || app.id;
  return { id: app.id, type: 'PublicClientApp', alternateId: name, displayName: name, detailEntry: null };
}

async function issueAccessToken(org: Org, app: AppRecord, scopes: string[], jkt: string | undefined): Promise<{ token: string; jti: string; exp: number }> {
  // First: a key still being made is waited for before the token's times are taken.
  const { privateKey } = await org.signingKey.keys();
  const iat = epochSeconds(org.clock);
  const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
  const jti = accessTokenJti();
  const cnf = jkt === undefined ? {} : { cnf: { jkt } };
  const token = await new SignJWT({ ver: 1, jti, iss: org.orgUrl, aud: org.orgUrl, sub: app.id, iat, exp, cid: app.id, scp: scopes, ...cnf })
    .setProtectedHeader({ kid: org.signingKey.kid, alg: 'RS256' })
    .sign(privateKey);
  org.store.tokenCutoffs.noteIssued(app.id, scopes, iat, jti);
  return { token, jti, exp };
}

async function tokenHandler(req: EmulatorRequest, org: Org): Promise<Reply> {
  const context: AssertionContext = {};
  let form: URLSearchParams | undefined;
  try {
    const request = readTokenRequest(req, org);
    form = request.form;
    const { app, jti } = await authenticateClientAssertion(
      org,
      { assertionType: param(form, 'client_assertion_type'), assertion: request.assertion, clientId: param(form, 'client_id') },
      context,
    );
    // The client is authenticated: from here on the request spends its own budget, nobody else's.
    org.rateLimits.chargeCaller(req, `client:${app.id}`);
    const scopes = grantedScopes(org, app, form.get('scope'));
    // A DPoP-bound client's proof (dpop.ts); a client that is not bound gets a Bearer token, proof or not (*obs*).
    let dpop: { jkt: string; marker: ProofMarker } | undefined;
    if (app.metadata.dpop_bound_access_tokens === true) {
      // The nonce challenge spends the assertion: the client mints a new one for the retry, as Okta's blog does.
      dpop = await checkTokenRequestProof(req, org, () => rememberJti(org, jti));
      // The proof check awaited, so the assertion's single use is checked again before it is recorded.
      if (jti && org.store.usedJtis.has(jti.key, org.clock.now())) throw new OAuthError('client_assertion_already_used', { detail: 'replayed during the DPoP check' });
      rememberProof(org, dpop.marker);
    }
    rememberJti(org, jti);
    const issued = await issueAccessToken(org, app, scopes, dpop?.jkt);
    recordEvent(org, req, {
      eventType: 'app.oauth2.token.grant.access_token',
      displayMessage: 'OIDC access token is granted',
      actor: clientActor(app),
      target: [
        {
          id: issued.jti,
          type: 'access_token',
          alternateId: 'unknown',
          displayName: 'Access Token',
          detailEntry: { expires: new Date(issued.exp * 1000).toISOString(), subject: app.id },
        },
      ],
      debugData: {
        grantType: 'client_credentials',
        requestedScopes: scopes.join(' '),
        grantedScopes: scopes.join(' '),
        clientAuthType: 'private_key_jwt',
        ...(dpop ? { dpopKeyThumbprint: dpop.jkt } : {}),
      },
    });
    return {
      status: 200,
      headers: NO_STORE,
      body: { token_type: dpop ? 'DPoP' : 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_SECONDS, access_token: issued.token, scope: scopes.join(' ') },
    };
  } catch (error) {
    if (error instanceof OAuthError) {
      // Refused before the client was known: the route's bucket of refused requests (a 429 there replaces this answer).
      org.rateLimits.chargeRefused(req);
      recordEvent(org, req, {
        eventType: 'app.oauth2.token.grant',
        displayMessage: 'OIDC token request',
        severity: 'WARN',
        actor: clientActor(context.app),
        // Okta logs the nonce challenge as CHALLENGE since 2025.04.0 (OKTA-902314).
        outcome: { result: error.internalCode === 'use_dpop_nonce' ? 'CHALLENGE' : 'FAILURE', reason: error.description },
        debugData: {
          grantType: clip(form?.get('grant_type') ?? ''),
          requestedScopes: clip(form?.get('scope') ?? ''),
          errorCode: error.internalCode,
          ...(error.detail === undefined ? {} : { errorDetail: clip(error.detail) }),
        },
      });
    }
    throw error;
  }
}

/**
 * The org AS metadata. The emulator serves client_credentials only, so it advertises no authorize endpoint
 * (RFC 8414 lets a server without such grants leave it out) and no method but `private_key_jwt`.
 */
function metadata(org: Org): Record<string, unknown> {
  return {
    issuer: org.orgUrl,
    token_endpoint: `${org.orgUrl}/oauth2/v1/token`,
    jwks_uri: `${org.orgUrl}/oauth2/v1/keys`,
    registration_endpoint: `${org.orgUrl}/oauth2/v1/clients`,
    response_types_supported: ['token'],
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    subject_types_supported: ['public'],
    scopes_supported: [...OKTA_SCOPES],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    claims_supported: ['ver', 'jti', 'iss', 'aud', 'iat', 'exp', 'cid', 'scp', 'sub'],
  };
}

function metadataHandler(req: EmulatorRequest, org: Org): Reply {
  const clientId = req.query.get('client_id');
  // Okta's documented 400 for an unknown client_id, in the Okta error shape with an OAuth code.
  if (clientId !== null && !org.store.apps.has(clientId)) {
    return {
      status: 400,
      body: { errorCode: 'invalid_client', errorSummary: 'Invalid value for `client_id` parameter', errorLink: 'invalid_client', errorId: errorId(), errorCauses: [] },
    };
  }
  return { status: 200, body: metadata(org) };
}

async function keysHandler(_req: EmulatorRequest, org: Org): Promise<Reply> {
  // Okta documents Cache-Control on this endpoint; the org key never rotates during a run.
  return { status: 200, headers: { 'cache-control': 'max-age=86400, must-revalidate' }, body: { keys: [(await org.signingKey.keys()).publicJwk] } };
}

export const tokenRoutes: Route[] = [
  { method: 'POST', path: '/oauth2/v1/token', handler: tokenHandler },
  // Public documents: no caller to key a bucket by, so one shared bucket per route.
  { method: 'GET', path: '/oauth2/v1/keys', handler: keysHandler, rateLimit: 'route' },
  { method: 'GET', path: '/.well-known/oauth-authorization-server', handler: metadataHandler, rateLimit: 'route' },
  { method: 'GET', path: '/.well-known/openid-configuration', handler: metadataHandler, rateLimit: 'route' },
];
