/**
 * DPoP proofs for a DPoP-bound service app (RFC 9449 §4.2, as Okta's DPoP guide shows them): header `typ`
 * `dpop+jwt`, `alg`, the public `jwk`; claims `htm`, `htu` (the URL without query or fragment, path decoded),
 * `iat`, a fresh `jti`, `nonce` when the org asked for one and `ath` for a resource request.
 *
 * The key is separate from the client-assertion key, as Okta advises ("The JWK that's used for DPoP
 * authentication is separate from the JWK used for client authentication"): an ES256 key made for the run,
 * held as a non-extractable `CryptoKey` so it can never be written anywhere; only the public JWK leaves.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash, DPOP_TYP, dpopHtu } from '../okta/dpop.ts';

/** The run's DPoP key. */
export interface DpopKey {
  privateKey: CryptoKey;
  /** The public JWK the proofs carry (`kty`, `crv`, `x`, `y`). */
  publicJwk: JWK;
  /** Its RFC 7638 SHA-256 thumbprint: the `cnf.jkt` Okta binds the token to. */
  jkt: string;
}

const DPOP_ALG = 'ES256';

/** Why a run switched to DPoP by itself (the org's token answer), in the words `verify` and `send` print. */
export const DPOP_DETECTED_REASONS = {
  nonce: 'the token endpoint answered use_dpop_nonce',
  required: 'the token endpoint answered invalid_dpop_proof "The DPoP proof JWT header is missing.": the app is DPoP-bound',
} as const;

/** The stderr line of a run that switches to DPoP by itself. */
export function dpopSwitchLine(reason: string): string {
  return `DPoP: ${reason}; switching to DPoP-bound tokens (as --dpop does) and sending the token request again with a DPoP proof.\n`;
}

/** A fresh ES256 key for one run. The private key is not extractable. */
export async function generateDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(DPOP_ALG, { extractable: false });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const publicJwk: JWK = { kty, crv, x, y };
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface MintDpopProofOptions {
  key: DpopKey;
  /** The request's method, `POST` for the token endpoint. */
  htm: string;
  /** The request's full URL; the query and fragment are left out of `htu`. */
  url: string;
  /** The org's `DPoP-Nonce`, once it asked for one (the token endpoint does). */
  nonce?: string;
  /** The DPoP-bound access token a resource request carries: sets `ath`. */
  accessToken?: string;
  /** `iat`. Default: now. */
  currentDate?: Date;
}

/** One proof for one request: a proof is single-use, so every attempt of a request needs a new one. */
export async function mintDpopProof(options: MintDpopProofOptions): Promise<string> {
  const payload = {
    htm: options.htm,
    htu: dpopHtu(options.url),
    iat: Math.floor((options.currentDate ?? new Date()).getTime() / 1000),
    jti: randomUUID(),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
  };
  return new SignJWT(payload).setProtectedHeader({ typ: DPOP_TYP, alg: DPOP_ALG, jwk: options.key.publicJwk }).sign(options.key.privateKey);
}
