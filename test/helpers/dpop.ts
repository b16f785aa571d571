/**
 * DPoP proofs for tests, the way a client mints them (RFC 9449 §4.2): `typ` dpop+jwt, the public `jwk`, `htm`,
 * `htu`, `iat`, a fresh `jti`, and `nonce` / `ath` when given. Keys are generated at run time by the caller.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { accessTokenHash, DPOP_TYP, dpopHtu, type DpopAlgorithm } from '../../src/okta/dpop.ts';

/** A proof's parts before signing, for `mutate`. */
export interface MintableDpopProof {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface MintDpopProofOptions {
  /** The DPoP private key (separate from the client-assertion key, as Okta advises). */
  privateKey: CryptoKey | KeyObject;
  /** Its public JWK, put in the header. */
  publicJwk: JWK;
  alg: DpopAlgorithm;
  /** The request's method. */
  htm: string;
  /** The request's URL; the query and fragment are left out of `htu`. */
  url: string;
  /** The server's `DPoP-Nonce`, when it asked for one. */
  nonce?: string;
  /** The access token the request carries (resource requests): sets `ath`. */
  accessToken?: string;
  /** Default `Date.now()`. */
  now?: number;
  /** Test hook: change the header or claims before signing. */
  mutate?: (proof: MintableDpopProof) => void;
}

/** A DPoP proof for one request: `typ` dpop+jwt, the public `jwk`, `htm`, `htu`, `iat`, a fresh `jti`. */
export async function mintDpopProof(options: MintDpopProofOptions): Promise<string> {
  const { kty, n, e, crv, x, y } = options.publicJwk;
  const jwk = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined));
  const proof: MintableDpopProof = {
    header: { typ: DPOP_TYP, alg: options.alg, jwk },
    payload: {
      htm: options.htm,
      htu: dpopHtu(options.url),
      iat: Math.floor((options.now ?? Date.now()) / 1000),
      jti: randomUUID(),
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
    },
  };
  options.mutate?.(proof);
  return new SignJWT(proof.payload).setProtectedHeader(proof.header as never).sign(options.privateKey);
}
