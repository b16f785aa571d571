/**
 * Generates the risk provider's signing key pair the way the guide's mkjwk settings describe it
 * (RSA 2048, use "sig", RS256), with the RFC 7638 SHA-256 thumbprint as `kid`, and writes it to disk.
 */
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { writeFileAtomic, writeSecretFile } from '../environment/write-secret-file.ts';
import { PRIVATE_KEY_MEMBERS, PUBLIC_KEY_MEMBERS } from '../okta/jwk.ts';

/** The signing algorithms Okta accepts for a `private_key_jwt` client assertion. */
export const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A provider key pair: both JWKs carry the same `kid`, `use: "sig"` and `alg`. */
export interface ProviderKeyPair {
  /** The private JWK (RSA: kty, n, e, d, p, q, dp, dq, qi; EC: kty, crv, x, y, d) plus kid, use, alg. */
  privateJwk: JWK;
  /** The public JWK, never with a private member: what goes into the service app's `jwks.keys`. */
  publicJwk: JWK;
  /** The key ID sent in the assertion header and registered with the public key. */
  kid: string;
  /** The algorithm the key signs with. */
  alg: SigningAlgorithm;
}

/** Options of {@link generateProviderKeyPair}. */
export interface GenerateProviderKeyPairOptions {
  /** RSA modulus length in bits. Default `2048` (the guide's key size); at least 2048. */
  modulusLength?: number;
}

/** File names {@link writeKeyPair} uses inside its directory. */
export const KEY_PAIR_FILES = { privateJwk: 'private.jwk.json', publicJwk: 'public.jwk.json' } as const;

// Indexed by any kty string: an unsupported one finds no members.
const PUBLIC_MEMBERS: Record<string, readonly string[]> = PUBLIC_KEY_MEMBERS;
const PRIVATE_MEMBERS: Record<string, readonly string[]> = PRIVATE_KEY_MEMBERS;

/**
 * Generates an RSA RS256 key pair for the provider's service app. `kid` is the RFC 7638 SHA-256 thumbprint
 * of the public key.
 */
export async function generateProviderKeyPair(options: GenerateProviderKeyPairOptions = {}): Promise<ProviderKeyPair> {
  const modulusLength = options.modulusLength ?? 2048;
  if (!Number.isInteger(modulusLength) || modulusLength < 2048) {
    throw new TypeError(`generateProviderKeyPair: modulusLength must be an integer of at least 2048, got ${String(modulusLength)}`);
  }
  // extractable applies to the private key, which must be exported to be stored.
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength, extractable: true });
  const kid = await keyIdOf(await exportJWK(publicKey));
  return signingKeyPair(await exportJWK(privateKey), kid, 'RS256');
}

/**
 * The RFC 7638 SHA-256 thumbprint of a JWK's public members (RSA: e, kty, n; EC: crv, kty, x, y), the
 * `kid` the harness gives a key that has none. Other members (kid, alg, use, private ones) do not count.
 */
export async function keyIdOf(jwk: JWK): Promise<string> {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new TypeError(`keyIdOf: unsupported kty ${String(jwk.kty)}`);
  return calculateJwkThumbprint(pick(jwk, members), 'sha256');
}

/**
 * Builds a {@link ProviderKeyPair} from a private JWK: keeps only the key members of its kty (dropping
 * x5c, key_ops and the like) and adds `kid`, `use: "sig"` and `alg` to both halves.
 */
export function signingKeyPair(privateKey: JWK, kid: string, alg: SigningAlgorithm): ProviderKeyPair {
  const kty = privateKey.kty ?? '';
  const privateMembers = PRIVATE_MEMBERS[kty];
  const publicMembers = PUBLIC_MEMBERS[kty];
  if (!privateMembers || !publicMembers) throw new TypeError(`signingKeyPair: unsupported kty ${kty}`);
  const signing = { kid, use: 'sig', alg };
  return {
    privateJwk: { ...pick(privateKey, privateMembers), ...signing },
    publicJwk: { ...pick(privateKey, publicMembers), ...signing },
    kid,
    alg,
  };
}

/**
 * Writes `private.jwk.json` (mode 0600) and `public.jwk.json` (mode 0644) into `dir`, each atomically;
 * `dir` is created 0700 when missing. The private file is what `loadKeyPair` reads back.
 */
export async function writeKeyPair(dir: string, pair: ProviderKeyPair): Promise<{ privateJwkFile: string; publicJwkFile: string }> {
  if (typeof pair?.privateJwk?.d !== 'string') throw new TypeError('writeKeyPair: pair.privateJwk must be a private JWK');
  if (Object.keys(pair.publicJwk).some((member) => !isPublicMember(member))) {
    throw new TypeError('writeKeyPair: pair.publicJwk must hold no private member');
  }
  const privateJwkFile = join(dir, KEY_PAIR_FILES.privateJwk);
  const publicJwkFile = join(dir, KEY_PAIR_FILES.publicJwk);
  await writeSecretFile(privateJwkFile, `${JSON.stringify(pair.privateJwk, null, 2)}\n`);
  await writeFileAtomic(publicJwkFile, `${JSON.stringify(pair.publicJwk, null, 2)}\n`, { mode: 0o644, directoryMode: 0o700 });
  return { privateJwkFile, publicJwkFile };
}

/** True for the members a public RSA or EC JWK may carry. */
export function isPublicMember(member: string): boolean {
  return ['kty', 'e', 'n', 'crv', 'x', 'y', 'kid', 'use', 'alg'].includes(member);
}

function pick(jwk: JWK, members: readonly string[]): JWK {
  const out: Record<string, unknown> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (value !== undefined) out[member] = value;
  }
  return out as JWK;
}
