/**
 * Mints the client assertion the provider's service app presents at Okta's token endpoint
 * (`private_key_jwt`): header `{alg, kid, typ: "JWT"}`, claims `iss = sub = clientId`, `aud` = the org's
 * token URL, `iat`, `exp` and `jti`, as Okta's service-app guide and its SDK build it.
 */
import { randomUUID } from 'node:crypto';
import { types } from 'node:util';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/generate-key-pair.ts';

/** Options of {@link mintClientAssertion}. */
export interface MintClientAssertionOptions {
  /** The service app's `client_id`: the assertion's `iss` and `sub`. */
  clientId: string;
  /**
   * The org URL, scheme and host only, no trailing slash (`https://example.okta.com`). The audience is
   * `${orgUrl}/oauth2/v1/token`, which Okta compares exactly.
   */
  orgUrl: string;
  /** The signing key: a private JWK (with `d`) or a private `CryptoKey` that may sign. */
  privateKey: JWK | CryptoKey;
  /** The header `kid`. Default: the JWK's `kid`; required with a `CryptoKey`. */
  kid?: string;
  /**
   * The signing algorithm, one of RS256/384/512 and ES256/384/512, fitting the key. Default: the JWK's
   * `alg`, else RS256 for RSA and ES256/ES384/ES512 for P-256/P-384/P-521; a `CryptoKey`'s own algorithm.
   */
  alg?: SigningAlgorithm;
  /** Seconds from `iat` to `exp`, an integer from 1 to 3600 (Okta refuses an `exp` over an hour ahead). Default `300`. */
  lifetimeSeconds?: number;
  /** The time the assertion is issued at (`iat`). Default: now. */
  currentDate?: Date;
  /** The `jti` claim; Okta accepts each `jti` once. Default: `crypto.randomUUID()`. */
  jti?: string;
}

const EC_ALGORITHM_BY_CURVE: Record<string, SigningAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const RSA_ALGORITHM_BY_HASH: Record<string, SigningAlgorithm> = { 'SHA-256': 'RS256', 'SHA-384': 'RS384', 'SHA-512': 'RS512' };

/**
 * Signs a client assertion for `POST ${orgUrl}/oauth2/v1/token` and returns the compact JWT.
 * Throws `TypeError` for options outside their documented ranges.
 */
export async function mintClientAssertion(options: MintClientAssertionOptions): Promise<string> {
  const { clientId, orgUrl, privateKey } = options;
  const lifetimeSeconds = options.lifetimeSeconds ?? 300;
  const currentDate = options.currentDate ?? new Date();
  const jti = options.jti ?? randomUUID();

  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('mintClientAssertion: clientId must be a non-empty string');
  const tokenUrl = `${checkedOrgUrl(orgUrl)}/oauth2/v1/token`;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > 3600) {
    throw new TypeError(`mintClientAssertion: lifetimeSeconds must be an integer from 1 to 3600, got ${String(lifetimeSeconds)}`);
  }
  if (!(currentDate instanceof Date) || Number.isNaN(currentDate.getTime())) {
    throw new TypeError('mintClientAssertion: currentDate must be a valid Date');
  }
  if (typeof jti !== 'string' || jti === '') throw new TypeError('mintClientAssertion: jti must be a non-empty string');

  const { key, alg, kid } = await signingKey(privateKey, options.alg, options.kid);
  const iat = Math.floor(currentDate.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .setJti(jti)
    .sign(key);
}

function checkedOrgUrl(orgUrl: string): string {
  let origin: string | undefined;
  try {
    const parsed = new URL(orgUrl);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') origin = parsed.origin;
  } catch {
    origin = undefined;
  }
  // A trailing slash or a path would change the audience, and Okta compares it exactly.
  if (typeof orgUrl !== 'string' || origin !== orgUrl) {
    throw new TypeError(`mintClientAssertion: orgUrl must be an http(s) origin with no path or trailing slash, got ${JSON.stringify(orgUrl)}`);
  }
  return orgUrl;
}

async function signingKey(
  privateKey: JWK | CryptoKey,
  requestedAlg: SigningAlgorithm | undefined,
  requestedKid: string | undefined,
): Promise<{ key: CryptoKey; alg: SigningAlgorithm; kid: string }> {
  if (requestedAlg !== undefined && !SIGNING_ALGORITHMS.includes(requestedAlg)) {
    throw new TypeError(`mintClientAssertion: alg must be one of ${SIGNING_ALGORITHMS.join(', ')}, got ${JSON.stringify(requestedAlg)}`);
  }
  if (isCryptoKey(privateKey)) {
    if (privateKey.type !== 'private' || !privateKey.usages.includes('sign')) {
      throw new TypeError('mintClientAssertion: privateKey must be a private CryptoKey that may sign');
    }
    const keyAlg = cryptoKeyAlgorithm(privateKey);
    const alg = requestedAlg ?? keyAlg;
    if (alg !== keyAlg) throw new TypeError(`mintClientAssertion: alg ${alg} does not fit the key, which signs ${String(keyAlg)}`);
    if (alg === undefined) throw new TypeError('mintClientAssertion: privateKey must be an RSASSA-PKCS1-v1_5 or ECDSA key');
    return { key: privateKey, alg, kid: checkedKid(requestedKid) };
  }

  if (typeof privateKey !== 'object' || privateKey === null || typeof privateKey.d !== 'string') {
    throw new TypeError('mintClientAssertion: privateKey must be a private JWK (with "d") or a CryptoKey');
  }
  const fitting = fittingAlgorithms(privateKey);
  const alg = requestedAlg ?? (privateKey.alg as SigningAlgorithm | undefined) ?? fitting[0];
  if (alg === undefined || !fitting.includes(alg)) {
    throw new TypeError(`mintClientAssertion: alg ${String(alg)} does not fit the ${String(privateKey.kty)} key${privateKey.crv ? ` on ${privateKey.crv}` : ''}`);
  }
  // Only the key members are imported, so the JWK's own alg/use/key_ops cannot veto the signature.
  const { kty, n, e, d, p, q, dp, dq, qi, crv, x, y } = privateKey;
  const key = (await importJWK({ kty, n, e, d, p, q, dp, dq, qi, crv, x, y }, alg)) as CryptoKey;
  return { key, alg, kid: checkedKid(requestedKid ?? privateKey.kid) };
}

function isCryptoKey(key: JWK | CryptoKey): key is CryptoKey {
  return types.isCryptoKey(key);
}

function fittingAlgorithms(jwk: JWK): SigningAlgorithm[] {
  if (jwk.kty === 'RSA') return ['RS256', 'RS384', 'RS512'];
  const ec = jwk.kty === 'EC' && typeof jwk.crv === 'string' ? EC_ALGORITHM_BY_CURVE[jwk.crv] : undefined;
  return ec ? [ec] : [];
}

function cryptoKeyAlgorithm(key: CryptoKey): SigningAlgorithm | undefined {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string };
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return RSA_ALGORITHM_BY_HASH[algorithm.hash?.name ?? ''];
  if (algorithm.name === 'ECDSA') return EC_ALGORITHM_BY_CURVE[algorithm.namedCurve ?? ''];
  return undefined;
}

function checkedKid(kid: unknown): string {
  // Okta needs the kid to pick the key once an app holds more than one.
  if (typeof kid !== 'string' || kid === '') throw new TypeError('mintClientAssertion: kid must be a non-empty string (or the JWK must carry one)');
  return kid;
}
