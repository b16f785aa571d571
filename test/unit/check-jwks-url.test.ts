/**
 * `--jwks-url` for a real org, checked before anything is created: its form (https, public, no credentials),
 * then what it serves (200 application/json, bounded, no redirect, the run's public key under its kid, no
 * private key). The serving rules run against a loopback server, with the private-host rule lifted.
 */
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { checkJwksUrl, checkJwksUrlForm, JWKS_MAX_BYTES } from '../../src/ssf/check-jwks-url.ts';
import type { HarnessError } from '../../src/errors.ts';
import { harnessErrorOf } from '../helpers/errors.ts';
import { rejectionOf } from '../helpers/errors.ts';

const ORG = 'https://acme.okta.com';

const rejection = (promise: Promise<unknown>): Promise<HarnessError> => rejectionOf<HarnessError>(promise);

describe('checkJwksUrlForm', () => {
  it('accepts a public https URL and returns it parsed', () => {
    expect(checkJwksUrlForm('https://transmitter.example.com/.well-known/jwks.json', ORG).href).to.equal('https://transmitter.example.com/.well-known/jwks.json');
  });

  it('refuses plain http, naming --jwks-url, with exit code 2', () => {
    const error = harnessErrorOf(() => checkJwksUrlForm('http://transmitter.example.com/jwks.json', ORG));
    expect({ code: error.code, setting: error.setting, message: error.message, exitCode: error.exitCode }).to.deep.equal({
      code: 'ERR_SETTING_INVALID',
      setting: '--jwks-url',
      message: `--jwks-url uses http://; the org at ${ORG} fetches the JWKS over https only.`,
      exitCode: 2,
    });
  });

  it('refuses a URL with credentials', () => {
    expect(harnessErrorOf(() => checkJwksUrlForm('https://u:p@transmitter.example.com/jwks.json', ORG)).message).to.equal('--jwks-url carries credentials; Okta fetches the URL as it is, with no login.');
  });

  it('refuses a URL with a fragment', () => {
    expect(harnessErrorOf(() => checkJwksUrlForm('https://transmitter.example.com/jwks.json#k', ORG)).message).to.equal('--jwks-url carries a #fragment; Okta fetches the URL as it is, with no login.');
  });

  for (const host of ['127.0.0.1', 'localhost', '10.1.2.3', '192.168.1.5', '172.16.0.1', '[::1]', 'intranet', 'jwks.local']) {
    it(`refuses ${host}, which Okta's cloud cannot reach`, () => {
      const error = harnessErrorOf(() => checkJwksUrlForm(`https://${host}/jwks.json`, ORG));
      expect(error.message).to.equal(`--jwks-url points at ${host.replace(/^\[|\]$/g, '') === '::1' ? '[::1]' : host}, a host of this machine or of a private network; the org at ${ORG} fetches the JWKS from Okta's cloud and cannot reach it.`);
    });
  }

  it('refuses text that is not a URL', () => {
    expect(harnessErrorOf(() => checkJwksUrlForm('jwks.json', ORG)).message).to.equal('--jwks-url "jwks.json" is not a URL.');
  });
});

describe('checkJwksUrl: what the URL serves', () => {
  let keys: ProviderKeyPair;
  let other: ProviderKeyPair;
  let server: Server;
  let url: string;
  let answer: (res: ServerResponse) => void;

  const json = (body: unknown, type = 'application/json') => (res: ServerResponse) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const check = () => checkJwksUrl({ url: `${url}/jwks.json`, orgUrl: ORG, publicJwk: keys.publicJwk as never, allowPrivateHosts: true });

  before(async () => {
    [keys, other] = await Promise.all([generateProviderKeyPair(), generateProviderKeyPair()]);
    server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('accepts a JWKS that holds the run’s public key under its kid', async () => {
    answer = json({ keys: [other.publicJwk, keys.publicJwk] });
    await check();
  });

  it('refuses a redirect, naming the final URL', async () => {
    answer = (res) => res.writeHead(302, { location: 'https://cdn.example.com/jwks.json' }).end();
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json answers a redirect (HTTP 302); the org fetches the JWKS without following redirects.`);
  });

  it('refuses a status other than 200', async () => {
    answer = (res) => res.writeHead(404).end();
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json answers HTTP 404, not 200.`);
  });

  it('refuses a JWKS served as text/plain (as raw Gist URLs serve it)', async () => {
    answer = json({ keys: [keys.publicJwk] }, 'text/plain');
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json is served as text/plain; Okta reads a JWKS only when it is served as application/json.`);
  });

  it(`refuses a body larger than ${JWKS_MAX_BYTES / 1024} KiB`, async () => {
    answer = json({ keys: [keys.publicJwk], padding: 'x'.repeat(JWKS_MAX_BYTES) });
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json is larger than 64 KiB, too large for a JWKS.`);
  });

  it('refuses a body that is no JWKS', async () => {
    answer = json({ key: keys.publicJwk });
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json does not hold a JWKS (a JSON object with a "keys" array).`);
  });

  it('refuses a JWKS without the run’s kid, naming the kids it has', async () => {
    answer = json({ keys: [other.publicJwk] });
    expect((await rejection(check())).message).to.equal(
      `--jwks-url ${url}/jwks.json has no key with kid ${keys.kid} (the key of --key); it has ${other.kid}. Okta would refuse every SET: "Verification failed for kid=${keys.kid}".`,
    );
  });

  it('refuses another key published under the run’s kid', async () => {
    answer = json({ keys: [{ ...other.publicJwk, kid: keys.kid }] });
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json holds a key with kid ${keys.kid} that is not the public half of --key; Okta would refuse every SET's signature.`);
  });

  it('refuses a JWKS that publishes the private key', async () => {
    answer = json({ keys: [keys.privateJwk] });
    expect((await rejection(check())).message).to.equal(`--jwks-url ${url}/jwks.json publishes a private key (kid ${keys.kid} has "d"). Anyone can sign SETs as your transmitter with it.`);
  });

  it('says a URL nothing answers at cannot be fetched', async () => {
    // A port that was free a moment ago: nothing listens on it now.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(checkJwksUrl({ url: `http://127.0.0.1:${port}/jwks.json`, orgUrl: ORG, publicJwk: keys.publicJwk as never, allowPrivateHosts: true }));
    expect({ setting: error.setting, message: error.message }).to.deep.equal({
      setting: '--jwks-url',
      message: `--jwks-url http://127.0.0.1:${port}/jwks.json cannot be fetched from this machine (ECONNREFUSED); the org could not fetch it either.`,
    });
  });
});
