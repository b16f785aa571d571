import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SIGNAL_CONSUME_EVENT } from '../../src/emulator/risk-events.ts';
import type { AppRecord, RiskProviderAction, RiskProviderRecord } from '../../src/emulator/store.ts';
import { putServiceApp, orgAccessToken, call, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

const EVENTS = '/api/v1/risk/events/ip';
const GUIDE_BATCH = [
  {
    timestamp: '2021-01-20T00:00:00.001Z',
    subjects: [
      { ip: '6.7.6.7', riskLevel: 'LOW', message: 'none' },
      { ip: '1.1.1.1', riskLevel: 'HIGH', message: 'Detected Attack tooling and suspicious activity' },
    ],
  },
];

/** An org access token, signed exactly as the org's token endpoint signs one. */
const mintAccessToken = orgAccessToken;

/** Registers a service app straight in the store, as DCR would have. */
function addServiceApp(org: TestOrg): AppRecord {
  const id = `0oa${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;
  return putServiceApp(org, id, { client_name: `Risk sender ${id}` });
}

interface Sender {
  app: AppRecord;
  provider: RiskProviderRecord;
  /** `Bearer <token>` with `okta.riskEvents.manage`. */
  auth: string;
}

/** A service app linked to a provider (the default one unless `newProvider`), with an events token. */
async function linkSender(org: TestOrg, action: RiskProviderAction = 'log_only', newProvider = false): Promise<Sender> {
  const app = addServiceApp(org);
  const { providers } = org.emulator.store;
  let provider: RiskProviderRecord;
  if (newProvider) {
    const now = new Date(org.clock.now()).toISOString();
    provider = { id: `rkp${randomBytes(12).toString('hex').slice(0, 17)}`, name: `Provider ${app.id}`, clientId: app.id, action, created: now, lastUpdated: now };
  } else {
    const [first] = providers.values();
    provider = { ...first!, name: 'Risk Provider Example', clientId: app.id, action };
  }
  providers.set(provider.id, provider);
  return { app, provider, auth: `Bearer ${await mintAccessToken(org, app.id, ['okta.riskEvents.manage'])}` };
}

function send(org: TestOrg, sender: Sender, body: unknown): Promise<CallResult> {
  return call(org, 'POST', EVENTS, { auth: sender.auth, body });
}

function expectValidationError(res: CallResult, fields: string, causes: string[]): void {
  expect(res.status).to.equal(400);
  expect(res.body).to.include({ errorCode: 'E0000001', errorSummary: `Api validation failed: ${fields}`, errorLink: 'E0000001' });
  expect(res.body.errorCauses).to.deep.equal(causes.map((errorSummary) => ({ errorSummary })));
}

function batch(...subjects: Array<Record<string, unknown>>): unknown[] {
  return [{ subjects }];
}

function rateHeaders(res: CallResult): { limit: string | null; remaining: string | null; reset: string | null } {
  return {
    limit: res.headers.get('x-rate-limit-limit'),
    remaining: res.headers.get('x-rate-limit-remaining'),
    reset: res.headers.get('x-rate-limit-reset'),
  };
}

describe('Risk events API (emulator)', () => {
  let org: TestOrg;

  before(async () => {
    org = await startOrg();
  });
  after(async () => {
    await org.close();
  });
  beforeEach(() => {
    org.emulator.reset();
  });

  describe('accepting signals', () => {
    it("accepts the guide's sample batch with 202, no body and no content type", async () => {
      const sender = await linkSender(org);
      const res = await send(org, sender, GUIDE_BATCH);
      expect(res.status).to.equal(202);
      expect(res.text).to.equal('');
      expect(res.headers.get('content-type')).to.equal(null);
      assertMatchesSpec('management', 'POST', EVENTS, 202, res.body);
    });

    it('appends every subject of every event to the consumed signals, with its event times', async () => {
      const sender = await linkSender(org);
      const res = await send(org, sender, [
        { timestamp: '2021-01-20T00:00:00.001Z', expiresAt: '2021-01-21T00:00:00.001Z', subjects: [{ ip: '6.7.6.7', riskLevel: 'MEDIUM' }] },
        { subjects: [{ ip: '2001:db8::1', riskLevel: 'HIGH', message: 'Detected Attack tooling' }, { ip: '1.1.1.1', riskLevel: 'LOW' }] },
      ]);
      expect(res.status).to.equal(202);
      const providerId = sender.provider.id;
      expect(org.emulator.store.signals).to.deep.equal([
        { providerId, ip: '6.7.6.7', riskLevel: 'MEDIUM', timestamp: '2021-01-20T00:00:00.001Z', expiresAt: '2021-01-21T00:00:00.001Z' },
        { providerId, ip: '2001:db8::1', riskLevel: 'HIGH', message: 'Detected Attack tooling' },
        { providerId, ip: '1.1.1.1', riskLevel: 'LOW' },
      ]);
    });

    it('accepts 20 events', async () => {
      const sender = await linkSender(org);
      const events = Array.from({ length: 20 }, () => ({ subjects: [{ ip: '1.2.3.4', riskLevel: 'LOW' }] }));
      expect((await send(org, sender, events)).status).to.equal(202);
      expect(org.emulator.store.signals).to.have.length(20);
    });

    it('accepts 50 subjects in one event', async () => {
      const sender = await linkSender(org);
      const subjects = Array.from({ length: 50 }, (_, i) => ({ ip: `10.0.0.${i}`, riskLevel: 'HIGH' }));
      expect((await send(org, sender, batch(...subjects))).status).to.equal(202);
      expect(org.emulator.store.signals).to.have.length(50);
    });
  });

  describe('authentication and attribution', () => {
    it('refuses an API token with 403 E0000006 and no rate-limit headers', async () => {
      await linkSender(org);
      const res = await call(org, 'POST', EVENTS, { body: GUIDE_BATCH });
      expect(res.status).to.equal(403);
      assertMatchesSpec('management', 'POST', EVENTS, 403, res.body);
      expect(res.body).to.include({ errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' });
      expect(res.headers.get('x-rate-limit-limit')).to.equal(null);
      expect(org.emulator.store.signals).to.deep.equal([]);
    });

    it('refuses a token whose client no provider links with 403 E0000006', async () => {
      await linkSender(org);
      const stranger = addServiceApp(org);
      const token = await mintAccessToken(org, stranger.id, ['okta.riskEvents.manage']);
      const res = await call(org, 'POST', EVENTS, { auth: `Bearer ${token}`, body: GUIDE_BATCH });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' });
      expect(res.headers.get('x-rate-limit-limit')).to.equal(null);
      expect(org.emulator.store.signals).to.deep.equal([]);
    });

    it('attributes signals to the provider whose clientId is the token cid', async () => {
      await linkSender(org);
      const second = await linkSender(org, 'log_only', true);
      expect((await send(org, second, GUIDE_BATCH)).status).to.equal(202);
      expect(org.emulator.store.signals.map((s) => s.providerId)).to.deep.equal([second.provider.id, second.provider.id]);
    });

    it('refuses a token without okta.riskEvents.manage with 403, the insufficient_scope challenge and no body', async () => {
      const sender = await linkSender(org);
      const token = await mintAccessToken(org, sender.app.id, ['okta.riskProviders.read']);
      const res = await call(org, 'POST', EVENTS, { auth: `Bearer ${token}`, body: GUIDE_BATCH });
      expect(res.status).to.equal(403);
      expect(res.text).to.equal('');
      expect(res.headers.get('www-authenticate')).to.equal(
        `Bearer authorization_uri="${org.url}/oauth2/v1/authorize", realm="${org.url}", scope="okta.riskEvents.manage", ` +
          `error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${EVENTS}"`,
      );
      expect(res.headers.get('x-rate-limit-limit')).to.equal(null);
      expect(org.emulator.store.signals).to.deep.equal([]);
    });

    it('refuses a call without credentials with 403 E0000005', async () => {
      const res = await call(org, 'POST', EVENTS, { auth: null, body: GUIDE_BATCH });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000005', errorSummary: 'Invalid session' });
    });
  });

  describe('rate limit per provider', () => {
    it('reports the limit, a remaining count that counts down, and a reset one minute after the window start', async () => {
      const sender = await linkSender(org);
      const windowStart = org.clock.now();
      const reset = String(Math.ceil(windowStart / 1000) + 60);
      const seen = [];
      for (let i = 0; i < 3; i++) {
        const res = await send(org, sender, GUIDE_BATCH);
        expect(res.status).to.equal(202);
        seen.push(rateHeaders(res));
        org.clock.advance(10_000);
      }
      expect(seen).to.deep.equal([
        { limit: '3', remaining: '2', reset },
        { limit: '3', remaining: '1', reset },
        { limit: '3', remaining: '0', reset },
      ]);
    });

    it('answers call 4 of 3 with 429 E0000047 and the headers', async () => {
      const sender = await linkSender(org);
      const reset = String(Math.ceil(org.clock.now() / 1000) + 60);
      for (let i = 0; i < 3; i++) await send(org, sender, GUIDE_BATCH);
      const res = await send(org, sender, GUIDE_BATCH);
      expect(res.status).to.equal(429);
      assertMatchesSpec('management', 'POST', EVENTS, 429, res.body);
      expect(res.body).to.include({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' });
      expect(rateHeaders(res)).to.deep.equal({ limit: '3', remaining: '0', reset });
    });

    it('rolls the window after 60 seconds', async () => {
      const sender = await linkSender(org);
      for (let i = 0; i < 3; i++) await send(org, sender, GUIDE_BATCH);
      org.clock.advance(59_999);
      expect((await send(org, sender, GUIDE_BATCH)).status).to.equal(429);
      org.clock.advance(1);
      const res = await send(org, sender, GUIDE_BATCH);
      expect(res.status).to.equal(202);
      expect(rateHeaders(res)).to.deep.equal({ limit: '3', remaining: '2', reset: String(Math.ceil(org.clock.now() / 1000) + 60) });
    });

    it('keeps separate limits for separate providers', async () => {
      const first = await linkSender(org);
      const second = await linkSender(org, 'log_only', true);
      for (let i = 0; i < 3; i++) await send(org, first, GUIDE_BATCH);
      expect((await send(org, first, GUIDE_BATCH)).status).to.equal(429);
      const res = await send(org, second, GUIDE_BATCH);
      expect(res.status).to.equal(202);
      expect(res.headers.get('x-rate-limit-remaining')).to.equal('2');
    });

    it('charges a rejected batch and puts the headers on its 400', async () => {
      const sender = await linkSender(org);
      const res = await send(org, sender, []);
      expect(res.status).to.equal(400);
      expect(rateHeaders(res)).to.include({ limit: '3', remaining: '2' });
    });

    it('puts the headers on a malformed-JSON 400 E0000003', async () => {
      const sender = await linkSender(org);
      const res = await call(org, 'POST', EVENTS, { auth: sender.auth, body: '[{', headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.' });
      expect(rateHeaders(res)).to.include({ limit: '3', remaining: '2' });
    });

    it('puts the headers on a wrong content type 400 E0000021', async () => {
      const sender = await linkSender(org);
      const res = await call(org, 'POST', EVENTS, { auth: sender.auth, body: JSON.stringify(GUIDE_BATCH), headers: { 'content-type': 'text/plain' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ errorCode: 'E0000021' });
      expect(rateHeaders(res)).to.include({ limit: '3', remaining: '2' });
    });

    describe('with eventsRateLimit 5', () => {
      let wide: TestOrg;
      before(async () => {
        wide = await startOrg({ eventsRateLimit: 5 });
      });
      after(async () => {
        await wide.close();
      });

      it('allows 5 calls and answers the 6th with 429', async () => {
        const sender = await linkSender(wide);
        const statuses = [];
        for (let i = 0; i < 6; i++) statuses.push((await send(wide, sender, GUIDE_BATCH)).status);
        expect(statuses).to.deep.equal([202, 202, 202, 202, 202, 429]);
      });
    });
  });

  describe('a rejected request never changes state', () => {
    it('stores no signal and writes no log for a 400', async () => {
      const sender = await linkSender(org);
      const res = await send(org, sender, [...GUIDE_BATCH, { subjects: [{ ip: 'nope', riskLevel: 'HIGH' }] }]);
      expect(res.status).to.equal(400);
      expect(org.emulator.store.signals).to.deep.equal([]);
      expect(org.emulator.store.logs).to.deep.equal([]);
    });

    it('stores no signal and writes no log for a 429', async () => {
      const sender = await linkSender(org);
      for (let i = 0; i < 3; i++) await send(org, sender, GUIDE_BATCH);
      const signals = org.emulator.store.signals.length;
      const logs = org.emulator.store.logs.length;
      expect((await send(org, sender, GUIDE_BATCH)).status).to.equal(429);
      expect(org.emulator.store.signals).to.have.length(signals);
      expect(org.emulator.store.logs).to.have.length(logs);
    });
  });

  describe('batch validation', () => {
    let sender: Sender;
    beforeEach(async () => {
      sender = await linkSender(org);
    });

    it('rejects a body that is not an array', async () => {
      const res = await send(org, sender, GUIDE_BATCH[0]);
      assertMatchesSpec('management', 'POST', EVENTS, 400, res.body);
      expectValidationError(res, 'body', ['body: must be a JSON array of 1 to 20 risk events']);
    });

    it('rejects an empty array', async () => {
      expectValidationError(await send(org, sender, []), 'body', ['body: must contain at least 1 risk event']);
    });

    it('rejects 21 events', async () => {
      const events = Array.from({ length: 21 }, () => ({ subjects: [{ ip: '1.2.3.4', riskLevel: 'LOW' }] }));
      expectValidationError(await send(org, sender, events), 'body', ['body: must contain at most 20 risk events, got 21']);
    });

    it('rejects an event that is not an object', async () => {
      expectValidationError(await send(org, sender, ['1.2.3.4']), '[0]', [
        '[0]: must be a JSON object with subjects and an optional timestamp and expiresAt',
      ]);
    });

    it('rejects an unknown event field', async () => {
      const res = await send(org, sender, [{ subjects: [{ ip: '1.2.3.4', riskLevel: 'LOW' }], type: 'ip' }]);
      expectValidationError(res, '[0].type', ['[0].type: is not a recognized field; allowed fields are timestamp, expiresAt, subjects']);
    });

    it('rejects an event without subjects', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2021-01-20T00:00:00.001Z' }]), '[0].subjects', ['[0].subjects: is required']);
    });

    it('rejects subjects that are not an array', async () => {
      const res = await send(org, sender, [{ subjects: { ip: '1.2.3.4', riskLevel: 'LOW' } }]);
      expectValidationError(res, '[0].subjects', ['[0].subjects: must be an array of 1 to 50 subjects']);
    });

    it('rejects an empty subjects array', async () => {
      expectValidationError(await send(org, sender, [{ subjects: [] }]), '[0].subjects', ['[0].subjects: must contain at least 1 subject']);
    });

    it('rejects 51 subjects', async () => {
      const subjects = Array.from({ length: 51 }, () => ({ ip: '1.2.3.4', riskLevel: 'LOW' }));
      expectValidationError(await send(org, sender, batch(...subjects)), '[0].subjects', ['[0].subjects: must contain at most 50 subjects, got 51']);
    });

    it('rejects a subject that is not an object', async () => {
      expectValidationError(await send(org, sender, [{ subjects: [null] }]), '[0].subjects[0]', [
        '[0].subjects[0]: must be a JSON object with ip, riskLevel and an optional message',
      ]);
    });

    it('rejects an unknown subject field', async () => {
      const res = await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'LOW', score: 90 }));
      expectValidationError(res, '[0].subjects[0].score', ['[0].subjects[0].score: is not a recognized field; allowed fields are ip, riskLevel, message']);
    });
  });

  describe('subject validation', () => {
    let sender: Sender;
    beforeEach(async () => {
      sender = await linkSender(org);
    });

    it('rejects a subject without ip', async () => {
      expectValidationError(await send(org, sender, batch({ riskLevel: 'LOW' })), '[0].subjects[0].ip', ['[0].subjects[0].ip: is required']);
    });

    it('rejects an ip that is not a string', async () => {
      expectValidationError(await send(org, sender, batch({ ip: 16909060, riskLevel: 'LOW' })), '[0].subjects[0].ip', [
        '[0].subjects[0].ip: must be a string',
      ]);
    });

    it('rejects an ip that is not an IPv4 or IPv6 address', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.256', riskLevel: 'LOW' })), '[0].subjects[0].ip', [
        '[0].subjects[0].ip: must be an IPv4 or IPv6 address',
      ]);
    });

    it('accepts an IPv6 address', async () => {
      expect((await send(org, sender, batch({ ip: '2001:db8::42', riskLevel: 'LOW' }))).status).to.equal(202);
    });

    it('rejects an IPv6 address with a zone index', async () => {
      expectValidationError(await send(org, sender, batch({ ip: 'fe80::1%eth0', riskLevel: 'LOW' })), '[0].subjects[0].ip', [
        '[0].subjects[0].ip: must be an IPv4 or IPv6 address',
      ]);
    });

    it('rejects a subject without riskLevel', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.4' })), '[0].subjects[0].riskLevel', ['[0].subjects[0].riskLevel: is required']);
    });

    it('rejects a lower-case riskLevel', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'high' })), '[0].subjects[0].riskLevel', [
        '[0].subjects[0].riskLevel: must be one of LOW, MEDIUM, HIGH',
      ]);
    });

    it('rejects a riskLevel that is not a string', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 3 })), '[0].subjects[0].riskLevel', [
        '[0].subjects[0].riskLevel: must be one of LOW, MEDIUM, HIGH',
      ]);
    });

    it('accepts each riskLevel', async () => {
      const res = await send(org, sender, batch(...['LOW', 'MEDIUM', 'HIGH'].map((riskLevel) => ({ ip: '1.2.3.4', riskLevel }))));
      expect(res.status).to.equal(202);
      expect(org.emulator.store.signals.map((s) => s.riskLevel)).to.deep.equal(['LOW', 'MEDIUM', 'HIGH']);
    });

    it('rejects a message that is not a string', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'LOW', message: null })), '[0].subjects[0].message', [
        '[0].subjects[0].message: must be a string',
      ]);
    });

    it('accepts a message of 512 characters', async () => {
      expect((await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'LOW', message: 'm'.repeat(512) }))).status).to.equal(202);
    });

    it('rejects a message of 513 characters', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'LOW', message: 'm'.repeat(513) })), '[0].subjects[0].message', [
        '[0].subjects[0].message: must be at most 512 characters',
      ]);
    });

    it("accepts letters, digits, spaces, '.', '-' and '_' in a message", async () => {
      expect((await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'LOW', message: 'Bot-net 42_a.b' }))).status).to.equal(202);
    });

    it('rejects any other character in a message', async () => {
      expectValidationError(await send(org, sender, batch({ ip: '1.2.3.4', riskLevel: 'LOW', message: 'attack!' })), '[0].subjects[0].message', [
        "[0].subjects[0].message: may contain only letters, digits, spaces, '.', '-' and '_'",
      ]);
    });
  });

  describe('event time validation', () => {
    let sender: Sender;
    beforeEach(async () => {
      sender = await linkSender(org);
    });
    const subjects = [{ ip: '1.2.3.4', riskLevel: 'LOW' }];
    const DATE_TIME = 'must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z';

    it('accepts a timestamp with a numeric offset', async () => {
      expect((await send(org, sender, [{ timestamp: '2021-01-20T02:00:00+02:00', subjects }])).status).to.equal(202);
    });

    it('rejects a date without a time', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2021-01-20', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects a timestamp in words', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: 'yesterday', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects a timestamp without a zone', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2021-01-20T00:00:00.001', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects an impossible calendar date', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2021-02-30T00:00:00Z', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects an out-of-range time of day', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2021-01-20T24:00:00Z', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('accepts a timestamp with 9 fraction digits (nanoseconds)', async () => {
      expect((await send(org, sender, [{ timestamp: '2021-01-20T00:00:00.123456789Z', subjects }])).status).to.equal(202);
    });

    it('rejects a timestamp with more than 9 fraction digits', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2021-01-20T00:00:00.1234567890Z', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects a leap second', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: '2016-12-31T23:59:60Z', subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects a numeric timestamp', async () => {
      expectValidationError(await send(org, sender, [{ timestamp: 1611100800001, subjects }]), '[0].timestamp', [`[0].timestamp: ${DATE_TIME}`]);
    });

    it('rejects an expiresAt that is not a date-time', async () => {
      expectValidationError(await send(org, sender, [{ expiresAt: '2021-01-21', subjects }]), '[0].expiresAt', [`[0].expiresAt: ${DATE_TIME}`]);
    });

    it('accepts an expiresAt without a timestamp', async () => {
      expect((await send(org, sender, [{ expiresAt: '2021-01-21T00:00:00.000Z', subjects }])).status).to.equal(202);
    });

    it('accepts an expiresAt after the timestamp, comparing instants across offsets', async () => {
      const res = await send(org, sender, [{ timestamp: '2021-01-20T01:00:00+02:00', expiresAt: '2021-01-19T23:00:00.001Z', subjects }]);
      expect(res.status).to.equal(202);
    });

    it('rejects an expiresAt before the timestamp', async () => {
      const res = await send(org, sender, [{ timestamp: '2021-01-20T00:00:00.001Z', expiresAt: '2021-01-19T00:00:00.000Z', subjects }]);
      expectValidationError(res, '[0].expiresAt', ['[0].expiresAt: must be after timestamp']);
    });

    it('rejects an expiresAt equal to the timestamp', async () => {
      const res = await send(org, sender, [{ timestamp: '2021-01-20T00:00:00.000Z', expiresAt: '2021-01-20T01:00:00+01:00', subjects }]);
      expectValidationError(res, '[0].expiresAt', ['[0].expiresAt: must be after timestamp']);
    });

    it('names every failing path of a batch, in order', async () => {
      const res = await send(org, sender, [
        { timestamp: 'yesterday', subjects },
        { subjects: [{ ip: '1.2.3.4', riskLevel: 'LOW' }, { ip: '300.1.1.1', riskLevel: 'low' }] },
      ]);
      expectValidationError(res, '[0].timestamp, [1].subjects[1].ip, [1].subjects[1].riskLevel', [
        `[0].timestamp: ${DATE_TIME}`,
        '[1].subjects[1].ip: must be an IPv4 or IPv6 address',
        '[1].subjects[1].riskLevel: must be one of LOW, MEDIUM, HIGH',
      ]);
    });
  });

  describe('System Log', () => {
    function consumeEvents(): Array<Record<string, any>> {
      return org.emulator.store.logs.map((l) => l.event).filter((e) => e.eventType === 'security.risk.signal.consume');
    }

    it('uses an event type present in the 2025.06.1 catalog', () => {
      const file = new URL('../fixtures/catalogs/event-type-ids.json', import.meta.url);
      const catalog = JSON.parse(readFileSync(file, 'utf8')) as { ids: string[] };
      expect(catalog.ids).to.include(SIGNAL_CONSUME_EVENT);
    });

    it('records one security.risk.signal.consume event per request for a log_only provider', async () => {
      const sender = await linkSender(org, 'log_only');
      expect((await send(org, sender, GUIDE_BATCH)).status).to.equal(202);
      const [event, ...rest] = consumeEvents();
      expect(rest).to.deep.equal([]);
      expect(event).to.deep.include({
        eventType: 'security.risk.signal.consume',
        displayMessage: 'Fired when a 3rd party risk provider submits risk signals',
        severity: 'INFO',
        outcome: { result: 'SUCCESS' },
        target: [{ id: sender.provider.id, type: 'RiskProvider', alternateId: sender.app.id, displayName: 'Risk Provider Example' }],
      });
      // The catalog gives this event no actor; null members are left out (see log-writer.ts).
      expect(event).to.not.have.property('actor');
      expect(event!.client.id).to.equal(sender.app.id);
      expect(event!.debugContext.debugData).to.deep.include({
        requestUri: EVENTS,
        riskSignalList: '[{ip=6.7.6.7, riskLevel=LOW, message=none}, {ip=1.1.1.1, riskLevel=HIGH, message=Detected Attack tooling and suspicious activity}]',
        riskSignalSize: '2',
        riskSignalProviderAction: 'LOG_ONLY',
        riskSignalProviderName: 'Risk Provider Example',
        riskSignalProviderId: sender.provider.id,
      });
    });

    it('records ENFORCE_AND_LOG for an enforce_and_log provider', async () => {
      const sender = await linkSender(org, 'enforce_and_log');
      await send(org, sender, GUIDE_BATCH);
      const events = consumeEvents();
      expect(events).to.have.length(1);
      expect(events[0]!.debugContext.debugData.riskSignalProviderAction).to.equal('ENFORCE_AND_LOG');
    });

    it('counts and lists the subjects of every event of the batch in one log event', async () => {
      const sender = await linkSender(org);
      await send(org, sender, [{ subjects: [{ ip: '1.2.3.4', riskLevel: 'HIGH' }] }, { subjects: [{ ip: '2.2.3.4', riskLevel: 'MEDIUM' }, { ip: '::1', riskLevel: 'LOW' }] }]);
      const events = consumeEvents();
      expect(events).to.have.length(1);
      expect(events[0]!.debugContext.debugData).to.include({
        riskSignalList: '[{ip=1.2.3.4, riskLevel=HIGH}, {ip=2.2.3.4, riskLevel=MEDIUM}, {ip=::1, riskLevel=LOW}]',
        riskSignalSize: '3',
      });
    });

    it('accepts and counts but does not log the signals of a provider whose action is none', async () => {
      const sender = await linkSender(org, 'none');
      expect((await send(org, sender, GUIDE_BATCH)).status).to.equal(202);
      expect(org.emulator.store.signals).to.have.length(2);
      expect(org.emulator.store.logs).to.deep.equal([]);
    });
  });
});
