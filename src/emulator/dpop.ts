/**
 * DPoP at the emulator: the nonce the token endpoint asks for, the single use of every proof, and the checks
 * a resource request with a DPoP-bound token goes through. The proof rules are the shared contract's
 * (`src/okta/dpop.ts`), checked by `dpop-proof.ts`; this module turns their failures into Okta's catalog errors.
 *
 * - Token endpoint: a proof that passes every rule but carries no nonce, or one the org no longer accepts, gets
 *   `400 use_dpop_nonce` with a `DPoP-Nonce` header (Okta's documented challenge; an unknown or expired nonce
 *   is challenged the same way, RFC 9449 §8). The nonce is derived from a per-org secret and the 24-hour
 *   window it was issued in, and is accepted for three more days, as Okta documents; nothing is stored.
 * - Resource requests: `Authorization: DPoP <token>` and one `DPoP` proof with `ath`, `htm` and `htu` of the
 *   request, signed by the key the token is bound to (`cnf.jkt`). No nonce is asked for ("The `nonce`
 *   parameter isn't currently required in this DPoP JWT"). Failures are answered as Okta is observed to:
 *   HTTP 400 (401 for `access_token_not_dpop_bound`, the catalog's status) with the reason in
 *   `WWW-Authenticate: DPoP algs=…, error=…, error_description=…` and no body.
 * - A proof's `jti` is single use per key until the proof is too old to pass anyway (five minutes).
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  DPOP_HEADER,
  DPOP_NONCE_HEADER,
  DPOP_NONCE_ROTATION_SECONDS,
  DPOP_NONCE_VALIDITY_SECONDS,
  DPOP_PROOF_MAX_AGE_SECONDS,
  DpopProofError,
} from '../okta/dpop.ts';
import { checkDpopProof, type CheckedDpopProof } from './dpop-proof.ts';
import { OAuthError, type OAuthErrorCode } from './errors.ts';
import { quotedHeaderText, type EmulatorRequest } from './http.ts';
import type { Org } from './org.ts';

/** The `algs` of Okta's DPoP challenge, in the order Okta sends them. */
export const CHALLENGE_ALGS = 'RS256 RS384 RS512 ES256 ES384 ES512';

/** A checked proof's single-use marker: record it with `rememberProof` in the same tick as the check. */
export interface ProofMarker {
  key: string;
  expiresAt: number;
}

const nonceSecrets = new WeakMap<Org, Buffer>();

function nonceFor(org: Org, window: number): string {
  let secret = nonceSecrets.get(org);
  if (!secret) nonceSecrets.set(org, (secret = randomBytes(32)));
  return createHmac('sha256', secret).update(`dpop-nonce:${window}`).digest('base64url').slice(0, 32);
}

function windowAt(ms: number): number {
  return Math.floor(ms / (DPOP_NONCE_ROTATION_SECONDS * 1000));
}

/** The nonce the org hands out now. */
export function currentDpopNonce(org: Org): string {
  return nonceFor(org, windowAt(org.clock.now()));
}

/** A nonce of the current window or of one that ended at most three days ago. */
function nonceAccepted(org: Org, nonce: string): boolean {
  const current = windowAt(org.clock.now());
  const back = Math.ceil(DPOP_NONCE_VALIDITY_SECONDS / DPOP_NONCE_ROTATION_SECONDS);
  for (let k = 0; k <= back; k += 1) if (nonceFor(org, current - k) === nonce) return true;
  return false;
}

/** The one `DPoP` header of a request. Node joins repeated headers with ", ", which no compact JWS contains. */
function proofHeader(req: EmulatorRequest): { proof?: string; error?: OAuthErrorCode } {
  const value = req.headers[DPOP_HEADER];
  if (value === undefined || value === '') return { error: 'invalid_dpop_proof_missing_header' };
  if (Array.isArray(value) || value.includes(',')) return { error: 'invalid_dpop_proof_multiple_headers_not_allowed' };
  return { proof: value.trim() };
}

/**
 * Throws `dpop_proof_already_used` for a replay, and `temporarily_unavailable` when the org already holds
 * `DPOP_JTIS_MAX` live proof markers (it never forgets one early); returns the marker to record. Synchronous on
 * purpose. A marker counts for its proof's five minutes, whether or not a sweep has removed it since.
 */
function singleUse(org: Org, checked: CheckedDpopProof, fail: (code: OAuthErrorCode, detail: string) => OAuthError): ProofMarker {
  const { dpopJtis } = org.store;
  if (!dpopJtis.hasRoom(org.clock.now())) throw fail('temporarily_unavailable', `the org holds ${dpopJtis.max} DPoP proof jtis that have not expired yet`);
  const marker = { key: `${checked.jkt}:${checked.jti}`, expiresAt: (checked.iat + DPOP_PROOF_MAX_AGE_SECONDS) * 1000 + 1 };
  if (dpopJtis.has(marker.key, org.clock.now())) throw fail('dpop_proof_already_used', `jti ${checked.jti} was used before`);
  return marker;
}

/** Records a proof's single use. Call in the same tick as `singleUse`'s check, which made sure there is room. */
export function rememberProof(org: Org, marker: ProofMarker | undefined): void {
  if (!marker) return;
  if (!org.store.dpopJtis.remember(marker.key, marker.expiresAt, org.clock.now())) {
    throw new OAuthError('temporarily_unavailable', { detail: `the org holds ${org.store.dpopJtis.max} DPoP proof jtis that have not expired yet` });
  }
}

async function checked(proof: string, expected: Parameters<typeof checkDpopProof>[1], fail: (code: OAuthErrorCode, detail: string) => OAuthError): Promise<CheckedDpopProof> {
  try {
    return await checkDpopProof(proof, expected);
  } catch (error) {
    if (error instanceof DpopProofError) throw fail(error.code, error.detail);
    throw error;
  }
}

/**
 * The proof of a token request by a DPoP-bound client. Returns its thumbprint and marker, or throws Okta's
 * error; `use_dpop_nonce` carries the nonce to retry with. `onChallenge` runs, synchronously, before the
 * challenge is thrown (the token endpoint spends the client assertion there).
 */
export async function checkTokenRequestProof(req: EmulatorRequest, org: Org, onChallenge: () => void): Promise<{ jkt: string; marker: ProofMarker }> {
  const fail = (code: OAuthErrorCode, detail: string): OAuthError => new OAuthError(code, { detail });
  const { proof, error } = proofHeader(req);
  if (error) throw fail(error, error === 'invalid_dpop_proof_missing_header' ? 'the client requires DPoP and sent no DPoP header' : 'more than one DPoP header');
  const result = await checked(proof!, { htm: 'POST', htu: `${org.orgUrl}/oauth2/v1/token`, now: org.clock.now() }, fail);
  const marker = singleUse(org, result, fail);
  if (result.nonce === undefined || !nonceAccepted(org, result.nonce)) {
    rememberProof(org, marker);
    onChallenge();
    throw new OAuthError('use_dpop_nonce', {
      detail: result.nonce === undefined ? 'the proof has no nonce' : 'the proof has a nonce the org does not accept',
      headers: { [DPOP_NONCE_HEADER]: currentDpopNonce(org) },
    });
  }
  return { jkt: result.jkt, marker };
}

/** Okta's resource-server rejection: the reason in a DPoP challenge, no body. */
export function dpopChallenge(req: EmulatorRequest, org: Org, scope: string, code: OAuthErrorCode, detail: string): OAuthError {
  const probe = new OAuthError(code);
  const challenge =
    `DPoP algs="${CHALLENGE_ALGS}", authorization_uri="${org.orgUrl}/oauth2/v1/authorize", realm="${org.orgUrl}", scope="${scope}", ` +
    `error="${probe.error}", error_description="${probe.description}", resource="${quotedHeaderText(req.path)}"`;
  return new OAuthError(code, { detail, headers: { 'www-authenticate': challenge }, bodyless: true });
}

/**
 * The proof of a resource request made with the DPoP-bound `accessToken` (bound to `jkt`). Records the proof's
 * single use and returns; throws Okta's challenge otherwise.
 */
export async function checkResourceProof(req: EmulatorRequest, org: Org, scope: string, accessToken: string, jkt: string): Promise<void> {
  const fail = (code: OAuthErrorCode, detail: string): OAuthError => dpopChallenge(req, org, scope, code, detail);
  const { proof, error } = proofHeader(req);
  if (error === 'invalid_dpop_proof_missing_header') throw fail('dpop_proof_required_for_token', 'a DPoP token with no DPoP header');
  if (error) throw fail(error, 'more than one DPoP header');
  const result = await checked(proof!, { htm: req.method, htu: `${org.orgUrl}${decodePath(req.path)}`, now: org.clock.now(), accessToken }, fail);
  if (result.jkt !== jkt) throw fail('invalid_access_token_dpop_binding', `the proof key ${result.jkt} is not the token's ${jkt}`);
  rememberProof(org, singleUse(org, result, fail));
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
