/**
 * Admin authentication, as Okta answers it:
 * - no `Authorization` header, or one that is neither `SSWS` nor `Bearer`: 403 E0000005 `Invalid session`
 *   (Okta falls back to a browser session and finds none);
 * - `SSWS <token>` with a wrong token, or a bearer token that is not a valid org access token: 401 E0000011;
 * - a valid bearer token without the operation's scope: 403 with `WWW-Authenticate: Bearer …
 *   error="insufficient_scope"` and no body (what Okta is observed to send).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { jwtVerify } from 'jose';
import { CHALLENGE_ALGS, checkResourceProof, dpopChallenge } from './dpop.ts';
import { OAuthError, OktaApiError } from './errors.ts';
import { quotedHeaderText, type EmulatorRequest } from './http.ts';
import type { Org } from './org.ts';

export type Principal =
  | { kind: 'ssws'; /** An opaque id for the token, as the System Log's `requestApiTokenId`. */ tokenId: string }
  | { kind: 'bearer'; clientId: string; scopes: string[]; jti: string };

interface AccessTokenClaims {
  cid: string;
  scp: string[];
  jti: string;
  iat: number;
  exp: number;
  /** Present on a DPoP-bound token: the thumbprint of the key it is bound to. */
  cnf?: { jkt?: unknown };
}

/** Verified access tokens, so a busy events sender is not re-verified on every call; expiry is still checked. */
const verified = new WeakMap<Org, Map<string, AccessTokenClaims>>();
const CACHE_LIMIT = 1000;

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

async function verifyAccessToken(token: string, org: Org): Promise<AccessTokenClaims> {
  let cache = verified.get(org);
  if (!cache) verified.set(org, (cache = new Map()));
  let claims = cache.get(token);
  if (!claims) {
    // Outside the try: a key that could not be made is the org's fault (a 500), not the token's.
    const { publicKey } = await org.signingKey.keys();
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: ['RS256'],
        issuer: org.orgUrl,
        audience: org.orgUrl,
        currentDate: new Date(org.clock.now()),
        requiredClaims: ['cid', 'scp', 'jti', 'iat', 'exp'],
      });
      claims = payload as unknown as AccessTokenClaims;
    } catch {
      throw new OktaApiError('E0000011');
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(token, claims);
  }
  if (claims.exp * 1000 <= org.clock.now()) throw new OktaApiError('E0000011');
  const app = org.store.apps.get(claims.cid);
  // A token outlives neither its app's deletion nor its deactivation (reactivation does not revive it), nor
  // the revocation of a grant whose scope it carries (token-cutoff.ts).
  if (!app || app.status !== 'ACTIVE') throw new OktaApiError('E0000011');
  if (!org.store.tokenCutoffs.allows(app.id, claims.scp, claims.iat, claims.jti)) throw new OktaApiError('E0000011');
  return claims;
}

/** A caller whose credentials check out, and the scopes its token carries (none for an API token: it has them all). */
type Identified = { principal: Principal; scopes: string[] | undefined; scheme: 'Bearer' | 'DPoP' };

/** Who is calling, from the credentials alone; throws the answer for missing, wrong or unusable ones. */
async function identify(req: EmulatorRequest, org: Org, scope: string): Promise<Identified> {
  const header = req.headers.authorization;
  if (!header) throw new OktaApiError('E0000005');
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  const credential = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme === 'SSWS') {
    if (!credential || !sameSecret(credential, org.apiToken)) throw new OktaApiError('E0000011');
    const tokenId = '00T' + createHash('sha256').update(org.apiToken).digest('base64url').slice(0, 17);
    return { principal: { kind: 'ssws', tokenId }, scopes: undefined, scheme: 'Bearer' };
  }
  if (scheme.toLowerCase() === 'bearer') {
    if (!credential) throw new OktaApiError('E0000011');
    const claims = await verifyAccessToken(credential, org);
    if (claims.cnf !== undefined) throw dpopChallenge(req, org, scope, 'dpop_authentication_scheme_required', 'a DPoP-bound token sent as Bearer');
    return { principal: { kind: 'bearer', clientId: claims.cid, scopes: claims.scp, jti: claims.jti }, scopes: claims.scp, scheme: 'Bearer' };
  }
  if (scheme.toLowerCase() === 'dpop') {
    if (!credential) throw new OktaApiError('E0000011');
    const claims = await verifyAccessToken(credential, org);
    const jkt = claims.cnf?.jkt;
    if (typeof jkt !== 'string') throw dpopChallenge(req, org, scope, 'access_token_not_dpop_bound', 'a Bearer token sent as DPoP');
    await checkResourceProof(req, org, scope, credential, jkt);
    return { principal: { kind: 'bearer', clientId: claims.cid, scopes: claims.scp, jti: claims.jti }, scopes: claims.scp, scheme: 'DPoP' };
  }
  throw new OktaApiError('E0000005');
}

/** The rate-limit principal: the API token, or the OAuth client (all its tokens share one budget). */
function callerKey(principal: Principal): string {
  return principal.kind === 'ssws' ? `ssws:${principal.tokenId}` : `client:${principal.clientId}`;
}

/**
 * Authenticates an admin call that needs `scope` when made with an OAuth token. SSWS tokens carry the
 * super admin's rights, so they pass every scope check.
 *
 * Then charges the route's rate limit (rate-limit.ts): a refused request to the route's bucket of refused
 * requests (a 429 there replaces the refusal), an authenticated caller to its own bucket, before the scope
 * check, so a token without the scope spends its own client's budget and nobody else's.
 */
export async function authenticate(req: EmulatorRequest, org: Org, scope: string): Promise<Principal> {
  let identified: Identified;
  try {
    identified = await identify(req, org, scope);
  } catch (error) {
    org.rateLimits.chargeRefused(req);
    throw error;
  }
  const { principal, scopes, scheme } = identified;
  org.rateLimits.chargeCaller(req, callerKey(principal));
  if (scopes !== undefined && !scopes.includes(scope)) throw insufficientScope(req, org, scope, scheme);
  return principal;
}

/** Okta's 403 for a token without the scope: the reason is in `WWW-Authenticate`, the body is empty. */
export function insufficientScope(req: EmulatorRequest, org: Org, scope: string, scheme: 'Bearer' | 'DPoP' = 'Bearer'): OAuthError {
  const description = 'The access token provided does not contain the required scopes.';
  const algs = scheme === 'DPoP' ? `algs="${CHALLENGE_ALGS}", ` : '';
  const challenge =
    `${scheme} ${algs}authorization_uri="${org.orgUrl}/oauth2/v1/authorize", realm="${org.orgUrl}", scope="${scope}", ` +
    `error="insufficient_scope", error_description="${description}", resource="${quotedHeaderText(req.path)}"`;
  return new OAuthError('access_token_insufficient_scopes', { headers: { 'www-authenticate': challenge }, bodyless: true, detail: `needs ${scope}` });
}
