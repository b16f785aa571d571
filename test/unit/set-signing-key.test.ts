/** The one RS256 check of the key that signs SETs, shared by verify --flow ssf, send --via ssf and env --flow ssf. */
import { expect } from 'chai';
import { generateProviderKeyPair } from '../../src/keys/index.ts';
import { signingKeyPair } from '../../src/keys/generate-key-pair.ts';
import { assertSetSigningKey } from '../../src/ssf/set-signing-key.ts';
import { harnessErrorOf } from '../helpers/errors.ts';

const FIX = "give --key an RSA private key (2048 bits or more) whose JWK says alg RS256 or no alg, and publish its public JWK in the provider's JWKS.";

describe('assertSetSigningKey', function () {
  this.timeout(20_000);

  it('takes an RS256 key', async () => {
    const keys = await generateProviderKeyPair();
    expect(() => assertSetSigningKey(keys, '/keys/rsa.jwk.json')).to.not.throw();
  });

  it('refuses an RSA key whose JWK declares RS384, naming --key and the file, with exit code 2', async () => {
    const rsa = await generateProviderKeyPair();
    const keys = signingKeyPair(rsa.privateJwk, rsa.kid, 'RS384');
    const error = harnessErrorOf(() => assertSetSigningKey(keys, '/keys/rs384.jwk.json'));
    expect({ code: error.code, setting: error.setting, message: error.message, fix: error.fix, exitCode: error.exitCode }).to.deep.equal({
      code: 'ERR_KEY_INVALID',
      setting: '--key',
      message: "The key file /keys/rs384.jwk.json given by --key is an RS384 key; Okta's SSF receiver takes SETs signed with RS256 only.",
      fix: FIX,
      exitCode: 2,
    });
  });
});
