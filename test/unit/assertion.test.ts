/**
 * The client assertion for Okta's token endpoint: header, claims, lifetime bounds and key handling,
 * each checked by verifying the JWT with jose. Every key is generated here at run time.
 */
import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import { mintClientAssertion, type MintClientAssertionOptions } from '../../src/assertion/mint-client-assertion.ts';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';

const ORG_URL = 'https://example.okta.com';
const TOKEN_URL = 'https://example.okta.com/oauth2/v1/token';
const CLIENT_ID = '0oaaaboyxsbrWdsk81d6';
const NOW = new Date('2026-11-28T12:00:00.000Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

/** The error `promise` rejects with; fails the test if it resolves. */
async function caught<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

function rejection(options: MintClientAssertionOptions): Promise<Error> {
  return caught(mintClientAssertion(options));
}

describe('mintClientAssertion', () => {
  let pair: ProviderKeyPair;
  let base: MintClientAssertionOptions;

  before(async () => {
    pair = await generateProviderKeyPair();
    base = { clientId: CLIENT_ID, orgUrl: ORG_URL, privateKey: pair.privateJwk, currentDate: NOW };
  });

  /** Verifies `jwt` as Okta would: signature with the registered public key, iss, sub, aud, exp at NOW. */
  async function verified(jwt: string, publicJwk: JWK = pair.publicJwk, alg = pair.alg) {
    return jwtVerify(jwt, await importJWK(publicJwk, alg), {
      algorithms: [alg],
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      audience: TOKEN_URL,
      currentDate: NOW,
      typ: 'JWT',
    });
  }

  describe('the JWT', () => {
    it('verifies with the public JWK for iss = sub = clientId and aud = the token URL', async () => {
      const { payload } = await verified(await mintClientAssertion(base));
      expect(payload).to.include({ iss: CLIENT_ID, sub: CLIENT_ID, aud: TOKEN_URL });
    });

    it('has the header {alg, kid, typ: "JWT"} and nothing else', async () => {
      const header = decodeProtectedHeader(await mintClientAssertion(base));
      expect(header).to.deep.equal({ alg: 'RS256', kid: pair.kid, typ: 'JWT' });
    });

    it('has exactly the claims iss, sub, aud, iat, exp and jti', async () => {
      const payload = decodeJwt(await mintClientAssertion(base));
      expect(Object.keys(payload).sort()).to.deep.equal(['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
    });

    it('sets iat from currentDate and exp 300 seconds later by default', async () => {
      const payload = decodeJwt(await mintClientAssertion(base));
      expect(payload.iat).to.equal(NOW_SECONDS);
      expect(payload.exp).to.equal(NOW_SECONDS + 300);
    });

    it('gives aud as a single string, not an array', async () => {
      expect(decodeJwt(await mintClientAssertion(base)).aud).to.equal(TOKEN_URL);
    });

    it('uses a fresh random UUID as jti on every call', async () => {
      const first = decodeJwt(await mintClientAssertion(base)).jti;
      const second = decodeJwt(await mintClientAssertion(base)).jti;
      expect(first).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(second).to.not.equal(first);
    });

    it('uses the jti it is given', async () => {
      expect(decodeJwt(await mintClientAssertion({ ...base, jti: 'run-1-token-1' })).jti).to.equal('run-1-token-1');
    });

    it('builds the audience on the origin it is given, http included (the emulator)', async () => {
      const payload = decodeJwt(await mintClientAssertion({ ...base, orgUrl: 'http://127.0.0.1:8443' }));
      expect(payload.aud).to.equal('http://127.0.0.1:8443/oauth2/v1/token');
    });
  });

  describe('lifetimeSeconds', () => {
    it('sets exp to iat + 3600 at the upper bound', async () => {
      const payload = decodeJwt(await mintClientAssertion({ ...base, lifetimeSeconds: 3600 }));
      expect(payload.exp! - payload.iat!).to.equal(3600);
    });

    it('sets exp to iat + 1 at the lower bound', async () => {
      const payload = decodeJwt(await mintClientAssertion({ ...base, lifetimeSeconds: 1 }));
      expect(payload.exp! - payload.iat!).to.equal(1);
    });

    it('rejects 3601 (over the hour Okta allows) with TypeError', async () => {
      const error = await rejection({ ...base, lifetimeSeconds: 3601 });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: lifetimeSeconds must be an integer from 1 to 3600, got 3601');
    });

    it('rejects 0 with TypeError', async () => {
      const error = await rejection({ ...base, lifetimeSeconds: 0 });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: lifetimeSeconds must be an integer from 1 to 3600, got 0');
    });

    it('rejects a fraction with TypeError', async () => {
      const error = await rejection({ ...base, lifetimeSeconds: 1.5 });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: lifetimeSeconds must be an integer from 1 to 3600, got 1.5');
    });

    it('makes an assertion jose rejects as expired once its lifetime has passed', async () => {
      const jwt = await mintClientAssertion({ ...base, lifetimeSeconds: 60 });
      const later = new Date(NOW.getTime() + 61_000);
      const error = await caught<Error & { code: string }>(jwtVerify(jwt, await importJWK(pair.publicJwk, 'RS256'), { currentDate: later }));
      expect(error.code).to.equal('ERR_JWT_EXPIRED');
    });
  });

  describe('keys and algorithms', () => {
    it('takes alg and kid from the JWK: ES256 for an EC P-256 key', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const privateJwk = { ...(await exportJWK(privateKey)), kid: 'ec-key' };
      const jwt = await mintClientAssertion({ ...base, privateKey: privateJwk });
      expect(decodeProtectedHeader(jwt)).to.deep.equal({ alg: 'ES256', kid: 'ec-key', typ: 'JWT' });
      await verified(jwt, await exportJWK(publicKey), 'ES256');
    });

    it('signs RS512 with an RSA JWK when asked', async () => {
      const jwt = await mintClientAssertion({ ...base, alg: 'RS512' });
      expect(decodeProtectedHeader(jwt).alg).to.equal('RS512');
      await verified(jwt, pair.publicJwk, 'RS512');
    });

    it('takes alg from the JWK when the JWK declares one (RS384)', async () => {
      const jwt = await mintClientAssertion({ ...base, privateKey: { ...pair.privateJwk, alg: 'RS384' } });
      expect(decodeProtectedHeader(jwt).alg).to.equal('RS384');
    });

    it('uses the kid option over the JWK\'s kid', async () => {
      expect(decodeProtectedHeader(await mintClientAssertion({ ...base, kid: 'other-kid' })).kid).to.equal('other-kid');
    });

    it('signs with a CryptoKey and the kid it is given', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const jwt = await mintClientAssertion({ ...base, privateKey, kid: 'crypto-key' });
      expect(decodeProtectedHeader(jwt)).to.deep.equal({ alg: 'RS256', kid: 'crypto-key', typ: 'JWT' });
    });

    it('rejects a CryptoKey with no kid', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const error = await rejection({ ...base, privateKey });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: kid must be a non-empty string (or the JWK must carry one)');
    });

    it('rejects a JWK with no kid', async () => {
      const { kid: _kid, ...noKid } = pair.privateJwk;
      const error = await rejection({ ...base, privateKey: noKid });
      expect(error.message).to.equal('mintClientAssertion: kid must be a non-empty string (or the JWK must carry one)');
    });

    it('rejects a public CryptoKey', async () => {
      const { publicKey } = await generateKeyPair('RS256');
      const error = await rejection({ ...base, privateKey: publicKey as CryptoKey, kid: 'k' });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: privateKey must be a private CryptoKey that may sign');
    });

    it('rejects an alg that does not fit a CryptoKey', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const error = await rejection({ ...base, privateKey, kid: 'k', alg: 'RS384' });
      expect(error.message).to.equal('mintClientAssertion: alg RS384 does not fit the key, which signs RS256');
    });

    it('rejects a public JWK', async () => {
      const error = await rejection({ ...base, privateKey: pair.publicJwk });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: privateKey must be a private JWK (with "d") or a CryptoKey');
    });

    it('rejects an EC alg for an RSA JWK', async () => {
      const error = await rejection({ ...base, alg: 'ES256' });
      expect(error.message).to.equal('mintClientAssertion: alg ES256 does not fit the RSA key');
    });

    it('rejects an EC JWK asked to sign with another curve\'s algorithm', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const error = await rejection({ ...base, privateKey: { ...(await exportJWK(privateKey)), kid: 'k' }, alg: 'ES384' });
      expect(error.message).to.equal('mintClientAssertion: alg ES384 does not fit the EC key on P-256');
    });

    it('rejects an algorithm Okta does not accept', async () => {
      const error = await rejection({ ...base, alg: 'PS256' as never });
      expect(error.message).to.equal('mintClientAssertion: alg must be one of RS256, RS384, RS512, ES256, ES384, ES512, got "PS256"');
    });
  });

  describe('other options', () => {
    it('rejects an orgUrl with a trailing slash, which would change the audience', async () => {
      const error = await rejection({ ...base, orgUrl: 'https://example.okta.com/' });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: orgUrl must be an http(s) origin with no path or trailing slash, got "https://example.okta.com/"');
    });

    it('rejects an orgUrl that is not a URL', async () => {
      const error = await rejection({ ...base, orgUrl: 'example.okta.com' });
      expect(error.message).to.equal('mintClientAssertion: orgUrl must be an http(s) origin with no path or trailing slash, got "example.okta.com"');
    });

    it('rejects an empty clientId', async () => {
      const error = await rejection({ ...base, clientId: '' });
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('mintClientAssertion: clientId must be a non-empty string');
    });

    it('rejects an invalid currentDate', async () => {
      const error = await rejection({ ...base, currentDate: new Date('not a date') });
      expect(error.message).to.equal('mintClientAssertion: currentDate must be a valid Date');
    });

    it('rejects an empty jti', async () => {
      const error = await rejection({ ...base, jti: '' });
      expect(error.message).to.equal('mintClientAssertion: jti must be a non-empty string');
    });

    it('defaults currentDate to now', async () => {
      const before = Math.floor(Date.now() / 1000);
      const { iat } = decodeJwt(await mintClientAssertion({ clientId: CLIENT_ID, orgUrl: ORG_URL, privateKey: pair.privateJwk }));
      expect(iat).to.be.within(before, Math.floor(Date.now() / 1000));
    });
  });
});
