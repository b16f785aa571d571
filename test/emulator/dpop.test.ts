import { expect } from 'chai';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { mintDpopProof, type MintableDpopProof } from '../helpers/dpop.ts';
import { clientCredentialsForm, createServiceClient, grant, mintAssertion, type ServiceClient } from '../helpers/assertion.ts';
import { call, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';

const SCOPE = 'okta.riskProviders.read';

interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

describe('emulator DPoP', () => {
  let org: TestOrg;
  let client: ServiceClient;
  let key: DpopKey;

  before(async () => {
    key = await dpopKey();
  });
  beforeEach(async () => {
    org = await startOrg();
    // Seeded as an app whose Apps API settings.oauthClient.dpop_bound_access_tokens is true (DCR refuses the field).
    client = await createServiceClient(org, { metadata: { dpop_bound_access_tokens: true } });
    grant(org, client.clientId, SCOPE);
  });
  afterEach(() => org.close());

  const tokenUrl = (): string => `${org.emulator.org.orgUrl}/oauth2/v1/token`;

  function proof(options: { nonce?: string; mutate?: (p: MintableDpopProof) => void; url?: string; htm?: string; accessToken?: string } = {}): Promise<string> {
    return mintDpopProof({ ...key, alg: 'ES256', htm: options.htm ?? 'POST', url: options.url ?? tokenUrl(), now: org.clock.now(), ...options });
  }

  async function tokenCall(dpop: string | undefined): Promise<CallResult> {
    const form = new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE));
    return call(org, 'POST', '/oauth2/v1/token', { auth: null, body: form, headers: dpop === undefined ? {} : { dpop } });
  }

  async function nonce(): Promise<string> {
    const res = await tokenCall(await proof());
    return res.headers.get('dpop-nonce')!;
  }

  async function dpopToken(): Promise<string> {
    const n = await nonce();
    const res = await tokenCall(await proof({ nonce: n }));
    expect(res.status).to.equal(200);
    return res.body.access_token;
  }

  function expectProofError(res: CallResult, description: string): void {
    expect({ status: res.status, body: res.body }).to.deep.equal({ status: 400, body: { error: 'invalid_dpop_proof', error_description: description } });
  }

  it('shows a bound client as settings.oauthClient.dpop_bound_access_tokens true in the Apps API', async () => {
    const res = await call(org, 'GET', `/api/v1/apps/${client.clientId}`);
    expect(res.body.settings.oauthClient.dpop_bound_access_tokens).to.equal(true);
  });

  it('shows a client that is not bound as dpop_bound_access_tokens false in the Apps API', async () => {
    const plain = await createServiceClient(org);
    const res = await call(org, 'GET', `/api/v1/apps/${plain.clientId}`);
    expect(res.body.settings.oauthClient.dpop_bound_access_tokens).to.equal(false);
  });

  it('challenges a proof without a nonce with use_dpop_nonce and a DPoP-Nonce header', async () => {
    const res = await tokenCall(await proof());
    expect({ status: res.status, body: res.body }).to.deep.equal({
      status: 400,
      body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' },
    });
    expect(res.headers.get('dpop-nonce')).to.be.a('string').and.not.equal('');
  });

  it('challenges a proof with a nonce the org never issued', async () => {
    const res = await tokenCall(await proof({ nonce: 'not-a-nonce' }));
    expect(res.body.error).to.equal('use_dpop_nonce');
  });

  it('issues a DPoP token bound to the proof key with the nonce', async () => {
    const n = await nonce();
    const res = await tokenCall(await proof({ nonce: n }));
    expect(res.status).to.equal(200);
    expect(res.body.token_type).to.equal('DPoP');
    expect(decodeJwt(res.body.access_token).cnf).to.deep.equal({ jkt: await calculateJwkThumbprint(key.publicJwk, 'sha256') });
  });

  it('keeps accepting a nonce for three days after its day ends', async () => {
    const n = await nonce();
    org.clock.advance(3 * 24 * 3600 * 1000);
    const res = await tokenCall(await proof({ nonce: n }));
    expect(res.status).to.equal(200);
  });

  it('rejects a nonce older than its three days of grace', async () => {
    const n = await nonce();
    org.clock.advance(5 * 24 * 3600 * 1000);
    const res = await tokenCall(await proof({ nonce: n }));
    expect(res.body.error).to.equal('use_dpop_nonce');
  });

  it('rejects a bound client without a DPoP header', async () => {
    expectProofError(await tokenCall(undefined), 'The DPoP proof JWT header is missing.');
  });

  it('gives a client that is not bound a Bearer token even with a proof', async () => {
    const plain = await createServiceClient(org);
    grant(org, plain.clientId, SCOPE);
    const form = new URLSearchParams(clientCredentialsForm(await mintAssertion(org, plain), SCOPE));
    const res = await call(org, 'POST', '/oauth2/v1/token', { auth: null, body: form, headers: { dpop: await proof() } });
    expect(res.body.token_type).to.equal('Bearer');
  });

  it('rejects a replayed proof jti', async () => {
    const n = await nonce();
    const p = await proof({ nonce: n });
    await tokenCall(p);
    expectProofError(await tokenCall(p), 'The DPoP proof JWT has already been used.');
  });

  const rules: Array<[string, (p: MintableDpopProof) => void, string]> = [
    ['typ', (p) => (p.header.typ = 'JWT'), "'typ' must be 'dpop+jwt' in the DPoP proof JWT."],
    ['htm', (p) => (p.payload.htm = 'GET'), "'htm' claim in the DPoP proof JWT is invalid."],
    ['htu', (p) => (p.payload.htu = 'https://elsewhere.example/oauth2/v1/token'), "'htu' claim in the DPoP proof JWT is invalid."],
    ['iat type', (p) => (p.payload.iat = 'now'), "'iat' claim in the DPoP proof JWT is invalid."],
    ['iat future', (p) => (p.payload.iat = (p.payload.iat as number) + 60), 'The DPoP proof JWT is issued in the future.'],
    ['iat old', (p) => (p.payload.iat = (p.payload.iat as number) - 301), 'The DPoP proof JWT is issued more than five minutes in the past.'],
    ['exp', (p) => (p.payload.exp = (p.payload.iat as number) - 1), 'The DPoP proof JWT is expired.'],
    ['jti', (p) => delete p.payload.jti, "'jti' claim in the DPoP proof JWT is invalid."],
  ];
  for (const [rule, mutate, text] of rules) {
    it(`rejects a proof that breaks the ${rule} rule with its catalog text`, async () => {
      expectProofError(await tokenCall(await proof({ nonce: await nonce(), mutate })), text);
    });
  }

  it('rejects a proof signed by a key other than its jwk', async () => {
    const other = await dpopKey();
    const forged = await mintDpopProof({ ...other, publicJwk: key.publicJwk, alg: 'ES256', htm: 'POST', url: tokenUrl(), now: org.clock.now(), nonce: await nonce() });
    expectProofError(await tokenCall(forged), 'The DPoP proof JWT signature is invalid.');
  });

  it('rejects a proof that does not parse', async () => {
    expectProofError(await tokenCall('not.a.jwt'), 'The DPoP proof JWT cannot be parsed.');
  });

  it('rejects a proof with a symmetric alg', async () => {
    const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })).toString('base64url');
    const payload = Buffer.from('{}').toString('base64url');
    expectProofError(await tokenCall(`${header}.${payload}.c2ln`), 'The DPoP proof JWT signature algorithm is invalid.');
  });

  describe('resource calls', () => {
    const path = '/api/v1/risk/providers';
    const url = (): string => `${org.emulator.org.orgUrl}${path}`;

    it('serves a DPoP token with a proof carrying ath', async () => {
      const token = await dpopToken();
      const res = await call(org, 'GET', path, { auth: `DPoP ${token}`, headers: { dpop: await proof({ htm: 'GET', url: url(), accessToken: token }) } });
      expect(res.status).to.equal(200);
    });

    it('rejects a proof whose ath is not the token', async () => {
      const token = await dpopToken();
      const res = await call(org, 'GET', path, { auth: `DPoP ${token}`, headers: { dpop: await proof({ htm: 'GET', url: url(), accessToken: 'other' }) } });
      expect(res.status).to.equal(400);
      expect(res.headers.get('www-authenticate')).to.include(`error_description="'ath' claim in the DPoP proof does not match the presented access_token."`);
    });

    it('rejects a DPoP token sent as Bearer', async () => {
      const token = await dpopToken();
      const res = await call(org, 'GET', path, { auth: `Bearer ${token}` });
      expect(res.status).to.equal(400);
      expect(res.headers.get('www-authenticate')).to.include('The resource request must use the DPoP authentication scheme when using a DPoP bound token.');
    });

    it('rejects a DPoP token without a proof', async () => {
      const token = await dpopToken();
      const res = await call(org, 'GET', path, { auth: `DPoP ${token}` });
      expect(res.status).to.equal(400);
      expect(res.headers.get('www-authenticate')).to.include('The resource request requires a DPoP proof.');
    });

    it('rejects a proof by a key the token is not bound to', async () => {
      const token = await dpopToken();
      const other = await dpopKey();
      const p = await mintDpopProof({ ...other, alg: 'ES256', htm: 'GET', url: url(), now: org.clock.now(), accessToken: token });
      const res = await call(org, 'GET', path, { auth: `DPoP ${token}`, headers: { dpop: p } });
      expect(res.headers.get('www-authenticate')).to.include('The access_token is not bound to the provided DPoP proof.');
    });

    it('rejects a replayed resource proof', async () => {
      const token = await dpopToken();
      const p = await proof({ htm: 'GET', url: url(), accessToken: token });
      await call(org, 'GET', path, { auth: `DPoP ${token}`, headers: { dpop: p } });
      const res = await call(org, 'GET', path, { auth: `DPoP ${token}`, headers: { dpop: p } });
      expect(res.headers.get('www-authenticate')).to.include('The DPoP proof JWT has already been used.');
    });
  });
});
