/**
 * The org client's retries (src/org/org-client.ts): what it sends again and when, how long it waits first,
 * and what it answers once attempts run out. A scripted loopback server plays the org; the clock and the
 * sleep are injected, so no test waits.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { HarnessError } from '../../src/errors.ts';
import { OrgClient, type OrgClientOptions } from '../../src/org/org-client.ts';

/** One scripted answer: a status (with rate-limit headers), or `drop` to end the connection unanswered. */
type Answer = number | 'drop' | { status: number; remaining: number; reset: number };

describe("the org client's retries, one behaviour each", () => {
  const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
  let server: Server;
  let url: string;
  let script: Answer[];
  let seen: Array<{ line: string; headers: IncomingHttpHeaders }>;
  let slept: number[];
  let logged: string[];
  /** The injected clock: a sleep moves it on, as real time would. */
  let now: number;

  beforeEach(async () => {
    now = NOW;
    script = [];
    seen = [];
    slept = [];
    logged = [];
    server = createServer((req, res) => {
      seen.push({ line: `${req.method} ${req.url}`, headers: req.headers });
      const next = script.shift() ?? 200;
      if (next === 'drop') return void req.socket.destroy();
      const { status, remaining, reset } = typeof next === 'number' ? { status: next, remaining: next === 429 ? 0 : 10, reset: 0 } : next;
      res.writeHead(status, { 'content-type': 'application/json', 'x-rate-limit-remaining': String(remaining), 'x-rate-limit-reset': String(reset) });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (options: Partial<OrgClientOptions> = {}): OrgClient =>
    new OrgClient({
      orgUrl: url,
      apiToken: 'test-token-value',
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      log: (line) => void logged.push(line),
      ...options,
    });
  const failure = (promise: Promise<unknown>): Promise<HarnessError> => promise.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as HarnessError);

  it('sends a GET again after the connection dropped, and names the cause as no answer', async () => {
    script = ['drop', 200];
    const org = client();
    expect((await org.request('GET', '/api/v1/risk/providers')).status).to.equal(200);
    expect(org.retries.map((r) => r.cause.kind)).to.deep.equal(['no-answer']);
  });

  it('sends a PUT again after a 5xx', async () => {
    script = [502, 200];
    expect((await client().request('PUT', '/api/v1/risk/providers/rkp1', {})).status).to.equal(200);
    expect(seen).to.have.length(2);
  });

  it('sends a DELETE again after a 5xx', async () => {
    script = [500, 204];
    expect((await client().request('DELETE', '/api/v1/apps/0oa1/grants/oag1')).status).to.equal(204);
    expect(seen).to.have.length(2);
  });

  it('sends a POST the caller marks idempotent again after a 5xx (a lifecycle deactivate)', async () => {
    script = [503, 200];
    expect((await client().request('POST', '/api/v1/apps/0oa1/lifecycle/deactivate', undefined, { idempotent: true })).status).to.equal(200);
    expect(seen).to.have.length(2);
  });

  it('does not send a POST again after its connection dropped', async () => {
    script = ['drop', 201];
    await failure(client().request('POST', '/oauth2/v1/clients', {}));
    expect(seen).to.have.length(1);
  });

  it('does not send a call again after a 4xx: the org answered', async () => {
    script = [400, 200];
    const org = client();
    expect((await org.request('GET', '/api/v1/risk/providers')).status).to.equal(400);
    expect([seen.length, org.retries.length]).to.deep.equal([1, 0]);
  });

  it('answers the last 429 once its attempts run out: a status is an answer', async () => {
    script = [429, 429, 429, 429, 200];
    expect((await client().request('POST', '/api/v1/risk/providers', {})).status).to.equal(429);
    expect(seen).to.have.length(4);
  });

  it('makes as many attempts as maxAttempts says', async () => {
    script = [500, 500, 500, 200];
    expect((await client({ maxAttempts: 2 }).request('GET', '/api/v1/logs')).status).to.equal(500);
    expect(seen).to.have.length(2);
  });

  it('backs off 250, 500 and 1000 ms before the retries of a 5xx', async () => {
    script = [500, 500, 500, 200];
    await client().request('GET', '/api/v1/logs');
    expect(slept).to.deep.equal([250, 500, 1000]);
  });

  it('caps the backoff at 4 s', async () => {
    script = [500, 500, 500, 500, 500, 500, 200];
    await client({ maxAttempts: 7 }).request('GET', '/api/v1/logs');
    expect(slept).to.deep.equal([250, 500, 1000, 2000, 4000, 4000]);
  });

  it('waits out a 429 until just past X-Rate-Limit-Reset before sending again', async () => {
    script = [{ status: 429, remaining: 0, reset: NOW / 1000 + 30 }, 201];
    await client().request('POST', '/api/v1/risk/providers', {});
    expect(slept).to.deep.equal([30_050]);
  });

  it('says what a long 429 wait is for before it starts', async () => {
    script = [{ status: 429, remaining: 0, reset: NOW / 1000 + 30 }, 201];
    await client().request('POST', '/api/v1/risk/providers', {});
    expect(logged).to.deep.equal(['waiting 31 s for the rate limit of POST /api/v1/risk/providers (Ctrl-C stops the wait and the run)\n']);
  });

  it('does not announce a short backoff', async () => {
    script = [500, 200];
    await client().request('GET', '/api/v1/logs');
    expect(logged).to.deep.equal([]);
  });

  it('waits before the next call of a path family whose budget an answer spent', async () => {
    script = [{ status: 200, remaining: 0, reset: NOW / 1000 + 10 }, 200];
    const org = client();
    await org.request('GET', '/api/v1/logs?since=a');
    await org.request('GET', '/api/v1/logs?since=b');
    expect(slept).to.deep.equal([10_050]);
  });

  it('does not hold back another path family for a spent budget', async () => {
    script = [{ status: 200, remaining: 0, reset: NOW / 1000 + 10 }, 200];
    const org = client();
    await org.request('GET', '/api/v1/logs');
    await org.request('GET', '/api/v1/risk/providers');
    expect(slept).to.deep.equal([]);
  });

  it('names a retried call by its path family: ids become :id and the query is left out', async () => {
    script = [500, 200];
    const org = client();
    await org.request('GET', '/api/v1/apps/0oaaaboyxsbrWdsk81d6/grants?limit=20');
    expect(org.retries.map((r) => r.call)).to.deep.equal(['GET /api/v1/apps/:id/grants']);
  });

  it('throws ERR_RUN_BROKEN naming the call and its attempts when a GET never gets an answer', async () => {
    script = ['drop', 'drop', 'drop', 'drop'];
    const error = await failure(client().request('GET', '/api/v1/logs'));
    expect([error.code, error.message.split(':')[0]]).to.deep.equal(['ERR_RUN_BROKEN', 'GET /api/v1/logs failed after 4 attempts']);
  });

  it('points at okta-risk cleanup when a call never gets an answer', async () => {
    script = ['drop', 'drop', 'drop', 'drop'];
    const error = await failure(client().request('GET', '/api/v1/logs'));
    expect(error.fix).to.equal('check that the org is up, then run `okta-risk cleanup` to undo what this run left behind.');
  });

  it('records every retry of a call, in order', async () => {
    script = [429, 503, 'drop', 200];
    const org = client();
    await org.request('GET', '/api/v1/risk/providers');
    expect(org.retries.map((r) => r.cause.kind)).to.deep.equal(['rate-limited', 'server-error', 'no-answer']);
  });

  it('sends the API token as SSWS on every attempt', async () => {
    script = [500, 200];
    await client().request('GET', '/api/v1/risk/providers');
    expect(seen.map((s) => s.headers.authorization)).to.deep.equal(['SSWS test-token-value', 'SSWS test-token-value']);
  });

  it('sends no Authorization header on a call made without auth', async () => {
    await client().request('GET', '/.well-known/openid-configuration', undefined, { auth: false });
    expect(seen[0]!.headers.authorization).to.equal(undefined);
  });
});
