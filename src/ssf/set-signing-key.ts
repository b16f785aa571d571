/**
 * The one check of the key that signs SETs: Okta's SSF receiver takes SETs signed with RS256 only, so an EC key
 * (or an RSA key whose JWK declares RS384 or RS512) is refused before anything is created or sent. verify
 * --flow ssf, send --via ssf and env --flow ssf all call it.
 */
import { HarnessError } from '../errors.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import { SET_ALGORITHMS } from '../okta/ssf.ts';

/**
 * Throws HarnessError `ERR_KEY_INVALID` (exit code 2), naming `--key`, for a key that does not sign with RS256.
 * `keyFile` is the resolved `--key` path; a fresh key (no `--key`) is always RS256.
 */
export function assertSetSigningKey(keys: ProviderKeyPair, keyFile: string | undefined): void {
  if ((SET_ALGORITHMS as readonly string[]).includes(keys.alg)) return;
  throw new HarnessError('ERR_KEY_INVALID', `The key file ${keyFile} given by --key is an ${keys.alg} key; Okta's SSF receiver takes SETs signed with RS256 only.`, {
    setting: '--key',
    fix: "give --key an RSA private key (2048 bits or more) whose JWK says alg RS256 or no alg, and publish its public JWK in the provider's JWKS.",
  });
}
