/**
 * The runner's loopback JWKS server: what it answers (Okta's guide: 200, application/json, the key under its
 * kid), what it refuses to answer or publish. Keys are generated at run time; port 0, loopback only.
 */
import { expect } from 'chai';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { JWKS_PATH, serveJwks, type JwksServer } from '../../src/ssf/jwks-server.ts';
import { rejectionOf as rejection } from '../helpers/errors.ts';

describe('serveJwks', () => {
  let keys: ProviderKeyPair;
  let server: JwksServer;

  before(async () => {
    keys = await generateProviderKeyPair();
    server = await serveJwks({ keys: [keys.publicJwk] });
  });
  after(() => server.close());

  it('listens on 127.0.0.1 and names the JWKS URL under its origin', () => {
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.jwksUrl).to.equal(`${server.url}${JWKS_PATH}`);
  });

  it('answers GET of the JWKS with 200 application/json {keys: [the public key]}', async () => {
    const res = await fetch(server.jwksUrl);
    expect({ status: res.status, type: res.headers.get('content-type'), body: await res.json() }).to.deep.equal({
      status: 200,
      type: 'application/json',
      body: { keys: [keys.publicJwk] },
    });
  });

  it('counts the GETs of the JWKS', async () => {
    const before = server.fetches;
    await (await fetch(server.jwksUrl)).text();
    expect(server.fetches).to.equal(before + 1);
  });

  it('answers HEAD with the headers and no body, without counting a fetch', async () => {
    const before = server.fetches;
    const res = await fetch(server.jwksUrl, { method: 'HEAD' });
    expect({ status: res.status, text: await res.text(), fetches: server.fetches }).to.deep.equal({ status: 200, text: '', fetches: before });
  });

  it('answers 404 for any other path', async () => {
    const res = await fetch(`${server.url}/jwks.json`);
    expect({ status: res.status, text: await res.text() }).to.deep.equal({ status: 404, text: '' });
  });

  it('answers 405 with Allow: GET, HEAD to a POST', async () => {
    const res = await fetch(server.jwksUrl, { method: 'POST', body: '{}' });
    expect({ status: res.status, allow: res.headers.get('allow') }).to.deep.equal({ status: 405, allow: 'GET, HEAD' });
  });

  it('refuses to publish a private key', async () => {
    const error = await rejection(serveJwks({ keys: [keys.privateJwk] }));
    expect({ name: error.name, message: error.message }).to.deep.equal({ name: 'TypeError', message: 'serveJwks: a published key must be public; it has d, p, q, dp, dq, qi' });
  });

  it('refuses an empty key set', async () => {
    const error = await rejection(serveJwks({ keys: [] }));
    expect({ name: error.name, message: error.message }).to.deep.equal({ name: 'TypeError', message: 'serveJwks: keys must hold at least one public JWK' });
  });

  it('stops answering once closed', async () => {
    const other = await serveJwks({ keys: [keys.publicJwk] });
    await other.close();
    const error = await rejection(fetch(other.jwksUrl));
    expect(error.name).to.equal('TypeError');
  });
});
