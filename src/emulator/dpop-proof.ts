/**
 * The emulator's check of one DPoP proof against Okta's rules (`src/okta/dpop.ts` lists them and their order).
 * Stateless: nonces and replay markers are `dpop.ts`'s.
 */
import { base64url, calculateJwkThumbprint, compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import {
  accessTokenHash,
  DPOP_ALGORITHMS,
  DPOP_JTI_MAX_LENGTH,
  DPOP_PRIVATE_MEMBERS,
  DPOP_PROOF_MAX_AGE_SECONDS,
  DPOP_TYP,
  DpopProofError,
} from '../okta/dpop.ts';

/** The RFC 7638 SHA-256 thumbprint of a public JWK: the `cnf.jkt` of a bound token. */
export function dpopJkt(publicJwk: JWK): Promise<string> {
  return calculateJwkThumbprint(publicJwk, 'sha256');
}

export interface DpopExpectations {
  /** The request's method. */
  htm: string;
  /** The request's `htu`: `dpopHtu` of its URL. */
  htu: string;
  /** Now, in milliseconds. */
  now: number;
  /** The access token of a resource request: `ath` is then required. */
  accessToken?: string;
}

export interface CheckedDpopProof {
  /** The thumbprint of the proof's key. */
  jkt: string;
  jti: string;
  iat: number;
  /** The proof's `nonce`, when it has one (a string). */
  nonce: string | undefined;
}

function jsonSegment(segment: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment)));
  } catch {
    throw new DpopProofError('invalid_dpop_proof_invalid_jwt', `the ${name} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DpopProofError('invalid_dpop_proof_invalid_jwt', `the ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/** Checks rules 1 to 10 of a proof; throws the first rule's `DpopProofError`. */
export async function checkDpopProof(proof: string, expected: DpopExpectations): Promise<CheckedDpopProof> {
  const parts = proof.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw new DpopProofError('invalid_dpop_proof_invalid_jwt', 'not three base64url parts');
  }
  const header = jsonSegment(parts[0]!, 'header');
  const payload = jsonSegment(parts[1]!, 'payload');

  if (header.typ !== DPOP_TYP) throw new DpopProofError('invalid_dpop_proof_invalid_type', `typ ${JSON.stringify(header.typ) ?? 'missing'}`);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new DpopProofError('invalid_dpop_proof_invalid_signature_algorithm', `alg ${JSON.stringify(alg) ?? 'missing'} is not allowed`);
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new DpopProofError('invalid_dpop_proof', 'no jwk in the header');
  const members = jwk as Record<string, unknown>;
  const secret = DPOP_PRIVATE_MEMBERS.find((m) => m in members);
  if (secret !== undefined) throw new DpopProofError('invalid_dpop_proof', `the header jwk has the private member ${secret}`);
  if (members.kty !== (alg.startsWith('ES') ? 'EC' : 'RSA')) throw new DpopProofError('invalid_dpop_proof', `kty ${JSON.stringify(members.kty)} does not fit ${alg}`);
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(members as JWK, alg);
  } catch (error) {
    throw new DpopProofError('invalid_dpop_proof', `the header jwk does not import: ${(error as Error).message}`);
  }
  try {
    await compactVerify(proof, key, { algorithms: [alg] });
  } catch (error) {
    // jose refuses RSA keys under 2048 bits with a TypeError: a key Okta would not take either.
    if (error instanceof TypeError) throw new DpopProofError('invalid_dpop_proof', `the key is unusable: ${error.message}`);
    throw new DpopProofError('invalid_dpop_proof_invalid_signature', `verification failed: ${(error as Error).message}`);
  }

  if (payload.htm !== expected.htm) throw new DpopProofError('invalid_dpop_proof_invalid_htm', `htm ${JSON.stringify(payload.htm) ?? 'missing'}, expected ${expected.htm}`);
  if (payload.htu !== expected.htu) throw new DpopProofError('invalid_dpop_proof_invalid_htu', `htu ${JSON.stringify(payload.htu) ?? 'missing'}, expected ${expected.htu}`);

  const iat = payload.iat;
  if (!isInteger(iat)) throw new DpopProofError('invalid_dpop_proof_invalid_iat', `iat ${JSON.stringify(iat) ?? 'missing'}`);
  if (iat * 1000 > expected.now) throw new DpopProofError('invalid_dpop_proof_jwt_issued_in_future', `iat ${iat} is after now ${expected.now}`);
  if (expected.now - iat * 1000 > DPOP_PROOF_MAX_AGE_SECONDS * 1000) {
    throw new DpopProofError('invalid_dpop_proof_jwt_too_old', `iat ${iat} is more than ${DPOP_PROOF_MAX_AGE_SECONDS}s before now ${expected.now}`);
  }
  if (payload.exp !== undefined) {
    if (!isInteger(payload.exp) || payload.exp * 1000 <= expected.now) throw new DpopProofError('invalid_dpop_proof_jwt_expired', `exp ${JSON.stringify(payload.exp)}`);
  }

  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > DPOP_JTI_MAX_LENGTH) {
    throw new DpopProofError('invalid_dpop_proof_invalid_jti', `jti ${typeof jti === 'string' ? `of ${jti.length} characters` : 'missing or not a string'}`);
  }

  if (expected.accessToken !== undefined && payload.ath !== accessTokenHash(expected.accessToken)) {
    throw new DpopProofError('dpop_proof_invalid_ath', `ath ${payload.ath === undefined ? 'missing' : 'does not match the token'}`);
  }

  const { kty, n, e, crv, x, y } = members as Record<string, string>;
  const publicJwk = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined)) as JWK;
  return { jkt: await dpopJkt(publicJwk), jti, iat, nonce: typeof payload.nonce === 'string' ? payload.nonce : undefined };
}
