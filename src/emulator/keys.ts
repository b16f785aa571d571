/**
 * The org authorization server's signing key: RS256, as Okta signs every org access token. Generated per
 * emulator, never written anywhere; the public half is served at `/oauth2/v1/keys`.
 *
 * Its `kid` is known at once and the RSA pair is made later: an app's `credentials.signing.kid` names the key
 * from the first request on, but nothing needs the pair until the first access token is signed (or the key
 * set is fetched). So a caller can build the emulator, listen and serve the first requests while the pair is
 * still being made, and choose when to start making it (`start()`): the embedded org of a run starts it once
 * the run's start-up is over, so the key's ~90 ms of CPU does not compete with that start-up on a small
 * machine.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface OrgKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK as `/oauth2/v1/keys` serves it. */
  publicJwk: JWK & { kid: string };
}

/**
 * A key id as Okta's org authorization server shows them: 43 base64url characters, opaque (Okta documents no
 * derivation; its kids are not the key's thumbprint).
 */
export function newKeyId(): string {
  return randomBytes(32).toString('base64url');
}

/** A new RS256 pair with its public JWK, named `kid` (default: a new key id). */
export async function createOrgKeys(kid: string = newKeyId()): Promise<OrgKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk: { kty: 'RSA', alg: 'RS256', kid, use: 'sig', e: jwk.e, n: jwk.n } };
}

/** The org's signing key: its `kid` now, the pair when it is made (on `start()` or at first use, once). */
export class OrgSigningKey {
  readonly kid: string;
  #keys: Promise<OrgKeys> | undefined;

  /** A key made later, on `start()` or at its first use. */
  constructor(kid: string = newKeyId()) {
    this.kid = kid;
  }

  /** A pair the caller made already (`createOrgKeys()`); its `kid` is the pair's. */
  static of(keys: OrgKeys): OrgSigningKey {
    const key = new OrgSigningKey(keys.publicJwk.kid);
    key.#keys = Promise.resolve(keys);
    return key;
  }

  /** Whether the pair is being made or made. */
  get started(): boolean {
    return this.#keys !== undefined;
  }

  /** Starts making the pair now (on libuv's thread pool), unless it was started already. */
  start(): this {
    if (!this.#keys) {
      this.#keys = createOrgKeys(this.kid);
      // A failure is met by whoever needs the key (a 500 at the token endpoint), never as an unhandled rejection.
      this.#keys.catch(() => undefined);
    }
    return this;
  }

  /** The pair, made first if nobody started it. */
  keys(): Promise<OrgKeys> {
    return this.start().#keys!;
  }
}
