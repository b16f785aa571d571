import { expect } from 'chai';
import { ManualClock } from '../../src/emulator/clock.ts';
import { appsRoutes } from '../../src/emulator/apps.ts';
import { clientsRoutes } from '../../src/emulator/clients.ts';
import type { Route } from '../../src/emulator/http.ts';
import { RATE_LIMIT_WINDOWS_MAX, RateLimiter } from '../../src/emulator/rate-limit.ts';
import { riskEventsRoutes } from '../../src/emulator/risk-events.ts';
import { riskProvidersRoutes } from '../../src/emulator/risk-providers.ts';
import { securityEventsRoutes } from '../../src/emulator/security-events.ts';
import { securityEventsProvidersRoutes } from '../../src/emulator/security-events-providers.ts';
import { systemLogRoutes } from '../../src/emulator/system-log.ts';
import { tokenRoutes } from '../../src/emulator/token.ts';
import { clientCredentialsForm, createServiceClient, generateClientKey, grant, mintAssertion, requestToken, type ClientKey, type ServiceClient } from '../helpers/assertion.ts';
import { call, orgAccessToken, putServiceApp, START, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';

const LIMIT = 3;
const PROVIDERS = '/api/v1/risk/providers';
const EVENTS = '/api/v1/risk/events/ip';
const TOO_MANY = { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorLink: 'E0000047', errorCauses: [] };
const RESET = String(Math.ceil((START + 60_000) / 1000));

function limitHeaders(res: CallResult): Record<string, string | null> {
  return { limit: res.headers.get('x-rate-limit-limit'), remaining: res.headers.get('x-rate-limit-remaining'), reset: res.headers.get('x-rate-limit-reset') };
}

/** A 429 as Okta documents it: E0000047's body (minus its per-request errorId) and the spent window's headers. */
function expectTooMany(res: CallResult, reset = RESET): void {
  const { errorId, ...body } = res.body as Record<string, unknown>;
  expect({ status: res.status, body, headers: limitHeaders(res) }).to.deep.equal({ status: 429, body: TOO_MANY, headers: { limit: String(LIMIT), remaining: '0', reset } });
  expect(errorId).to.match(/^oae[A-Za-z0-9]{22}$/);
}

async function flood(times: number, send: () => Promise<CallResult>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await send()).status);
  return statuses;
}

describe('rate limits: no caller can spend another caller’s bucket', () => {
  let org: TestOrg;

  before(async () => {
    org = await startOrg({ managementRateLimit: LIMIT, eventsRateLimit: LIMIT });
  });

  after(() => org.close());

  beforeEach(() => {
    org.emulator.reset();
    org.clock.set(START);
  });

  describe('management routes', () => {
    const noAuth = () => call(org, 'GET', PROVIDERS, { auth: null });

    it('answers a request without credentials 403 E0000005 with the refused bucket’s headers', async () => {
      const res = await noAuth();
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000005', errorSummary: 'Invalid session' });
      expect(limitHeaders(res)).to.deep.equal({ limit: String(LIMIT), remaining: String(LIMIT - 1), reset: RESET });
    });

    it('answers a flood without credentials 429 E0000047 once the refused bucket is spent', async () => {
      expect(await flood(LIMIT, noAuth)).to.deep.equal([403, 403, 403]);
      expectTooMany(await noAuth());
    });

    it('lets the API token through with its whole budget after a flood without credentials', async () => {
      await flood(LIMIT + 2, noAuth);
      const res = await call(org, 'GET', PROVIDERS);
      expect({ status: res.status, headers: limitHeaders(res) }).to.deep.equal({ status: 200, headers: { limit: String(LIMIT), remaining: String(LIMIT - 1), reset: RESET } });
    });

    it('lets the API token through after a flood with a wrong API token', async () => {
      expect(await flood(LIMIT + 1, () => call(org, 'GET', PROVIDERS, { auth: 'SSWS 00wrong' }))).to.deep.equal([401, 401, 401, 429]);
      expect((await call(org, 'GET', PROVIDERS)).status).to.equal(200);
    });

    it('lets a client’s valid token through after a flood of forged bearer tokens', async () => {
      const app = putServiceApp(org, '0oaRateLimitClient01');
      const token = await orgAccessToken(org, app.id, ['okta.riskProviders.read']);
      await flood(LIMIT + 1, () => call(org, 'GET', PROVIDERS, { auth: `Bearer ${token.slice(0, -4)}AAAA` }));
      expect((await call(org, 'GET', PROVIDERS, { auth: `Bearer ${token}` })).status).to.equal(200);
    });

    it('answers the API token’s own overuse 429 E0000047, with the exact body and headers', async () => {
      expect(await flood(LIMIT, () => call(org, 'GET', PROVIDERS))).to.deep.equal([200, 200, 200]);
      expectTooMany(await call(org, 'GET', PROVIDERS));
    });

    it('refuses the overuse before acting: the fourth grant in a minute is not made', async () => {
      const app = putServiceApp(org, '0oaRateLimitGrants01');
      const grantScope = (scopeId: string) => call(org, 'POST', `/api/v1/apps/${app.id}/grants`, { body: { issuer: org.url, scopeId } });
      expect(await flood(LIMIT, async () => grantScope(['okta.logs.read', 'okta.apps.read', 'okta.clients.read'][org.emulator.store.grants.size]!))).to.deep.equal([201, 201, 201]);
      expectTooMany(await grantScope('okta.users.read'));
      expect([...org.emulator.store.grants.values()].map((g) => g.scopeId)).to.not.include('okta.users.read');
    });

    it('keys a client’s bucket by the client, so its overuse spends neither the API token’s nor another client’s', async () => {
      const [a, b] = ['0oaRateLimitClientAA', '0oaRateLimitClientBB'].map((id) => putServiceApp(org, id));
      const [tokenA, tokenA2, tokenB] = await Promise.all([
        orgAccessToken(org, a!.id, ['okta.riskProviders.read']),
        orgAccessToken(org, a!.id, ['okta.riskProviders.read']),
        orgAccessToken(org, b!.id, ['okta.riskProviders.read']),
      ]);
      await flood(LIMIT, () => call(org, 'GET', PROVIDERS, { auth: `Bearer ${tokenA}` }));
      expectTooMany(await call(org, 'GET', PROVIDERS, { auth: `Bearer ${tokenA2}` }));
      expect((await call(org, 'GET', PROVIDERS, { auth: `Bearer ${tokenB}` })).status).to.equal(200);
      expect((await call(org, 'GET', PROVIDERS)).status).to.equal(200);
    });

    it('charges a token without the scope to its own client, not to the refused bucket', async () => {
      const app = putServiceApp(org, '0oaRateLimitNoScope1');
      const token = await orgAccessToken(org, app.id, ['okta.logs.read']);
      const res = await call(org, 'GET', PROVIDERS, { auth: `Bearer ${token}` });
      expect(res.status).to.equal(403);
      expect(limitHeaders(res).remaining).to.equal(String(LIMIT - 1));
      expect(limitHeaders(await noAuth()).remaining).to.equal(String(LIMIT - 1));
    });

    it('gives every route a fresh window a minute after its first call', async () => {
      await flood(LIMIT + 1, noAuth);
      org.clock.advance(60_000);
      expect((await noAuth()).status).to.equal(403);
    });
  });

  describe('every route that authenticates', () => {
    const routes: Route[] = [
      ...appsRoutes,
      ...clientsRoutes,
      ...riskProvidersRoutes,
      ...securityEventsProvidersRoutes,
      ...systemLogRoutes,
      ...tokenRoutes,
      ...riskEventsRoutes,
      ...securityEventsRoutes,
    ].filter((route) => (route.rateLimit ?? 'caller') === 'caller');

    for (const route of routes) {
      it(`charges a refused ${route.method} ${route.path} to its refused bucket`, async () => {
        const path = route.path.replace(/:[A-Za-z]+/g, 'x');
        const res = await call(org, route.method, path, { auth: 'SSWS 00wrong' });
        expect(res.status).to.be.oneOf([400, 401]);
        expect(limitHeaders(res)).to.deep.equal({ limit: String(LIMIT), remaining: String(LIMIT - 1), reset: RESET });
      });
    }
  });

  describe('token endpoint', () => {
    let key: ClientKey;
    let client: ServiceClient;
    const garbage = () => requestToken(org, { grant_type: 'client_credentials', scope: 'okta.logs.read' });
    const valid = async (who: ServiceClient = client) => requestToken(org, clientCredentialsForm(await mintAssertion(org, who), 'okta.logs.read'));

    before(async () => {
      key = await generateClientKey('RS256');
    });

    beforeEach(async () => {
      client = await createServiceClient(org, { reuse: [key] });
      grant(org, client.clientId, 'okta.logs.read');
    });

    it('answers a flood of requests without credentials 429 E0000047 once the refused bucket is spent', async () => {
      expect(await flood(LIMIT, garbage)).to.deep.equal([401, 401, 401]);
      expectTooMany(await garbage());
    });

    it('issues a token to a client with a valid assertion after that flood, with its own whole budget', async () => {
      await flood(LIMIT + 2, garbage);
      const res = await valid();
      expect({ status: res.status, headers: limitHeaders(res) }).to.deep.equal({ status: 200, headers: { limit: String(LIMIT), remaining: String(LIMIT - 1), reset: RESET } });
    });

    it('answers a client’s own overuse 429 E0000047 and leaves another client its budget', async () => {
      const other = await createServiceClient(org, { reuse: [key] });
      grant(org, other.clientId, 'okta.logs.read');
      expect(await flood(LIMIT, () => valid())).to.deep.equal([200, 200, 200]);
      expectTooMany(await valid());
      expect((await valid(other)).status).to.equal(200);
    });
  });

  describe('risk events endpoint', () => {
    it('accepts a linked provider’s call with its whole budget after a flood of forged tokens', async () => {
      const app = putServiceApp(org, '0oaRateLimitSender01');
      const [provider] = org.emulator.store.providers.values();
      org.emulator.store.providers.set(provider!.id, { ...provider!, clientId: app.id });
      const token = await orgAccessToken(org, app.id, ['okta.riskEvents.manage']);
      const batch = [{ subjects: [{ ip: '1.1.1.1', riskLevel: 'HIGH' }] }];
      const statuses = await flood(LIMIT + 2, () => call(org, 'POST', EVENTS, { auth: `Bearer ${token.slice(0, -4)}AAAA`, body: batch }));
      expect(statuses).to.deep.equal([401, 401, 401, 401, 401]);
      const res = await call(org, 'POST', EVENTS, { auth: `Bearer ${token}`, body: batch });
      expect({ status: res.status, headers: limitHeaders(res) }).to.deep.equal({ status: 202, headers: { limit: String(LIMIT), remaining: String(LIMIT - 1), reset: RESET } });
    });
  });
});

describe('rate-limit windows: bounded memory', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(START);
  });

  it('keeps at most 10,000 windows by default', () => {
    expect(RATE_LIMIT_WINDOWS_MAX).to.equal(10_000);
  });

  it('refuses a new window with 429 headers resetting with the oldest window while full of running ones', () => {
    const limiter = new RateLimiter(clock, 2);
    limiter.take('a', 5);
    clock.advance(10_000);
    limiter.take('b', 5);
    expect(limiter.take('c', 5)).to.deep.equal({
      allowed: false,
      headers: { 'x-rate-limit-limit': '5', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil((START + 60_000) / 1000)) },
    });
    expect(limiter.size).to.equal(2);
  });

  it('still counts the running windows while full', () => {
    const limiter = new RateLimiter(clock, 2);
    limiter.take('a', 5);
    limiter.take('b', 5);
    limiter.take('c', 5);
    expect(limiter.take('a', 5)).to.deep.include({ allowed: true });
    expect(limiter.take('a', 5).headers['x-rate-limit-remaining']).to.equal('2');
  });

  it('drops ended windows to make room for a new one', () => {
    const limiter = new RateLimiter(clock, 2);
    limiter.take('a', 5);
    limiter.take('b', 5);
    clock.advance(60_000);
    expect(limiter.take('c', 5).allowed).to.equal(true);
    expect(limiter.size).to.equal(1);
  });

  it('answers 429 E0000047 through charge() while full', () => {
    const limiter = new RateLimiter(clock, 1);
    limiter.take('a', 5);
    let error: unknown;
    try {
      limiter.charge('b', 5);
    } catch (e) {
      error = e;
    }
    expect(error).to.include({ status: 429, code: 'E0000047' });
  });
});
