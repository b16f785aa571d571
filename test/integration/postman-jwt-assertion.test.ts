/**
 * The shared collection's token request minting its own client assertion with Postman's JWT Bearer auth
 * (postman-runtime's `jwt` authorizer), as the Postman app runs it with `clientPrivateKey` set, checked with
 * Newman against the embedded emulator; and the same request without a key, as `okta-risk verify` runs it.
 *
 * The sandbox stamps `iat`/`exp` from its own `Date.now()`, which no test can move, so this org keeps the
 * system clock (no test here waits on it). Every key is generated at run time; only loopback is reached.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, exportJWK, type JWK } from 'jose';
import newman, { type NewmanRunSummary } from 'newman';
import { mintClientAssertion } from '../../src/assertion/mint-client-assertion.ts';
import { COLLECTION_FILE, FOLDERS, REQUESTS } from '../../src/collection/collection.ts';
import { buildEmulator, type Emulator } from '../../src/emulator/index.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { tmp } from './harness.ts';

interface Sent {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
  status: number;
}

interface Run {
  summary: NewmanRunSummary;
  sent: Sent[];
  /** The Authorization header of the minting pass, when there was one. */
  minted: string | undefined;
}

const TOKEN_ITEM = (() => {
  const collection = JSON.parse(readFileSync(COLLECTION_FILE, 'utf8')) as { item: Array<{ name: string; item: Array<{ name: string }> }> };
  return collection.item.find((f) => f.name === FOLDERS.testIntegration)!.item.find((i) => i.name === REQUESTS.getAccessToken)!;
})();

/** The shipped token request alone, as a collection of one request. */
const TOKEN_COLLECTION = {
  info: { name: 'token request', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
  item: [TOKEN_ITEM],
};

const pemBody = (pem: string): string => pem.split('\n')[1]!;
const passed = (summary: NewmanRunSummary): string[] =>
  summary.run.executions.flatMap((e) => (e.assertions ?? []).filter((a) => !a.error).map((a) => a.assertion));
const failed = (summary: NewmanRunSummary): string[] =>
  summary.run.executions.flatMap((e) => (e.assertions ?? []).filter((a) => a.error).map((a) => `${a.assertion}: ${a.error!.message}`));
const envValue = (summary: NewmanRunSummary, key: string): unknown => (summary.environment.values ?? []).find((v) => v.key === key)?.value;

describe('the token request minting its own client assertion (Postman JWT Bearer auth)', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let url: string;
  let clientId: string;
  let pem: string;
  let publicJwk: JWK;
  let privateKey: KeyObject;

  before(async () => {
    emulator = await buildEmulator();
    url = await emulator.listen({ port: 0, host: '127.0.0.1' });
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey;
    pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'kid-postman-jwt', use: 'sig', alg: 'RS256' };
    const admin = { authorization: `SSWS ${emulator.apiToken}`, 'content-type': 'application/json', accept: 'application/json' };
    const created = await fetch(`${url}/oauth2/v1/clients`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        client_name: 'Postman JWT provider',
        grant_types: ['client_credentials'],
        response_types: ['token'],
        token_endpoint_auth_method: 'private_key_jwt',
        application_type: 'service',
        jwks: { keys: [publicJwk] },
      }),
    });
    clientId = ((await created.json()) as { client_id: string }).client_id;
    const grant = await fetch(`${url}/api/v1/apps/${clientId}/grants`, { method: 'POST', headers: admin, body: JSON.stringify({ scopeId: 'okta.riskEvents.manage', issuer: url }) });
    expect(grant.status).to.equal(201);
  });
  after(() => emulator.close());

  function environment(values: { clientPrivateKey?: string; clientAssertion?: string }) {
    return {
      values: [
        { key: 'url', value: url },
        { key: 'clientId', value: clientId },
        { key: 'publicKey', value: JSON.stringify(publicJwk) },
        { key: 'clientAssertion', value: values.clientAssertion ?? '', type: 'secret' },
        { key: 'clientPrivateKey', value: values.clientPrivateKey ?? '', type: 'secret' },
        { key: 'accessToken', value: '', type: 'secret' },
      ],
    };
  }

  function runToken(values: { clientPrivateKey?: string; clientAssertion?: string }): Promise<Run> {
    const sent: Sent[] = [];
    return new Promise((resolve, reject) => {
      newman
        .run({ collection: TOKEN_COLLECTION as never, environment: environment(values) as never, reporters: [] })
        .on('request', (error, args) => {
          if (error) return;
          const request = args.request as unknown as { method: string; url: { toString(): string }; headers: { get(name: string): string | undefined }; body?: { toString(): string } };
          sent.push({
            method: request.method,
            url: request.url.toString(),
            authorization: request.headers.get('Authorization'),
            body: request.body?.toString() ?? '',
            status: (args.response as unknown as { code: number }).code,
          });
        })
        .on('done', (error, summary) => {
          if (error) return reject(error);
          resolve({ summary, sent, minted: sent.find((s) => s.method === 'GET')?.authorization });
        });
    });
  }

  describe('with clientPrivateKey (the Postman app)', () => {
    let run: Run;
    let sentFrom: number;
    let sentBy: number;
    before(async () => {
      sentFrom = Math.floor(Date.now() / 1000);
      run = await runToken({ clientPrivateKey: pem });
      sentBy = Math.ceil(Date.now() / 1000);
    });

    it('gets a token: every assertion passes, the minting one first', () => {
      expect([passed(run.summary), failed(run.summary)]).to.deep.equal([
        ['The client assertion is minted from clientPrivateKey', 'Status is 200 OK', 'token_type is Bearer', 'expires_in is 3600', 'scope is okta.riskEvents.manage', 'access_token is a string'],
        [],
      ]);
    });

    it("sends the minting pass to the org's public keys, then the token request", () => {
      expect(run.sent.map((s) => `${s.method} ${s.url} ${s.status}`)).to.deep.equal([`GET ${url}/oauth2/v1/keys 200`, `POST ${url}/oauth2/v1/token 200`]);
    });

    it('signs RS256 with the publicKey kid and typ JWT, and no other header member (no b64, no crit)', () => {
      expect(decodeProtectedHeader(run.minted!)).to.deep.equal({ alg: 'RS256', kid: 'kid-postman-jwt', typ: 'JWT' });
    });

    it('claims iss = sub = clientId and aud = the token URL', () => {
      expect(decodeJwt(run.minted!)).to.include({ iss: clientId, sub: clientId, aud: `${url}/oauth2/v1/token` });
    });

    it('is issued at the time it is minted, not before, not in the future', () => {
      expect(decodeJwt(run.minted!).iat).to.be.within(sentFrom, sentBy);
    });

    it("expires 300 s after it is issued, inside the org's one-hour limit", () => {
      const { iat, exp } = decodeJwt(run.minted!);
      expect(exp! - iat!).to.equal(300);
    });

    it('carries a jti', () => {
      expect(decodeJwt(run.minted!).jti).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it("sends the assertion in the token request's form body, with no Authorization header and no query", () => {
      const token = run.sent[1]!;
      expect([new URLSearchParams(token.body).get('client_assertion'), token.authorization, new URL(token.url).search]).to.deep.equal([run.minted, undefined, '']);
    });

    it('empties clientAssertion once the token request has used it', () => {
      expect(envValue(run.summary, 'clientAssertion')).to.equal('');
    });

    it('mints a new jti on the next run, which the org accepts', async () => {
      const again = await runToken({ clientPrivateKey: pem });
      expect([decodeJwt(again.minted!).jti === decodeJwt(run.minted!).jti, again.sent[1]!.status]).to.deep.equal([false, 200]);
    });

    it('cannot be replayed: the org refuses its jti a second time', async () => {
      const replay = await fetch(`${url}/oauth2/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: run.sent[1]!.body });
      expect([replay.status, await replay.json()]).to.deep.equal([401, { error: 'invalid_client', error_description: 'The client_assertion token has already been used.' }]);
    });
  });

  describe('without clientPrivateKey (okta-risk verify)', () => {
    let harnessAssertion: string;
    let run: Run;
    before(async () => {
      harnessAssertion = await mintClientAssertion({ clientId, orgUrl: url, privateKey: (await exportJWK(privateKey)) as JWK, kid: 'kid-postman-jwt', alg: 'RS256' });
      run = await runToken({ clientAssertion: harnessAssertion });
    });

    it("sends only the token request, with the environment's clientAssertion", () => {
      expect(run.sent.map((s) => [s.method, new URLSearchParams(s.body).get('client_assertion'), s.status])).to.deep.equal([['POST', harnessAssertion, 200]]);
    });

    it('leaves clientAssertion as the harness set it', () => {
      expect(envValue(run.summary, 'clientAssertion')).to.equal(harnessAssertion);
    });
  });

  it('uses a clientAssertion already there instead of minting, with clientPrivateKey set (the second Send)', async () => {
    const ready = await mintClientAssertion({ clientId, orgUrl: url, privateKey: (await exportJWK(privateKey)) as JWK, kid: 'kid-postman-jwt', alg: 'RS256' });
    const run = await runToken({ clientPrivateKey: pem, clientAssertion: ready });
    expect(run.sent.map((s) => `${s.method} ${s.status}`)).to.deep.equal(['POST 200']);
  });

  it('fails "The client assertion is minted from clientPrivateKey" for a key that is not PKCS#8, and sends nothing more', async () => {
    const rsaPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const run = await runToken({ clientPrivateKey: rsaPem });
    expect([failed(run.summary), run.sent.map((s) => s.method)]).to.deep.equal([
      ['The client assertion is minted from clientPrivateKey: a signed JWT in Authorization (check clientPrivateKey is a PKCS#8 PEM): expected 1 to deeply equal 3'],
      ['GET'],
    ]);
  });

  describe("what Newman's reporters show of the key and the minted assertion", () => {
    let dir: string;
    let stdout: string;
    before(async () => {
      dir = tmp('postman-jwt');
      mkdirSync(join(dir, 'out'), { mode: 0o700 });
      writeFileSync(join(dir, 'collection.json'), JSON.stringify(TOKEN_COLLECTION));
      writeFileSync(join(dir, 'env.json'), JSON.stringify(environment({ clientPrivateKey: pem })), { mode: 0o600 });
      const out = (name: string): string => join(dir, 'out', name);
      stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn(
          join(PACKAGE_ROOT, 'node_modules/.bin/newman'),
          ['run', join(dir, 'collection.json'), '-e', join(dir, 'env.json'), '--reporters', 'cli,junit,json', '--reporter-junit-export', out('junit.xml'), '--reporter-json-export', out('run.json'), '--verbose', '--color', 'off'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => void (text += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => void (text += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('close', () => resolve(text));
      });
      expect(stdout).to.contain('The client assertion is minted from clientPrivateKey');
    });

    const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

    it('the cli reporter, even --verbose, prints neither the key nor any JWT', () => {
      expect([stdout.includes(pemBody(pem)), JWT.test(stdout)]).to.deep.equal([false, false]);
    });

    it('the junit reporter writes neither the key nor any JWT', () => {
      const xml = readFileSync(join(dir, 'out', 'junit.xml'), 'utf8');
      expect([xml.includes(pemBody(pem)), JWT.test(xml)]).to.deep.equal([false, false]);
    });

    it('the json reporter writes the key (the README says not to use it with clientPrivateKey set)', () => {
      expect(readFileSync(join(dir, 'out', 'run.json'), 'utf8')).to.contain(pemBody(pem));
    });
  });
});
