/**
 * The emulator's HTTP layer under hostile input: request targets Okta's servers refuse, bodies that are not
 * UTF-8 or not well-formed, oversized bodies that keep coming (a lingering close), and request data that tries
 * to reach a response header. Raw sockets where fetch would normalise the request.
 */
import { expect } from 'chai';
import { CLIENT_ASSERTION_MAX, MAX_BODY_BYTES, REQUEST_TARGET_MAX } from '../../src/okta/limits.ts';
import { headerUriText, quotedHeaderText } from '../../src/emulator/http.ts';
import { call, orgAccessToken, putServiceApp, startOrg, type TestOrg } from '../helpers/emulator.ts';
import { clientCredentialsForm, createServiceClient, grant, mintAssertion, requestToken, type ServiceClient } from '../helpers/assertion.ts';
import { flood, rawGet, rawRequest, parseResponse } from '../helpers/raw-http.ts';

/** POSTs `bytes` exactly as given (fetch sends a body unchanged), with SSWS unless `auth` is null. */
async function postBytes(org: TestOrg, path: string, type: string, bytes: Buffer, auth: string | null = `SSWS ${org.apiToken}`) {
  const headers: Record<string, string> = { 'content-type': type, accept: 'application/json', ...(auth === null ? {} : { authorization: auth }) };
  const res = await fetch(org.url + path, { method: 'POST', headers, body: bytes });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const BAD_REQUEST = { errorCode: 'E0000020', errorSummary: 'Bad request.', errorLink: 'E0000020', errorCauses: [] };
const INVALID_REQUEST = { error: 'invalid_request', error_description: 'Invalid request' };
const NOT_WELL_FORMED = { errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.' };
const TOO_LARGE = {
  errorCode: 'E0000001',
  errorSummary: 'Api validation failed: request body too large',
  errorCauses: [{ errorSummary: 'body: must be at most 1 MiB' }],
};

describe('emulator under hostile input', () => {
  let org: TestOrg;
  let ssws: Record<string, string>;
  before(async () => {
    org = await startOrg({ bodyLinger: { ms: 5000, bytes: 1024 * 1024 } });
    ssws = { authorization: `SSWS ${org.apiToken}` };
  });
  after(() => org.close());
  beforeEach(() => org.emulator.reset());

  describe('request targets', () => {
    it('routes a path with well-formed UTF-8 percent-escapes, decoded', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/x%41%C3%A9y', ssws);
      expect(res.status).to.equal(404);
      expect(res.json).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: xAéy (RiskProvider)' });
    });

    it('answers a % not followed by two hex digits in the path with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/%zz', ssws);
      expect([res.status, res.json]).to.deep.equal([400, { ...BAD_REQUEST, errorId: res.json.errorId }]);
    });

    it('answers a path ending in a truncated escape with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/x%4', ssws);
      expect([res.status, res.json.errorCode, res.json.errorSummary]).to.deep.equal([400, 'E0000020', 'Bad request.']);
    });

    it('answers path escapes that are not UTF-8 (an overlong "/") with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/%C0%AF', ssws);
      expect([res.status, res.json.errorCode, res.json.errorSummary]).to.deep.equal([400, 'E0000020', 'Bad request.']);
    });

    it('answers a path escape of a lone byte %FF with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/%FF', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers an escaped "/" (%2F) inside a path segment with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/a%2Fb', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers an escaped control character (%00) in the path with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/a%00b', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers a raw double quote in the path with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/a"b', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers a raw backslash in the path, which fetch would turn into "/", with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/a\\b', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it("answers a raw non-ASCII byte in the target (refused by Node's parser) with Okta's 400 E0000020 body", async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/\xe9', ssws);
      expect([res.status, res.json]).to.deep.equal([400, { ...BAD_REQUEST, errorId: res.json.errorId }]);
      expect(res.headers['x-okta-request-id']).to.match(/^[A-Za-z0-9]{27}$/);
    });

    it('answers a raw tab in the target with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/risk/providers/a\tb', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers a target in absolute form with 400 E0000020', async () => {
      const res = await rawGet(org.url, 'http://evil.example/api/v1/risk/providers', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('serves a query with the characters Postman and fetch leave raw ([ ] { } | ^ `)', async () => {
      const res = await rawGet(org.url, '/api/v1/logs?q=a|b{c}[d]^`', ssws);
      expect([res.status, res.json]).to.deep.equal([200, []]);
    });

    it('answers a % not followed by two hex digits in the query with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/logs?q=%zz', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers query escapes that are not UTF-8 with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/logs?q=%FF', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('answers a raw double quote in the query (clients always escape it) with 400 E0000020', async () => {
      const res = await rawGet(org.url, '/api/v1/logs?q="x"', ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it(`serves a request target of exactly ${REQUEST_TARGET_MAX} bytes`, async () => {
      // The System Log ignores unknown parameters, so only the target's length is at stake.
      const path = '/api/v1/logs?pad=';
      const res = await rawGet(org.url, path + 'a'.repeat(REQUEST_TARGET_MAX - path.length), ssws);
      expect([res.status, res.json]).to.deep.equal([200, []]);
    });

    it(`answers a request target over ${REQUEST_TARGET_MAX} bytes with 400 E0000020`, async () => {
      const path = '/api/v1/logs?pad=';
      const res = await rawGet(org.url, path + 'a'.repeat(REQUEST_TARGET_MAX - path.length + 1), ssws);
      expect([res.status, res.json.errorCode]).to.deep.equal([400, 'E0000020']);
    });

    it('stores nothing when a valid body comes with a malformed target', async () => {
      const before = org.emulator.store.snapshot();
      const res = await call(org, 'POST', '/api/v1/risk/providers?x=%zz', { body: { name: 'hostile', clientId: 'null' } });
      expect([res.status, res.body.errorCode]).to.deep.equal([400, 'E0000020']);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('answers a malformed path escape on an OAuth path with 400 invalid_request', async () => {
      const res = await rawGet(org.url, '/oauth2/v1/clients/%zz', ssws);
      expect([res.status, res.json]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it("answers a non-ASCII byte in an OAuth path (refused by Node's parser) with 400 invalid_request", async () => {
      const res = await rawGet(org.url, '/oauth2/v1/token\xe9');
      expect([res.status, res.json]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it("answers a malformed header line (refused by Node's parser) with Okta's 400 E0000020 body", async () => {
      const res = parseResponse(await rawRequest(org.url, 'GET /api/v1/risk/providers HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n'));
      expect([res.status, res.json.errorCode, res.json.errorSummary]).to.deep.equal([400, 'E0000020', 'Bad request.']);
    });

    it('never answers a pipelined request that fails to parse ahead of the request before it', async () => {
      const first = `GET /api/v1/risk/providers HTTP/1.1\r\nhost: x\r\nauthorization: SSWS ${org.apiToken}\r\n\r\n`;
      const raw = await rawRequest(org.url, `${first}GET /api/v1/risk/providers/\xe9 HTTP/1.1\r\nhost: x\r\n\r\n`).catch(() => Buffer.alloc(0));
      expect(raw.toString('latin1').split('\r\n')[0]).to.be.oneOf(['', 'HTTP/1.1 200 OK']);
    });

    it('keeps answering after refusing a target', async () => {
      await rawGet(org.url, '/api/v1/risk/providers/%zz', ssws);
      expect((await call(org, 'GET', '/api/v1/risk/providers')).status).to.equal(200);
    });
  });

  describe('JSON bodies', () => {
    const post = (bytes: Buffer, path = '/api/v1/risk/providers') => postBytes(org, path, 'application/json', bytes);
    const provider = (name: Buffer) => Buffer.concat([Buffer.from('{"name":"'), name, Buffer.from('","clientId":"null"}')]);

    it('accepts a body with multi-byte UTF-8', async () => {
      const res = await post(provider(Buffer.from('Risqué ✓', 'utf8')));
      expect([res.status, res.body.name]).to.deep.equal([201, 'Risqué ✓']);
    });

    it('answers a body with a byte that is not UTF-8 with 400 E0000003 and stores nothing', async () => {
      const before = org.emulator.store.snapshot();
      const res = await post(provider(Buffer.from([0x61, 0xff, 0x62])));
      expect([res.status, res.body]).to.deep.equal([400, { ...NOT_WELL_FORMED, errorLink: 'E0000003', errorId: res.body.errorId, errorCauses: [] }]);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('answers an overlong UTF-8 encoding with 400 E0000003', async () => {
      const res = await post(provider(Buffer.from([0xc0, 0xaf])));
      expect([res.status, res.body.errorCode, res.body.errorSummary]).to.deep.equal([400, NOT_WELL_FORMED.errorCode, NOT_WELL_FORMED.errorSummary]);
    });

    it('answers a UTF-8-encoded surrogate with 400 E0000003', async () => {
      const res = await post(provider(Buffer.from([0xed, 0xa0, 0x80])));
      expect([res.status, res.body.errorCode]).to.deep.equal([400, 'E0000003']);
    });

    it('answers a DCR body that is not UTF-8 with 400 invalid_request and stores nothing', async () => {
      const before = org.emulator.store.snapshot();
      const res = await post(Buffer.concat([Buffer.from('{"client_name":"'), Buffer.from([0xff]), Buffer.from('"}')]), '/oauth2/v1/clients');
      expect([res.status, res.body]).to.deep.equal([400, INVALID_REQUEST]);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });
  });

  describe('the token endpoint form', () => {
    const form = (body: Buffer | string) => postBytes(org, '/oauth2/v1/token', 'application/x-www-form-urlencoded', Buffer.from(body), null);

    it('reads a well-formed form with escapes and "+" (and answers what it lacks)', async () => {
      const res = await form('grant_type=client%5Fcredentials&scope=okta.logs.read+okta.apps.read');
      expect([res.status, res.body]).to.deep.equal([401, { error: 'invalid_client', error_description: 'No client credentials found.' }]);
    });

    it('answers a % not followed by two hex digits with 400 invalid_request', async () => {
      const res = await form('grant_type=client_credentials&scope=%zz');
      expect([res.status, res.body]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it('answers escapes that are not UTF-8 with 400 invalid_request', async () => {
      const res = await form('grant_type=client_credentials&scope=%FF');
      expect([res.status, res.body]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it('answers raw bytes that are not UTF-8 with 400 invalid_request', async () => {
      const res = await form(Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), Buffer.from([0xff])]));
      expect([res.status, res.body]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it('logs nothing but the failed request for a malformed form, and issues no token', async () => {
      await form('grant_type=client_credentials&scope=%zz');
      expect(org.emulator.store.usedJtis.size).to.equal(0);
    });
  });

  describe('client assertion size', () => {
    /** A correctly signed assertion whose `pad` claim makes it `min` to `min + 3` characters long. */
    async function paddedAssertion(client: ServiceClient, min: number): Promise<string> {
      const base = (await mintAssertion(org, client)).length;
      // Three pad characters are four base64url characters; the JSON adds ',"pad":""' once.
      let pad = Math.max(0, Math.floor(((min - base) * 3) / 4) - 12);
      for (;;) {
        const assertion = await mintAssertion(org, client, (a) => void (a.payload.pad = 'p'.repeat(pad)));
        if (assertion.length >= min) return assertion;
        pad += 1;
      }
    }

    it(`accepts a correctly signed assertion of up to ${CLIENT_ASSERTION_MAX} characters`, async () => {
      const client = await createServiceClient(org);
      grant(org, client.clientId, 'okta.logs.read');
      const assertion = await paddedAssertion(client, CLIENT_ASSERTION_MAX - 3);
      expect(assertion.length).to.be.at.most(CLIENT_ASSERTION_MAX);
      const res = await requestToken(org, clientCredentialsForm(assertion, 'okta.logs.read'));
      expect([res.status, res.body.token_type]).to.deep.equal([200, 'Bearer']);
    });

    it(`answers a correctly signed assertion over ${CLIENT_ASSERTION_MAX} characters with 401 invalid_client (parsing failed)`, async () => {
      const client = await createServiceClient(org);
      grant(org, client.clientId, 'okta.logs.read');
      const assertion = await paddedAssertion(client, CLIENT_ASSERTION_MAX + 1);
      const res = await requestToken(org, clientCredentialsForm(assertion, 'okta.logs.read'));
      expect([res.status, res.body]).to.deep.equal([401, { error: 'invalid_client', error_description: 'The parsing of the client_assertion failed.' }]);
    });
  });

  describe('oversized bodies', () => {
    const head = (path: string, type = 'application/json') => `POST ${path} HTTP/1.1\r\nhost: localhost\r\nauthorization: SSWS ${org.apiToken}\r\ncontent-type: ${type}`;

    it(`reads a body of exactly ${MAX_BODY_BYTES} bytes and hands it to the API`, async () => {
      const body = JSON.stringify({ name: 'x', clientId: 'null', pad: '' });
      const padded = body.replace('"pad":""', `"pad":"${'p'.repeat(MAX_BODY_BYTES - body.length)}"`);
      expect(Buffer.byteLength(padded)).to.equal(MAX_BODY_BYTES);
      const res = await call(org, 'POST', '/api/v1/risk/providers', { body: padded, headers: { 'content-type': 'application/json' } });
      expect([res.status, res.body.errorSummary]).to.deep.equal([400, 'Api validation failed: pad']);
    });

    it('answers a client that keeps writing past 1 MiB (Content-Length) with the whole 400 E0000001', async () => {
      const { response } = await flood(org.url, head('/api/v1/risk/providers'), { total: 64 * 1024 * 1024 });
      expect([response.status, response.json]).to.deep.equal([400, { ...TOO_LARGE, errorLink: 'E0000001', errorId: response.json.errorId }]);
    });

    it('answers a chunked body that keeps coming past 1 MiB with the whole 400 E0000001', async () => {
      const { response } = await flood(org.url, head('/api/v1/risk/providers'), { total: 64 * 1024 * 1024, chunked: true });
      expect([response.status, response.json.errorCode, response.json.errorSummary]).to.deep.equal([400, TOO_LARGE.errorCode, TOO_LARGE.errorSummary]);
    });

    it('says Connection: close on the refusal', async () => {
      const { response } = await flood(org.url, head('/api/v1/risk/providers'), { total: 64 * 1024 * 1024 });
      expect(response.headers.connection).to.equal('close');
    });

    it('closes once the client has sent its linger allowance past the limit, and no later', async () => {
      // Content-Length refuses at once; the org then reads at most bodyLinger.bytes (1 MiB here) more.
      const { sent, ended } = await flood(org.url, head('/api/v1/risk/providers'), { total: 64 * 1024 * 1024 });
      expect(ended).to.be.oneOf(['close', 'ECONNRESET', 'EPIPE']);
      // What the client wrote: the org's allowance plus what the two socket buffers held when it closed.
      expect(sent).to.be.within(1024 * 1024, 16 * 1024 * 1024);
    });

    it('closes after bodyLinger.ms when the client stops sending but keeps the connection open', async () => {
      const quick = await startOrg({ bodyLinger: { ms: 20, bytes: 64 * 1024 * 1024 } });
      try {
        const { response, ended } = await flood(quick.url, head('/api/v1/risk/providers').replace(org.apiToken, quick.apiToken), {
          total: 4 * 1024 * 1024,
          stopAfter: 2 * 1024 * 1024,
        });
        expect([response.status, ended]).to.deep.equal([400, 'close']);
      } finally {
        await quick.close();
      }
    });

    it('answers Expect: 100-continue with 100 Continue for a body within the limit', async () => {
      const raw = await rawRequest(org.url, `${head('/api/v1/risk/providers')}\r\nexpect: 100-continue\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`);
      expect(raw.toString('latin1').split('\r\n')[0]).to.equal('HTTP/1.1 100 Continue');
    });

    it('refuses a body declared over 1 MiB with Expect: 100-continue at once, without 100 Continue', async () => {
      const raw = await rawRequest(org.url, `${head('/api/v1/risk/providers')}\r\nexpect: 100-continue\r\ncontent-length: ${MAX_BODY_BYTES + 1}\r\n\r\n`);
      const res = parseResponse(raw);
      expect([raw.toString('latin1').split('\r\n')[0], res.json.errorCode, res.json.errorSummary]).to.deep.equal(['HTTP/1.1 400 Bad Request', TOO_LARGE.errorCode, TOO_LARGE.errorSummary]);
    });

    it('stores nothing from an oversized body', async () => {
      const before = org.emulator.store.snapshot();
      await flood(org.url, head('/api/v1/risk/providers'), { total: 4 * 1024 * 1024, chunked: true });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('answers an oversized token request with 400 invalid_request', async () => {
      const { response } = await flood(org.url, head('/oauth2/v1/token', 'application/x-www-form-urlencoded'), { total: 8 * 1024 * 1024 });
      expect([response.status, response.json]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it('answers an oversized DCR body with 400 invalid_request', async () => {
      const { response } = await flood(org.url, head('/oauth2/v1/clients'), { total: 8 * 1024 * 1024, chunked: true });
      expect([response.status, response.json]).to.deep.equal([400, INVALID_REQUEST]);
    });

    it('keeps answering new connections after an oversized body', async () => {
      await flood(org.url, head('/api/v1/risk/providers'), { total: 8 * 1024 * 1024 });
      expect((await call(org, 'GET', '/api/v1/risk/providers')).status).to.equal(200);
    });
  });

  describe('response headers never carry request data unescaped', () => {
    it('escapes a quote and a backslash in a quoted header text', () => {
      expect(quotedHeaderText('/a"b\\c')).to.equal('/a\\"b\\\\c');
    });

    it('percent-encodes CR and LF in a quoted header text', () => {
      expect(quotedHeaderText('x\r\nSet-Cookie: a=b')).to.equal('x%0D%0ASet-Cookie: a=b');
    });

    it('percent-encodes non-ASCII (and a lone surrogate as U+FFFD) in a quoted header text', () => {
      expect(quotedHeaderText('é\ud800')).to.equal('%C3%A9%EF%BF%BD');
    });

    it('leaves a plain path as it is in a quoted header text', () => {
      expect(quotedHeaderText('/api/v1/risk/providers/rkp1')).to.equal('/api/v1/risk/providers/rkp1');
    });

    it('percent-encodes what a URI may not hold in a header URI, and keeps existing escapes', () => {
      expect(headerUriText('q=a|b{c}>"\r\n %41é')).to.equal('q=a%7Cb%7Bc%7D%3E%22%0D%0A%20%41%C3%A9');
    });

    it("puts an insufficient-scope challenge's resource as the escaped path", async () => {
      const app = putServiceApp(org, '0oahostile0000000001');
      const token = await orgAccessToken(org, app.id, ['okta.logs.read']);
      const res = await call(org, 'GET', '/api/v1/risk/providers/%22%2C%20error%3D%22x', { auth: `Bearer ${token}` });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.equal(
        `Bearer authorization_uri="${org.url}/oauth2/v1/authorize", realm="${org.url}", scope="okta.riskProviders.read", ` +
          `error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", ` +
          `resource="/api/v1/risk/providers/%22%2C%20error%3D%22x"`,
      );
    });

    it('refuses a raw quote in the path before a challenge could reflect it', async () => {
      const app = putServiceApp(org, '0oahostile0000000002');
      const token = await orgAccessToken(org, app.id, ['okta.logs.read']);
      const res = await rawGet(org.url, '/api/v1/risk/providers/a",error="x', { authorization: `Bearer ${token}` });
      expect([res.status, res.json.errorCode, res.headers['www-authenticate']]).to.deep.equal([400, 'E0000020', undefined]);
    });

    it("percent-encodes the raw characters of the System Log's self link", async () => {
      const res = await rawGet(org.url, '/api/v1/logs?q=a|b{c}^`', ssws);
      expect(res.headers.link!.split(', ')[0]).to.equal(`<${org.url}/api/v1/logs?q=a%7Cb%7Bc%7D%5E%60>; rel="self"`);
    });

    it("keeps an escaped CR LF escaped in the System Log's self link", async () => {
      const res = await call(org, 'GET', '/api/v1/logs?q=%0D%0Ax');
      expect(res.headers.get('link')!.split(', ')[0]).to.equal(`<${org.url}/api/v1/logs?q=%0D%0Ax>; rel="self"`);
    });

    it("escapes quotes, angle brackets and CR LF of a DCR list's q in its Link", async () => {
      const res = await call(org, 'GET', '/oauth2/v1/clients?q=%22%3E%0D%0A%C3%A9');
      expect(res.headers.get('link')).to.equal(`<${org.url}/oauth2/v1/clients?limit=20&q=%22%3E%0D%0A%C3%A9>; rel="self"`);
    });
  });
});
