import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { HarnessError } from '../../src/errors.ts';
import { headerBag } from '../../src/org/http-request.ts';
import { OrgClient, rateLimitWait } from '../../src/org/org-client.ts';
import { isUnlinked } from '../../src/run/provider-guard.ts';

describe("honouring Okta's rate-limit headers", () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);

  it('does not wait while calls remain', () => {
    expect(rateLimitWait(headerBag({ 'x-rate-limit-remaining': '2', 'x-rate-limit-reset': String(now / 1000 + 30) }), now)).to.equal(0);
  });

  it('waits until just past the reset when none remain', () => {
    expect(rateLimitWait(headerBag({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now / 1000 + 30) }), now)).to.equal(30_050);
  });

  it('does not wait without rate-limit headers', () => {
    expect(rateLimitWait(headerBag({}), now)).to.equal(0);
  });
});

describe('telling a free provider', () => {
  it("treats Okta's \"null\" string, null and empty as no client linked", () => {
    expect([isUnlinked('null'), isUnlinked(null), isUnlinked(''), isUnlinked(undefined)]).to.deep.equal([true, true, true, true]);
  });

  it('treats a client id as linked', () => {
    expect(isUnlinked('0oaaaboyxsbrWdsk81d6')).to.equal(false);
  });
});

describe("the org client's retries", () => {
  let server: Server;
  let url: string;
  /** Statuses the server answers in turn; `drop` ends the connection without an answer. */
  let script: Array<number | 'drop'>;
  let seen: string[];
  beforeEach(async () => {
    seen = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const next = script.shift() ?? 200;
      if (next === 'drop') return void req.socket.destroy();
      res.writeHead(next, { 'content-type': 'application/json', 'x-rate-limit-remaining': next === 429 ? '0' : '10', 'x-rate-limit-reset': '0' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (): OrgClient => new OrgClient({ orgUrl: url, apiToken: 'test-token-value', sleep: async () => {}, now: () => 0 });

  it('sends a GET again after a 5xx and names the retry', async () => {
    script = [500, 200];
    const org = client();
    expect((await org.request('GET', '/api/v1/risk/providers')).status).to.equal(200);
    expect(org.retries).to.deep.equal([{ call: 'GET /api/v1/risk/providers', cause: { kind: 'server-error', status: 500 } }]);
  });

  it('does not send a POST again after a 5xx', async () => {
    script = [500, 200];
    const org = client();
    expect((await org.request('POST', '/api/v1/risk/providers', {})).status).to.equal(500);
    expect(seen).to.have.length(1);
  });

  it('sends a POST again after a 429: the org did nothing', async () => {
    script = [429, 201];
    const org = client();
    expect((await org.request('POST', '/api/v1/risk/providers', {})).status).to.equal(201);
    expect(org.retries.map((r) => r.cause)).to.deep.equal([{ kind: 'rate-limited' }]);
  });

  it('answers the last 5xx after its attempts run out', async () => {
    script = [503, 503, 503, 503, 200];
    const org = client();
    expect((await org.request('GET', '/api/v1/logs')).status).to.equal(503);
    expect(seen).to.have.length(4);
  });

  it("answers without Node's fetch, so verify never loads undici", async () => {
    script = [200];
    const fetchBefore = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new Error('fetch was called'));
    try {
      expect((await client().request('GET', '/api/v1/risk/providers')).status).to.equal(200);
    } finally {
      globalThis.fetch = fetchBefore;
    }
    expect(seen).to.deep.equal(['GET /api/v1/risk/providers']);
  });

  it('throws ERR_RUN_BROKEN when a POST gets no answer, without sending it again', async () => {
    script = ['drop', 200];
    const error = await client()
      .request('POST', '/api/v1/risk/providers', {})
      .then(() => undefined, (e: unknown) => e);
    expect((error as HarnessError).code).to.equal('ERR_RUN_BROKEN');
    expect(seen).to.have.length(1);
  });
});
