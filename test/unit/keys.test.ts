/**
 * The provider key pair: generation (mkjwk's settings, RFC 7638 kid), loading the user's key file with
 * every rejection Okta would otherwise make later, and writing the pair to disk.
 * Every key is generated here at run time.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CompactSign, compactVerify, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importJWK, type JWK } from 'jose';
import { HarnessError } from '../../src/errors.ts';
import { generateProviderKeyPair, keyIdOf, loadKeyPair, writeKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The error `promise` rejects with; fails the test if it resolves. */
async function caught<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** A private JWK of the given jose algorithm, exported with jose. */
async function privateJwk(alg: 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return exportJWK(privateKey);
}

async function privatePem(alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<string> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return exportPKCS8(privateKey);
}

/** Keys WebCrypto (and so jose) will not make: too small, or on a curve Okta does not take. */
function nodeKey(type: 'rsa1024' | 'secp256k1'): KeyObject {
  if (type === 'rsa1024') return generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  return generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
}

async function signsAndVerifies(pair: ProviderKeyPair): Promise<boolean> {
  const payload = new TextEncoder().encode('probe');
  const jws = await new CompactSign(payload).setProtectedHeader({ alg: pair.alg }).sign(await importJWK(pair.privateJwk, pair.alg));
  const { payload: verified } = await compactVerify(jws, await importJWK(pair.publicJwk, pair.alg));
  return new TextDecoder().decode(verified) === 'probe';
}

describe('provider keys', () => {
  let dir: string;
  let rsa: JWK;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'okta-risk-keys-'));
    rsa = await privateJwk('RS256');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes `text` to a fresh file in the test directory and returns its path. */
  let fileCount = 0;
  async function keyFile(text: string): Promise<string> {
    const file = join(dir, `key-${++fileCount}`);
    await writeFile(file, text);
    return file;
  }

  /** Loads `text` from a file and returns the HarnessError it must throw. */
  async function rejection(text: string, setting?: string): Promise<{ error: HarnessError; file: string }> {
    const file = await keyFile(text);
    try {
      await loadKeyPair(file, setting === undefined ? {} : { setting });
    } catch (error) {
      expect(error).to.be.instanceOf(HarnessError);
      return { error: error as HarnessError, file };
    }
    throw new Error('loadKeyPair accepted the file');
  }

  async function expectKeyInvalid(text: string, reason: string): Promise<HarnessError> {
    const { error, file } = await rejection(text);
    expect(error.code).to.equal('ERR_KEY_INVALID');
    expect(error.setting).to.equal('--key');
    expect(error.message).to.equal(`The key file ${file} given by --key ${reason}`);
    expect(error.fix).to.be.a('string').and.not.equal('');
    return error;
  }

  describe('keyIdOf', () => {
    it('gives the RFC 7638 §3.1 thumbprint for the RFC example key, ignoring its kid and alg', async () => {
      const rfc7638Example: JWK = {
        kty: 'RSA',
        n:
          '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
          'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9' +
          '1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
        alg: 'RS256',
        kid: '2011-04-29',
      };
      expect(await keyIdOf(rfc7638Example)).to.equal('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    });

    it('gives a different thumbprint when the modulus changes', async () => {
      const other = await privateJwk('RS256');
      expect(await keyIdOf(other)).to.not.equal(await keyIdOf(rsa));
    });
  });

  describe('generateProviderKeyPair', () => {
    let pair: ProviderKeyPair;
    before(async () => {
      pair = await generateProviderKeyPair();
    });

    it('makes an RSA 2048 RS256 key pair', async () => {
      expect(pair.alg).to.equal('RS256');
      expect(pair.publicJwk.kty).to.equal('RSA');
      expect(Buffer.from(pair.publicJwk.n!, 'base64url').length * 8).to.equal(2048);
    });

    it('sets kid to the RFC 7638 SHA-256 thumbprint of the public key', async () => {
      expect(pair.kid).to.equal(await keyIdOf(pair.publicJwk));
      expect(pair.kid).to.match(/^[A-Za-z0-9_-]{43}$/);
    });

    it('gives the public JWK exactly kty, e, n, kid, use "sig" and alg "RS256", in that order', () => {
      expect(Object.keys(pair.publicJwk)).to.deep.equal(['kty', 'e', 'n', 'kid', 'use', 'alg']);
      expect(pair.publicJwk).to.include({ kid: pair.kid, use: 'sig', alg: 'RS256' });
    });

    it('gives the private JWK the same kid, use and alg and every private member', () => {
      expect(pair.privateJwk).to.include({ kid: pair.kid, use: 'sig', alg: 'RS256', n: pair.publicJwk.n, e: pair.publicJwk.e });
      expect(pair.privateJwk).to.have.all.keys('kty', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'kid', 'use', 'alg');
    });

    it('makes a private key whose signatures the public key verifies', async () => {
      expect(await signsAndVerifies(pair)).to.equal(true);
    });

    it('makes a new key on every call', async () => {
      expect((await generateProviderKeyPair()).kid).to.not.equal(pair.kid);
    });

    it('rejects a modulusLength below 2048 with TypeError', async () => {
      const error = await caught(generateProviderKeyPair({ modulusLength: 1024 }));
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('generateProviderKeyPair: modulusLength must be an integer of at least 2048, got 1024');
    });
  });

  describe('loadKeyPair accepts', () => {
    it('a private JWK (mkjwk\'s "Public and Private Keypair") and keeps its kid', async () => {
      const pair = await loadKeyPair(await keyFile(JSON.stringify({ ...rsa, use: 'sig', kid: 'my_key_id', alg: 'RS256' })));
      expect(pair.kid).to.equal('my_key_id');
      expect(pair.publicJwk).to.deep.equal({ kty: 'RSA', e: rsa.e, n: rsa.n, kid: 'my_key_id', use: 'sig', alg: 'RS256' });
      expect(pair.privateJwk).to.include({ d: rsa.d, kid: 'my_key_id', use: 'sig', alg: 'RS256' });
    });

    it('a private JWK with no kid, giving it the RFC 7638 thumbprint', async () => {
      const pair = await loadKeyPair(await keyFile(JSON.stringify(rsa)));
      expect(pair.kid).to.equal(await keyIdOf(rsa));
      expect(pair.publicJwk.kid).to.equal(pair.kid);
      expect(pair.privateJwk.kid).to.equal(pair.kid);
    });

    it('an RSA JWK with no alg as RS256, and keeps RS384 or RS512 when the JWK says so', async () => {
      expect((await loadKeyPair(await keyFile(JSON.stringify(rsa)))).alg).to.equal('RS256');
      expect((await loadKeyPair(await keyFile(JSON.stringify({ ...rsa, alg: 'RS512' })))).alg).to.equal('RS512');
      expect((await loadKeyPair(await keyFile(JSON.stringify({ ...rsa, alg: 'RS384' })))).publicJwk.alg).to.equal('RS384');
    });

    it('a JWKS holding one private key (and public keys, which it ignores)', async () => {
      const other = await privateJwk('RS256');
      const jwks = { keys: [{ kty: 'RSA', e: other.e, n: other.n, kid: 'public-only' }, { ...rsa, kid: 'the-private-one' }] };
      const pair = await loadKeyPair(await keyFile(JSON.stringify(jwks)));
      expect(pair.kid).to.equal('the-private-one');
      expect(pair.publicJwk.n).to.equal(rsa.n);
    });

    it('a PKCS#8 PEM RSA key as RS256 with the thumbprint kid', async () => {
      const pair = await loadKeyPair(await keyFile(await privatePem('RS256')));
      expect(pair.alg).to.equal('RS256');
      expect(pair.kid).to.equal(await keyIdOf(pair.publicJwk));
      expect(await signsAndVerifies(pair)).to.equal(true);
    });

    it('a PKCS#8 PEM EC P-256 key as ES256', async () => {
      const pair = await loadKeyPair(await keyFile(await privatePem('ES256')));
      expect(pair.alg).to.equal('ES256');
      expect(Object.keys(pair.publicJwk)).to.deep.equal(['kty', 'crv', 'x', 'y', 'kid', 'use', 'alg']);
      expect(await signsAndVerifies(pair)).to.equal(true);
    });

    it('EC P-384 and P-521 JWKs as ES384 and ES512', async () => {
      expect((await loadKeyPair(await keyFile(JSON.stringify(await privateJwk('ES384'))))).alg).to.equal('ES384');
      const p521 = await loadKeyPair(await keyFile(JSON.stringify({ ...(await privateJwk('ES512')), alg: 'ES512' })));
      expect(p521.alg).to.equal('ES512');
      expect(await signsAndVerifies(p521)).to.equal(true);
    });

    it('derives a public JWK that holds no private member', async () => {
      for (const text of [JSON.stringify(rsa), await privatePem('RS256'), JSON.stringify(await privateJwk('ES256'))]) {
        const pair = await loadKeyPair(await keyFile(text));
        expect(Object.keys(pair.publicJwk).filter((member) => PRIVATE_MEMBERS.includes(member))).to.deep.equal([]);
      }
    });

    it('drops members that are not key members (x5c, key_ops) from both halves', async () => {
      const pair = await loadKeyPair(await keyFile(JSON.stringify({ ...rsa, key_ops: ['sign'], x5c: ['MIIB'], ext: true })));
      expect(pair.privateJwk).to.not.have.any.keys('key_ops', 'x5c', 'ext');
      expect(pair.publicJwk).to.not.have.any.keys('key_ops', 'x5c', 'ext');
    });
  });

  describe('loadKeyPair rejects', () => {
    it('a missing file with ERR_FILE_UNREADABLE naming --key', async () => {
      const file = join(dir, 'no-such-key.json');
      const error = await caught<HarnessError>(loadKeyPair(file));
      expect(error).to.be.instanceOf(HarnessError);
      expect(error.code).to.equal('ERR_FILE_UNREADABLE');
      expect(error.setting).to.equal('--key');
      expect(error.message).to.equal(`Cannot read the key file ${file} given by --key (ENOENT).`);
      expect(error.fix).to.equal('Check the path and the permissions of the file given to --key.');
    });

    it('a directory with ERR_FILE_UNREADABLE', async () => {
      const sub = join(dir, 'a-directory');
      await mkdir(sub);
      const error = await caught<HarnessError>(loadKeyPair(sub));
      expect(error.code).to.equal('ERR_FILE_UNREADABLE');
      expect(error.message).to.equal(`Cannot read the key file ${sub} given by --key (EISDIR).`);
    });

    it('names the setting the caller gives instead of --key', async () => {
      const { error, file } = await rejection('not a key', 'OKTA_RISK_KEY');
      expect(error.setting).to.equal('OKTA_RISK_KEY');
      expect(error.message).to.equal(`The key file ${file} given by OKTA_RISK_KEY is neither JSON (a JWK or a JWKS) nor a PEM key.`);
      expect(error.fix).to.contain('Give OKTA_RISK_KEY a private JWK');
    });

    it('a public-only JWK (mkjwk\'s "Public Key")', async () => {
      const error = await expectKeyInvalid(
        JSON.stringify({ kty: 'RSA', e: rsa.e, n: rsa.n, use: 'sig', alg: 'RS256' }),
        'holds only a public key; signing client assertions needs the private key.',
      );
      expect(error.fix).to.contain('"Public and Private Keypair"');
    });

    it('a JWKS of public keys only', async () => {
      await expectKeyInvalid(
        JSON.stringify({ keys: [{ kty: 'RSA', e: rsa.e, n: rsa.n }] }),
        'is a JWKS of public keys only; signing client assertions needs the private key.',
      );
    });

    it('a JWKS holding two private keys', async () => {
      await expectKeyInvalid(
        JSON.stringify({ keys: [rsa, await privateJwk('RS256')] }),
        'is a JWKS holding 2 private keys; the harness needs exactly one.',
      );
    });

    it('a JWKS whose keys is not an array of JWKs', async () => {
      await expectKeyInvalid(JSON.stringify({ keys: 'none' }), 'is a JWKS whose "keys" is not an array of JWKs.');
    });

    it('a public key PEM', async () => {
      const { publicKey } = await generateKeyPair('RS256', { extractable: true });
      await expectKeyInvalid(await exportSPKI(publicKey), 'is a "PUBLIC KEY" PEM; signing client assertions needs the private key.');
    });

    it('a symmetric (oct) JWK', async () => {
      await expectKeyInvalid(
        JSON.stringify({ kty: 'oct', k: Buffer.from('0123456789abcdef0123456789abcdef').toString('base64url') }),
        'holds a symmetric (oct) key; Okta\'s private_key_jwt needs an RSA or EC key pair.',
      );
    });

    it('an OKP (Ed25519) JWK', async () => {
      await expectKeyInvalid(
        JSON.stringify(await privateJwk('EdDSA')),
        'holds an OKP (Ed25519) key; Okta accepts only RSA (RS256/384/512) and EC (ES256/384/512) keys.',
      );
    });

    it('an OKP (Ed25519) PKCS#8 PEM', async () => {
      await expectKeyInvalid(
        await privatePem('EdDSA'),
        'holds an OKP (Ed25519) key; Okta accepts only RSA (RS256/384/512) and EC (ES256/384/512) keys.',
      );
    });

    it('a JWK of an unknown kty', async () => {
      await expectKeyInvalid(JSON.stringify({ kty: 'DSA', d: 'AA' }), 'holds a key of kty "DSA"; Okta accepts only RSA and EC keys.');
    });

    it('an RSA key of 1024 bits (PKCS#8 PEM)', async () => {
      const error = await expectKeyInvalid(
        nodeKey('rsa1024').export({ type: 'pkcs8', format: 'pem' }) as string,
        'holds an RSA key of 1024 bits; Okta needs at least 2048.',
      );
      expect(error.fix).to.contain('2048 bits or more');
    });

    it('an RSA key of 1024 bits (JWK)', async () => {
      await expectKeyInvalid(JSON.stringify(nodeKey('rsa1024').export({ format: 'jwk' })), 'holds an RSA key of 1024 bits; Okta needs at least 2048.');
    });

    it('an RSA JWK whose alg is an EC algorithm', async () => {
      const error = await expectKeyInvalid(
        JSON.stringify({ ...rsa, alg: 'ES256' }),
        'declares alg "ES256", which does not fit its kty RSA (Okta accepts RS256, RS384, RS512).',
      );
      expect(error.fix).to.equal('Set "alg" to RS256, RS384 or RS512, or remove it to use the default.');
    });

    it('an RSA JWK whose alg is PS256, which Okta does not accept', async () => {
      await expectKeyInvalid(
        JSON.stringify({ ...rsa, alg: 'PS256' }),
        'declares alg "PS256", which does not fit its kty RSA (Okta accepts RS256, RS384, RS512).',
      );
    });

    it('an EC P-256 JWK whose alg is ES384', async () => {
      const error = await expectKeyInvalid(
        JSON.stringify({ ...(await privateJwk('ES256')), alg: 'ES384' }),
        'declares alg "ES384", which does not fit its kty EC on P-256 (expected ES256).',
      );
      expect(error.fix).to.equal('Set "alg" to ES256, or remove it to use the default.');
    });

    it('an EC key on a curve Okta does not accept (secp256k1)', async () => {
      await expectKeyInvalid(
        nodeKey('secp256k1').export({ type: 'pkcs8', format: 'pem' }) as string,
        'holds an EC key on curve "secp256k1"; Okta accepts P-256, P-384 and P-521.',
      );
    });

    it('a JWK whose use is "enc"', async () => {
      await expectKeyInvalid(JSON.stringify({ ...rsa, use: 'enc' }), 'declares use "enc"; a client-assertion key must have use "sig".');
    });

    it('a JWK whose key_ops lacks "sign"', async () => {
      await expectKeyInvalid(JSON.stringify({ ...rsa, key_ops: ['verify'] }), 'declares key_ops ["verify"] without "sign".');
    });

    it('a JWK whose kid is empty', async () => {
      await expectKeyInvalid(JSON.stringify({ ...rsa, kid: '' }), 'has a "kid" that is not a non-empty string ("").');
    });

    it('a JWK whose public members belong to another key', async () => {
      const other = await privateJwk('RS256');
      await expectKeyInvalid(
        JSON.stringify({ ...rsa, n: other.n }),
        'holds public members that do not belong to its private key (a signature made with it does not verify).',
      );
    });

    it('an EC JWK whose public point belongs to another key', async () => {
      const other = await privateJwk('ES256');
      await expectKeyInvalid(
        JSON.stringify({ ...(await privateJwk('ES256')), x: other.x, y: other.y }),
        'holds public members that do not belong to its private key (a signature made with it does not verify).',
      );
    });

    it('an RSA JWK without its CRT members, which Node cannot import', async () => {
      const { error, file } = await rejection(JSON.stringify({ kty: 'RSA', n: rsa.n, e: rsa.e, d: rsa.d }));
      expect(error.code).to.equal('ERR_KEY_INVALID');
      // The parenthesis is Node's own reason, which Node words differently across versions.
      expect(error.message).to.match(new RegExp(`^The key file ${file} given by --key does not hold a valid RSA private key \\(.+\\)\\.$`));
    });

    it('an EC JWK whose members are not a point on its curve', async () => {
      const { error, file } = await rejection(JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA' }));
      expect(error.code).to.equal('ERR_KEY_INVALID');
      expect(error.message).to.match(new RegExp(`^The key file ${file} given by --key does not hold a valid EC private key \\(.+\\)\\.$`));
    });

    it('a file that is not valid JSON', async () => {
      const { error, file } = await rejection('{"kty": "RSA",');
      expect(error.code).to.equal('ERR_KEY_INVALID');
      expect(error.message).to.match(new RegExp(`^The key file ${file} given by --key is not valid JSON \\(.+\\)\\.$`));
    });

    it('JSON that is neither a JWK nor a JWKS', async () => {
      await expectKeyInvalid('{"hello": "world"}', 'is JSON but neither a JWK (no "kty") nor a JWKS (no "keys").');
    });

    it('a file that is neither JSON nor PEM', async () => {
      await expectKeyInvalid('ssh-rsa AAAAB3Nza user@host', 'is neither JSON (a JWK or a JWKS) nor a PEM key.');
    });

    it('a PKCS#1 "RSA PRIVATE KEY" PEM, with the openssl command that converts it', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const error = await expectKeyInvalid(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, 'is a "RSA PRIVATE KEY" PEM (PKCS#1 or SEC 1), not PKCS#8.');
      expect(error.fix).to.contain('openssl pkcs8 -topk8 -nocrypt');
    });

    it('an encrypted PKCS#8 PEM', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'test-only' }) as string;
      await expectKeyInvalid(pem, 'is an encrypted PEM private key.');
    });
  });

  describe('writeKeyPair', () => {
    let pair: ProviderKeyPair;
    let keyDir: string;
    before(async () => {
      pair = await loadKeyPair(await keyFile(JSON.stringify(rsa)));
      keyDir = join(dir, 'written', 'keys');
      await writeKeyPair(keyDir, pair);
    });

    it('creates the directory with mode 0700', async () => {
      expect((await stat(keyDir)).mode & 0o777).to.equal(0o700);
    });

    it('writes private.jwk.json with mode 0600', async () => {
      expect((await stat(join(keyDir, 'private.jwk.json'))).mode & 0o777).to.equal(0o600);
    });

    it('writes public.jwk.json with mode 0644', async () => {
      expect((await stat(join(keyDir, 'public.jwk.json'))).mode & 0o777).to.equal(0o644);
    });

    it('leaves no temporary file behind', async () => {
      expect((await readdir(keyDir)).sort()).to.deep.equal(['private.jwk.json', 'public.jwk.json']);
    });

    it('writes a private key file that loadKeyPair reads back to the same pair', async () => {
      expect(await loadKeyPair(join(keyDir, 'private.jwk.json'))).to.deep.equal(pair);
    });

    it('refuses a pair whose public JWK holds a private member', async () => {
      const leaky = { ...pair, publicJwk: { ...pair.publicJwk, d: pair.privateJwk.d } };
      const error = await caught(writeKeyPair(join(dir, 'leaky'), leaky));
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('writeKeyPair: pair.publicJwk must hold no private member');
    });
  });
});
