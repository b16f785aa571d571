/**
 * Which members a JWK may carry, as Okta and RFC 7517/7518 define them. Neutral: imports neither side.
 *
 * The emulator refuses a client key set with any private member or any member outside its kty's public set;
 * the harness keeps exactly these members when it builds, imports, redacts or checks a key.
 */

/** Members that make a JWK private or symmetric (RFC 7518 §6.2.2, §6.3.2, §6.4.1): never in a public key set. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The key types Okta takes for `private_key_jwt` clients. */
export const JWK_KEY_TYPES = ['RSA', 'EC'] as const;
export type JwkKeyType = (typeof JWK_KEY_TYPES)[number];

/** The members that are the public key itself, per kty (and the RFC 7638 thumbprint's input). */
export const PUBLIC_KEY_MEMBERS: Record<JwkKeyType, readonly string[]> = {
  RSA: ['kty', 'e', 'n'],
  EC: ['kty', 'crv', 'x', 'y'],
};

/** The members of the private key, per kty (public members included; RSA's multi-prime `oth` is not used). */
export const PRIVATE_KEY_MEMBERS: Record<JwkKeyType, readonly string[]> = {
  RSA: ['kty', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'],
  EC: ['kty', 'crv', 'x', 'y', 'd'],
};

/** The metadata members Okta keeps with a client's public key. */
export const JWK_METADATA_MEMBERS = ['kid', 'use', 'alg'] as const;

/** Every member a public JWK of a client key set may carry, per kty; anything else is refused. */
export const PUBLIC_JWK_MEMBERS: Record<JwkKeyType, ReadonlySet<string>> = {
  RSA: new Set([...PUBLIC_KEY_MEMBERS.RSA, ...JWK_METADATA_MEMBERS]),
  EC: new Set([...PUBLIC_KEY_MEMBERS.EC, ...JWK_METADATA_MEMBERS]),
};

export function isJwkKeyType(value: unknown): value is JwkKeyType {
  return value === 'RSA' || value === 'EC';
}

/** The private members `jwk` carries, in {@link PRIVATE_JWK_MEMBERS} order. */
export function privateMembersOf(jwk: object): string[] {
  return PRIVATE_JWK_MEMBERS.filter((member) => member in jwk);
}
