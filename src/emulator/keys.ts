/**
 * The org authorization server's signing key: RS256, as Okta signs every org access token. Generated per
 * emulator, never written anywhere; the public half is served at `/oauth2/v1/keys`.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface OrgKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK as `/oauth2/v1/keys` serves it. */
  publicJwk: JWK & { kid: string };
}

export async function createOrgKeys(): Promise<OrgKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicKey, publicJwk: { kty: 'RSA', alg: 'RS256', kid, use: 'sig', e: jwk.e, n: jwk.n } };
}
