/**
 * Okta's DPoP proof rules (RFC 9449 as Okta applies it to service apps): the constants, the catalog codes and
 * the pure helpers both sides share. Pure: no jose, no state. The emulator checks proofs in
 * `src/emulator/dpop-proof.ts`; the tests mint them with `test/helpers/dpop.ts`.
 *
 * Source: `shared/reference/ssf-dpop.md` §B (Okta's DPoP guide, its OAuth error catalog 2026.08.1, and what
 * the SDKs' issues saw on real orgs).
 *
 * The checks run in a fixed order and the first failure wins (Okta documents no order; this one follows
 * RFC 9449 §4.3 and the client-assertion order: parse, header, signature, then claims):
 *  1. Parse: three base64url parts, header and payload JSON objects → invalid_dpop_proof_invalid_jwt.
 *  2. `typ` is exactly `dpop+jwt` → invalid_dpop_proof_invalid_type.
 *  3. `alg` in ES256 ES384 ES512 RS256 RS384 RS512 → invalid_dpop_proof_invalid_signature_algorithm.
 *  4. `jwk` a public RSA or EC key with no private member, importable for `alg` → invalid_dpop_proof.
 *  5. The signature, by that key → invalid_dpop_proof_invalid_signature.
 *  6. `htm` the request's method → invalid_dpop_proof_invalid_htm.
 *  7. `htu` exactly the request's URL without query or fragment, path decoded → invalid_dpop_proof_invalid_htu.
 *  8. `iat` an integer → invalid_dpop_proof_invalid_iat; not after now (no tolerance, as for client assertions)
 *     → invalid_dpop_proof_jwt_issued_in_future; at most five minutes old → invalid_dpop_proof_jwt_too_old;
 *     `exp`, when present, an integer after now → invalid_dpop_proof_jwt_expired.
 *  9. `jti` a non-empty string of at most 256 characters → invalid_dpop_proof_invalid_jti.
 * 10. `ath` (resource requests only) = base64url(SHA-256(access token)) → dpop_proof_invalid_ath.
 * The checker then decides the nonce (token endpoint: use_dpop_nonce), the replay of `jti`
 * (dpop_proof_already_used) and the token binding (`cnf.jkt`: invalid_access_token_dpop_binding).
 */
import { createHash } from 'node:crypto';

/** The JWS `typ` of a DPoP proof. */
export const DPOP_TYP = 'dpop+jwt';
/** The request header a proof travels in. */
export const DPOP_HEADER = 'dpop';
/** The response header Okta sends a nonce in. */
export const DPOP_NONCE_HEADER = 'dpop-nonce';
/** Okta's `dpop_signing_alg_values_supported`. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512'] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];
/** "The DPoP proof JWT is issued more than five minutes in the past." */
export const DPOP_PROOF_MAX_AGE_SECONDS = 300;
/** Okta "renews the value every 24 hours. The old `dpop-nonce` value continues to work for three days". */
export const DPOP_NONCE_ROTATION_SECONDS = 24 * 3600;
export const DPOP_NONCE_VALIDITY_SECONDS = 3 * 24 * 3600;
/** A bound on `jti`, so a replay store stays small (Okta documents none; a UUID is 36). */
export const DPOP_JTI_MAX_LENGTH = 256;

/** JWK members only a private (or symmetric) key has. */
export const DPOP_PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Okta's internal error codes for a proof, as its OAuth catalog names them. */
export type DpopProofErrorCode =
  | 'invalid_dpop_proof'
  | 'invalid_dpop_proof_invalid_jwt'
  | 'invalid_dpop_proof_invalid_type'
  | 'invalid_dpop_proof_invalid_signature_algorithm'
  | 'invalid_dpop_proof_invalid_signature'
  | 'invalid_dpop_proof_invalid_htm'
  | 'invalid_dpop_proof_invalid_htu'
  | 'invalid_dpop_proof_invalid_iat'
  | 'invalid_dpop_proof_jwt_issued_in_future'
  | 'invalid_dpop_proof_jwt_too_old'
  | 'invalid_dpop_proof_jwt_expired'
  | 'invalid_dpop_proof_invalid_jti'
  | 'dpop_proof_invalid_ath';

/** A proof that breaks a rule: `code` is Okta's internal catalog code, `detail` the precise reason. */
export class DpopProofError extends Error {
  readonly code: DpopProofErrorCode;
  readonly detail: string;
  constructor(code: DpopProofErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'DpopProofError';
    this.code = code;
    this.detail = detail;
  }
}

/**
 * What a token endpoint's answer says about DPoP: `nonce` is Okta's challenge (`400 use_dpop_nonce` with a
 * `DPoP-Nonce` header: send again with that nonce), `required` that the app is DPoP-bound and the request
 * had no proof (`400 invalid_dpop_proof`, "The DPoP proof JWT header is missing.").
 */
export function dpopTokenAnswer(status: number | undefined, headers: Record<string, string> | undefined, body: string | undefined): 'nonce' | 'required' | undefined {
  if (status !== 400 || body === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { error, error_description: description } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (error === 'use_dpop_nonce' && typeof headers?.[DPOP_NONCE_HEADER] === 'string' && headers[DPOP_NONCE_HEADER] !== '') return 'nonce';
  if (error === 'invalid_dpop_proof' && description === DPOP_MISSING_HEADER_DESCRIPTION) return 'required';
  return undefined;
}

/** Okta's catalog text for a bound client's token request without a proof. */
export const DPOP_MISSING_HEADER_DESCRIPTION = 'The DPoP proof JWT header is missing.';

/** `ath`: base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The `htu` of a request URL: without query and fragment, the path decoded (what Okta compares, *obs*). */
export function dpopHtu(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${decodeURIComponent(parsed.pathname)}`;
}
