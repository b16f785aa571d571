import { expect } from 'chai';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { generateDpopKey, mintDpopProof } from '../../src/dpop/mint-dpop-proof.ts';
import { checkDpopProof } from '../../src/emulator/dpop-proof.ts';
import { dpopTokenAnswer } from '../../src/okta/dpop.ts';
import { causeOf, describeCause } from '../../src/run/retry.ts';

const TOKEN_URL = 'https://acme.okta.com/oauth2/v1/token';
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('DPoP proofs the harness mints', () => {
  it('passes every proof rule the emulator checks, for a token request with a nonce', async () => {
    const key = await generateDpopKey();
    const proof = await mintDpopProof({ key, htm: 'POST', url: TOKEN_URL, nonce: 'n-1', currentDate: new Date(NOW) });
    const checked = await checkDpopProof(proof, { htm: 'POST', htu: TOKEN_URL, now: NOW });
    expect({ jkt: checked.jkt, nonce: checked.nonce }).to.deep.equal({ jkt: key.jkt, nonce: 'n-1' });
  });

  it("passes the emulator's ath check for a resource request with the token it carries", async () => {
    const key = await generateDpopKey();
    const url = 'https://acme.okta.com/api/v1/risk/events/ip';
    const proof = await mintDpopProof({ key, htm: 'POST', url, accessToken: 'token-1', currentDate: new Date(NOW) });
    const checked = await checkDpopProof(proof, { htm: 'POST', htu: url, now: NOW, accessToken: 'token-1' });
    expect(checked.jkt).to.equal(key.jkt);
  });

  it("fails the emulator's ath check for another token", async () => {
    const key = await generateDpopKey();
    const url = 'https://acme.okta.com/api/v1/risk/events/ip';
    const proof = await mintDpopProof({ key, htm: 'POST', url, accessToken: 'token-1', currentDate: new Date(NOW) });
    const error = await checkDpopProof(proof, { htm: 'POST', htu: url, now: NOW, accessToken: 'token-2' }).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'dpop_proof_invalid_ath');
  });

  it('carries typ dpop+jwt, ES256 and the public key only', async () => {
    const key = await generateDpopKey();
    const header = decodeProtectedHeader(await mintDpopProof({ key, htm: 'POST', url: TOKEN_URL }));
    expect(header).to.deep.equal({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(Object.keys(key.publicJwk).sort()).to.deep.equal(['crv', 'kty', 'x', 'y']);
  });

  it('leaves the query out of htu and gives every proof its own jti', async () => {
    const key = await generateDpopKey();
    const url = 'https://acme.okta.com/api/v1/logs?limit=5';
    const [a, b] = await Promise.all([mintDpopProof({ key, htm: 'GET', url }), mintDpopProof({ key, htm: 'GET', url })]);
    expect(decodeJwt(a!).htu).to.equal('https://acme.okta.com/api/v1/logs');
    expect(decodeJwt(a!).jti).to.not.equal(decodeJwt(b!).jti);
  });

  it('holds a private key that cannot be exported', async () => {
    const key = await generateDpopKey();
    expect(key.privateKey.extractable).to.equal(false);
  });
});

describe("reading the token endpoint's DPoP answers", () => {
  const nonceBody = JSON.stringify({ error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' });
  const missingBody = JSON.stringify({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' });

  it('reads 400 use_dpop_nonce with a DPoP-Nonce header as the nonce challenge', () => {
    expect(dpopTokenAnswer(400, { 'dpop-nonce': 'n-1' }, nonceBody)).to.equal('nonce');
  });

  it('does not read use_dpop_nonce without a DPoP-Nonce header as a challenge (nothing to retry with)', () => {
    expect(dpopTokenAnswer(400, {}, nonceBody)).to.equal(undefined);
  });

  it('reads 400 invalid_dpop_proof "header is missing" as a DPoP-bound app', () => {
    expect(dpopTokenAnswer(400, {}, missingBody)).to.equal('required');
  });

  it('does not read another invalid_dpop_proof reason as a DPoP-bound app', () => {
    const body = JSON.stringify({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT signature is invalid.' });
    expect(dpopTokenAnswer(400, {}, body)).to.equal(undefined);
  });

  it('does not read a 401 or a body that is not JSON', () => {
    expect([dpopTokenAnswer(401, { 'dpop-nonce': 'n' }, nonceBody), dpopTokenAnswer(400, {}, 'not json')]).to.deep.equal([undefined, undefined]);
  });

  it('makes the nonce challenge a retry cause that names it', () => {
    const cause = causeOf({ status: 400, headers: { 'dpop-nonce': 'n-1' }, body: nonceBody })!;
    expect([cause, describeCause(cause)]).to.deep.equal([{ kind: 'dpop-nonce' }, 'HTTP 400 use_dpop_nonce (the DPoP nonce challenge)']);
  });

  it('makes a DPoP-bound app a retry cause that names it', () => {
    const cause = causeOf({ status: 400, headers: {}, body: missingBody })!;
    expect([cause, describeCause(cause)]).to.deep.equal([{ kind: 'dpop-required' }, 'HTTP 400 invalid_dpop_proof (the app requires DPoP)']);
  });
});
