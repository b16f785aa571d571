/**
 * Loads the provider's private key from a file the user gives (`--key`): a private JWK (mkjwk's
 * "Public and Private Keypair"), a JWKS holding exactly one private key, or a PKCS#8 PEM.
 *
 * Only keys Okta accepts for `private_key_jwt` pass: RSA of at least 2048 bits (RS256/384/512) or EC
 * P-256/P-384/P-521 (ES256/384/512). Every rejection is a HarnessError that names the setting and the fix.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { HarnessError } from '../errors.ts';
import { PRIVATE_KEY_MEMBERS } from '../okta/jwk.ts';
import { keyIdOf, signingKeyPair, type ProviderKeyPair, type SigningAlgorithm } from './generate-key-pair.ts';

/** Options of {@link loadKeyPair}. */
export interface LoadKeyPairOptions {
  /** How the user spells the setting that named the file, for messages. Default `--key`. */
  setting?: string;
}

const RSA_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'RS384', 'RS512'];
/** Each curve signs with exactly one ES algorithm (RFC 7518 §3.4). */
const EC_ALGORITHM_BY_CURVE: Record<string, SigningAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const MIN_RSA_BITS = 2048;
const PROBE = Buffer.from('okta-risk-harness key check');

/**
 * Reads and checks the key file, and returns the pair: the file's `kid` when it has one, otherwise the
 * RFC 7638 SHA-256 thumbprint; `alg` from the file, else RS256 for RSA and the curve's ES algorithm for EC.
 * The public JWK is derived from the private key and never carries a private member.
 */
export async function loadKeyPair(file: string, options: LoadKeyPairOptions = {}): Promise<ProviderKeyPair> {
  const setting = options.setting ?? '--key';
  const reject = (reason: string, fix: string = KEY_FIX(setting)): HarnessError =>
    new HarnessError('ERR_KEY_INVALID', `The key file ${file} given by ${setting} ${reason}`, { setting, fix });

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new HarnessError('ERR_FILE_UNREADABLE', `Cannot read the key file ${file} given by ${setting} (${code}).`, {
      setting,
      fix: `Check the path and the permissions of the file given to ${setting}.`,
      cause: error,
    });
  }

  const trimmed = text.trim();
  const jwk = trimmed.startsWith('{') ? jwkFromJson(trimmed, reject) : jwkFromPem(trimmed, reject);
  return checkedKeyPair(jwk, reject);
}

type Reject = (reason: string, fix?: string) => HarnessError;

const KEY_FIX = (setting: string): string =>
  `Give ${setting} a private JWK (mkjwk's "Public and Private Keypair"), a JWKS holding one private key, ` +
  'or a PKCS#8 PEM file (its first line reads BEGIN PRIVATE KEY) of an RSA (2048 bits or more) or EC P-256/P-384/P-521 key.';

function jwkFromJson(text: string, reject: Reject): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw reject(`is not valid JSON (${(error as Error).message}).`);
  }
  if (!isObject(parsed)) throw reject('is JSON but not a JWK or a JWKS.');
  if (!('keys' in parsed)) {
    if (typeof parsed.kty !== 'string') throw reject('is JSON but neither a JWK (no "kty") nor a JWKS (no "keys").');
    return parsed;
  }
  if (!Array.isArray(parsed.keys) || !parsed.keys.every(isObject)) throw reject('is a JWKS whose "keys" is not an array of JWKs.');
  const privateKeys = parsed.keys.filter((key) => 'd' in key || 'k' in key);
  if (privateKeys.length === 0) {
    throw reject('is a JWKS of public keys only; signing client assertions needs the private key.', PUBLIC_ONLY_FIX);
  }
  if (privateKeys.length > 1) {
    throw reject(
      `is a JWKS holding ${privateKeys.length} private keys; the harness needs exactly one.`,
      'Keep only the service app\'s signing key in the JWKS, or give the file that key alone.',
    );
  }
  return privateKeys[0] as Record<string, unknown>;
}

const PUBLIC_ONLY_FIX =
  'Give the "Public and Private Keypair" (the JWK with the private member "d") or the PKCS#8 private key PEM, not the public key.';

function jwkFromPem(text: string, reject: Reject): Record<string, unknown> {
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
  if (label === undefined) throw reject('is neither JSON (a JWK or a JWKS) nor a PEM key.');
  if (label === 'ENCRYPTED PRIVATE KEY') {
    throw reject(
      'is an encrypted PEM private key.',
      'Decrypt it first: openssl pkcs8 -in encrypted.pem -out key.pem (then give that file).',
    );
  }
  if (label === 'RSA PRIVATE KEY' || label === 'EC PRIVATE KEY') {
    throw reject(
      `is a "${label}" PEM (PKCS#1 or SEC 1), not PKCS#8.`,
      'Convert it: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem (then give that file).',
    );
  }
  if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY' || label === 'CERTIFICATE') {
    throw reject(`is a "${label}" PEM; signing client assertions needs the private key.`, PUBLIC_ONLY_FIX);
  }
  if (label !== 'PRIVATE KEY') throw reject(`is a "${label}" PEM, not a PKCS#8 private key.`);

  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    throw reject(`is not a readable PKCS#8 private key (${(error as Error).message}).`);
  }
  const type = key.asymmetricKeyType ?? 'unknown';
  // Node exports these as JWKs; the JWK checks then give the same answers as for a JSON file.
  if (!['rsa', 'ec', 'ed25519', 'ed448', 'x25519', 'x448'].includes(type)) {
    throw reject(`holds a key of type ${type}; Okta accepts only RSA and EC keys for private_key_jwt.`);
  }
  try {
    return key.export({ format: 'jwk' }) as Record<string, unknown>;
  } catch (error) {
    throw reject(`holds a ${type} key that cannot be used (${(error as Error).message}).`);
  }
}

async function checkedKeyPair(jwk: Record<string, unknown>, reject: Reject): Promise<ProviderKeyPair> {
  const kty = jwk.kty;
  if (kty === 'oct') {
    throw reject('holds a symmetric (oct) key; Okta\'s private_key_jwt needs an RSA or EC key pair.');
  }
  if (kty === 'OKP') {
    throw reject(`holds an OKP (${String(jwk.crv)}) key; Okta accepts only RSA (RS256/384/512) and EC (ES256/384/512) keys.`);
  }
  if (kty !== 'RSA' && kty !== 'EC') throw reject(`holds a key of kty ${JSON.stringify(kty)}; Okta accepts only RSA and EC keys.`);
  if (!('d' in jwk)) throw reject('holds only a public key; signing client assertions needs the private key.', PUBLIC_ONLY_FIX);

  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw reject(`declares use ${JSON.stringify(jwk.use)}; a client-assertion key must have use "sig".`, 'Set "use" to "sig" or remove it.');
  }
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('sign'))) {
    throw reject(`declares key_ops ${JSON.stringify(jwk.key_ops)} without "sign".`, 'Add "sign" to "key_ops" or remove it.');
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) {
    throw reject(`has a "kid" that is not a non-empty string (${JSON.stringify(jwk.kid)}).`, 'Set "kid" to a non-empty string or remove it.');
  }

  const alg = algorithmFor(jwk, reject);
  const privateKey = importPrivate(jwk, reject);
  if (kty === 'RSA') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw reject(
        `holds an RSA key of ${bits} bits; Okta needs at least ${MIN_RSA_BITS}.`,
        'Generate a new RSA key of 2048 bits or more (mkjwk: Key Size 2048, Key Use Signature, Algorithm RS256).',
      );
    }
  }

  const exported = privateKey.export({ format: 'jwk' }) as JWK;
  checkHalvesMatch(privateKey, exported, reject);
  const kid = typeof jwk.kid === 'string' ? jwk.kid : await keyIdOf(exported);
  return signingKeyPair(exported, kid, alg);
}

function algorithmFor(jwk: Record<string, unknown>, reject: Reject): SigningAlgorithm {
  const fix = (expected: readonly string[]): string =>
    `Set "alg" to ${expected.join(', ').replace(/, ([^,]*)$/, ' or $1')}, or remove it to use the default.`;
  if (jwk.kty === 'RSA') {
    if (jwk.alg === undefined) return 'RS256';
    if (RSA_ALGORITHMS.includes(jwk.alg as SigningAlgorithm)) return jwk.alg as SigningAlgorithm;
    throw reject(`declares alg ${JSON.stringify(jwk.alg)}, which does not fit its kty RSA (Okta accepts RS256, RS384, RS512).`, fix(RSA_ALGORITHMS));
  }
  const curve = jwk.crv;
  const expected = typeof curve === 'string' ? EC_ALGORITHM_BY_CURVE[curve] : undefined;
  if (expected === undefined) {
    throw reject(
      `holds an EC key on curve ${JSON.stringify(curve)}; Okta accepts P-256, P-384 and P-521.`,
      'Generate an EC key on P-256 (ES256), P-384 (ES384) or P-521 (ES512), or an RSA key of 2048 bits or more.',
    );
  }
  if (jwk.alg === undefined || jwk.alg === expected) return expected;
  throw reject(`declares alg ${JSON.stringify(jwk.alg)}, which does not fit its kty EC on ${String(curve)} (expected ${expected}).`, fix([expected]));
}

function importPrivate(jwk: Record<string, unknown>, reject: Reject): KeyObject {
  // Only key members go to the importer, so "use"/"alg"/"key_ops" cannot change how it reads the key.
  const members = jwk.kty === 'RSA' ? PRIVATE_KEY_MEMBERS.RSA : PRIVATE_KEY_MEMBERS.EC;
  const keyMembers = Object.fromEntries(members.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m]]));
  try {
    return createPrivateKey({ key: keyMembers as JsonWebKeyInput['key'], format: 'jwk' });
  } catch (error) {
    throw reject(`does not hold a valid ${String(jwk.kty)} private key (${(error as Error).message}).`);
  }
}

type JsonWebKeyInput = Extract<Parameters<typeof createPrivateKey>[0], { format: 'jwk' }>;

/** A file whose public members do not belong to its private key would sign assertions Okta rejects. */
function checkHalvesMatch(privateKey: KeyObject, exported: JWK, reject: Reject): void {
  const { kty, n, e, crv, x, y } = exported;
  let matches = false;
  try {
    const publicKey = createPublicKey({ key: { kty, n, e, crv, x, y } as JsonWebKeyInput['key'], format: 'jwk' });
    matches = verify('sha256', PROBE, publicKey, sign('sha256', PROBE, privateKey));
  } catch {
    matches = false;
  }
  if (!matches) throw reject('holds public members that do not belong to its private key (a signature made with it does not verify).');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
