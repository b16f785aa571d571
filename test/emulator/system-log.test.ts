import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { get as httpGet } from 'node:http';
import type { EmulatorRequest } from '../../src/emulator/http.ts';
import { recordEvent } from '../../src/emulator/log-writer.ts';
import { putServiceApp, orgAccessToken, call, START, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const iso = (ms: number): string => new Date(ms).toISOString();

const BAD_DATE = 'The date format in your query is not recognized. Please enter dates using ISO8601 string format.';
const BAD_DATE_2 = 'must be a valid date-time or empty.';

/** A LogEvent shaped like Okta's documented example, every field valid against the spec. */
function logEvent(publishedMs: number): Record<string, unknown> & { uuid: string; published: string; eventType: string } {
  return {
    uuid: randomUUID(),
    published: iso(publishedMs),
    eventType: 'user.session.start',
    version: '0',
    severity: 'INFO',
    legacyEventType: 'core.user_auth.login_success',
    displayMessage: 'User login to Okta',
    actor: { id: '00u1qw1mqitPHM8AJ0g7', type: 'User', alternateId: 'jane.doe@example.com', displayName: 'Jane Doe' },
    client: {
      userAgent: { rawUserAgent: 'UNKNOWN-DOWNLOAD', os: 'Unknown', browser: 'UNKNOWN' },
      zone: 'OFF_NETWORK',
      device: 'Unknown',
      ipAddress: '198.51.100.7',
      geographicalContext: { city: 'San Francisco', state: 'California', country: 'United States', postalCode: '94105', geolocation: { lat: 37.79, lon: -122.39 } },
    },
    outcome: { result: 'SUCCESS' },
    target: [],
    transaction: { type: 'WEB', id: 'XOxBw-2JIRnCFd0gG0GjHAAABjY', detail: {} },
    debugContext: { debugData: { requestUri: '/login/do-login' } },
    authenticationContext: { authenticationStep: 0, externalSessionId: '102GALFw8CzRT2KXoqnca8Jdg' },
    securityContext: { asNumber: 394089, asOrg: 'ASN 0000', isp: 'google', domain: 'example.net', isProxy: false },
    request: { ipChain: [{ ip: '198.51.100.7', version: 'V4', source: 'none' }] },
  };
}

/** Stores an event as the log writer would; `persistedAt` defaults to `published`. */
function pushEvent(org: TestOrg, options: { published?: number; persistedAt?: number; fields?: Record<string, unknown> } = {}) {
  const published = options.published ?? org.clock.now();
  const event = { ...logEvent(published), ...options.fields };
  org.emulator.store.logs.push({ seq: org.emulator.store.nextLogSeq(), persistedAt: options.persistedAt ?? published, event });
  return event;
}

function logs(org: TestOrg, query: Record<string, string> | string = '', auth?: string | null): Promise<CallResult> {
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  return call(org, 'GET', `/api/v1/logs${qs ? `?${qs}` : ''}`, auth === undefined ? {} : { auth });
}

/** The `Link` header's targets by relation. */
function links(res: CallResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (res.headers.get('link') ?? '').matchAll(/<([^>]+)>; rel="(\w+)"/g)) out[m[2]!] = m[1]!;
  return out;
}

function follow(org: TestOrg, url: string | undefined): Promise<CallResult> {
  expect(url, 'next link').to.be.a('string');
  const target = new URL(url!);
  expect(target.origin).to.equal(org.url);
  return call(org, 'GET', target.pathname + target.search);
}

function expectOk(res: CallResult): unknown[] {
  expect(res.status, res.text).to.equal(200);
  assertMatchesSpec('management', 'GET', '/api/v1/logs', 200, res.body);
  return res.body;
}

function expectError(res: CallResult, status: number, code: string, summary: string, causes?: string[]): void {
  expect(res.status, res.text).to.equal(status);
  expect(res.body).to.include({ errorCode: code, errorSummary: summary, errorLink: code });
  expect(res.body.errorId).to.be.a('string');
  if (causes) expect(res.body.errorCauses).to.deep.equal(causes.map((errorSummary) => ({ errorSummary })));
  assertMatchesSpec('management', 'GET', '/api/v1/logs', status, res.body);
}

const uuids = (body: unknown[]): string[] => body.map((e) => (e as { uuid: string }).uuid);

describe('System Log API: GET /api/v1/logs', () => {
  let org: TestOrg;

  before(async () => {
    org = await startOrg();
  });

  after(() => org.close());

  beforeEach(() => {
    org.emulator.reset();
    org.clock.set(START);
  });

  describe('authentication', () => {
    it('rejects a request without Authorization with 403 E0000005', async () => {
      expectError(await logs(org, '', null), 403, 'E0000005', 'Invalid session', []);
    });

    it('rejects a wrong API token with 401 E0000011', async () => {
      const res = await logs(org, '', 'SSWS not-the-token');
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    });

    async function bearer(scopes: string[]): Promise<string> {
      putServiceApp(org, '0oaLogReader000000001', { client_name: 'Log reader' });
      return orgAccessToken(org, '0oaLogReader000000001', scopes);
    }

    it('accepts a bearer token with okta.logs.read', async () => {
      pushEvent(org);
      const res = await logs(org, '', `Bearer ${await bearer(['okta.logs.read'])}`);
      expect(expectOk(res)).to.have.length(1);
    });

    it('rejects a bearer token without okta.logs.read with 403 insufficient_scope', async () => {
      const res = await logs(org, '', `Bearer ${await bearer(['okta.riskEvents.manage'])}`);
      expect(res.status).to.equal(403);
      expect(res.text).to.equal('');
      expect(res.headers.get('www-authenticate')).to.include('error="insufficient_scope"').and.include('scope="okta.logs.read"');
    });
  });

  describe('response', () => {
    it('returns the stored LogEvents as a JSON array valid against Okta\'s spec', async () => {
      const first = pushEvent(org, { published: START - 2 * MINUTE });
      const second = pushEvent(org, { published: START - MINUTE, fields: { eventType: 'security.risk.signal.consume' } });
      const body = expectOk(await logs(org));
      expect(body).to.deep.equal([first, second]);
    });

    it('returns an event written by the log writer', async () => {
      const req = { headers: {}, ip: '127.0.0.1', requestId: 'WcKPxq1f8QLfFvv3UPHhhgAACGM', path: '/api/v1/risk/events/ip', rawQuery: '' };
      recordEvent(org.emulator.org, req as unknown as EmulatorRequest, { eventType: 'security.risk.signal.consume', displayMessage: 'Risk signal consumed', actor: null });
      const res = await logs(org, { filter: 'eventType eq "security.risk.signal.consume"' });
      expect(res.status).to.equal(200);
      expect(res.body).to.have.length(1);
      expect(res.body[0]).to.include({ eventType: 'security.risk.signal.consume', published: iso(START) });
      assertMatchesSpec('management', 'GET', '/api/v1/logs', 200, res.body);
    });

    it('always sends a self link to the query as sent', async () => {
      const query = 'filter=eventType+eq+%22user.session.start%22&limit=5';
      const res = await logs(org, query);
      expect(links(res).self).to.equal(`${org.url}/api/v1/logs?${query}`);
    });

    it('sends self and next as separate Link header values', async () => {
      const raw = await new Promise<string[]>((resolve, reject) => {
        httpGet(`${org.url}/api/v1/logs`, { headers: { authorization: `SSWS ${org.apiToken}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.rawHeaders));
        }).on('error', reject);
      });
      const values = raw.filter((_v, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === 'link');
      expect(values).to.have.length(2);
      expect(values[0]).to.match(/^<[^>]+>; rel="self"$/);
      expect(values[1]).to.match(/^<[^>]+>; rel="next"$/);
    });
  });

  describe('polling requests (no until, ascending)', () => {
    it('pages through 150 events with limit 50 and keeps a next link on the last page', async () => {
      const pushed = Array.from({ length: 150 }, (_v, i) => pushEvent(org, { published: START - (150 - i) * 1000 }).uuid);
      let res = await logs(org, { since: iso(START - 10 * MINUTE), limit: '50' });
      const seen: string[] = [];
      for (let page = 0; page < 3; page++) {
        const body = expectOk(res);
        expect(body).to.have.length(50);
        seen.push(...uuids(body));
        res = await follow(org, links(res).next);
      }
      expect(seen).to.deep.equal(pushed);
      expect(expectOk(res)).to.deep.equal([]);
      expect(links(res).next).to.be.a('string');
    });

    it('returns an event recorded after the last page when the next link is followed', async () => {
      pushEvent(org, { published: START - MINUTE });
      const first = await logs(org, { limit: '50' });
      expect(expectOk(first)).to.have.length(1);
      const empty = await follow(org, links(first).next);
      expect(expectOk(empty)).to.deep.equal([]);
      org.clock.advance(5000);
      const late = pushEvent(org);
      const res = await follow(org, links(empty).next);
      expect(uuids(expectOk(res))).to.deep.equal([late.uuid]);
    });

    it('sends a next link even when the first page is empty', async () => {
      const res = await logs(org);
      expect(expectOk(res)).to.deep.equal([]);
      expect(links(res).next).to.be.a('string');
    });

    it('filters on persistence time, not on published', async () => {
      const late = pushEvent(org, { published: START - 10 * DAY, persistedAt: START });
      const res = await logs(org, { since: iso(START - MINUTE) });
      expect(uuids(expectOk(res))).to.deep.equal([late.uuid]);
    });

    it('defaults since to 7 days before now', async () => {
      pushEvent(org, { published: START - 7 * DAY - 1 });
      const inside = pushEvent(org, { published: START - 7 * DAY });
      expect(uuids(expectOk(await logs(org)))).to.deep.equal([inside.uuid]);
    });
  });

  describe('bounded requests (until given)', () => {
    it('pages through 150 events with limit 50 in exactly three pages, the last without a next link', async () => {
      const pushed = Array.from({ length: 150 }, (_v, i) => pushEvent(org, { published: START - (150 - i) * 1000 }).uuid);
      let res = await logs(org, { since: iso(START - DAY), until: iso(START), limit: '50' });
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const body = expectOk(res);
        expect(body).to.have.length(50);
        seen.push(...uuids(body));
        if (page < 3) res = await follow(org, links(res).next);
      }
      expect(links(res).next).to.equal(undefined);
      expect(seen).to.deep.equal(pushed);
    });

    it('filters on published, not on persistence time', async () => {
      pushEvent(org, { published: START - 10 * DAY, persistedAt: START });
      const onTime = pushEvent(org, { published: START - 30_000 });
      const res = await logs(org, { since: iso(START - MINUTE), until: iso(START + MINUTE) });
      expect(uuids(expectOk(res))).to.deep.equal([onTime.uuid]);
    });

    it('includes events at since and excludes events at until', async () => {
      const atSince = pushEvent(org, { published: START - 3 * MINUTE });
      const between = pushEvent(org, { published: START - 2 * MINUTE });
      pushEvent(org, { published: START - MINUTE });
      const res = await logs(org, { since: iso(START - 3 * MINUTE), until: iso(START - MINUTE) });
      expect(uuids(expectOk(res))).to.deep.equal([atSince.uuid, between.uuid]);
    });

    it('sorts by published even when events were persisted out of order', async () => {
      const later = pushEvent(org, { published: START - MINUTE, persistedAt: START - MINUTE });
      const earlier = pushEvent(org, { published: START - 2 * MINUTE, persistedAt: START });
      const res = await logs(org, { since: iso(START - DAY), until: iso(START + 1) });
      expect(uuids(expectOk(res))).to.deep.equal([earlier.uuid, later.uuid]);
    });

    it('defaults since to 7 days before until', async () => {
      const until = START - DAY;
      pushEvent(org, { published: until - 7 * DAY - 1 });
      const inside = pushEvent(org, { published: until - 7 * DAY });
      expect(uuids(expectOk(await logs(org, { until: iso(until) })))).to.deep.equal([inside.uuid]);
    });

    it('accepts an offset in until and applies it', async () => {
      const included = pushEvent(org, { published: Date.UTC(2026, 10, 28, 10, 59) });
      pushEvent(org, { published: Date.UTC(2026, 10, 28, 11, 0) });
      const res = await logs(org, { since: '2026-11-28T10:00:00.123456Z', until: '2026-11-28T13:00:00+02:00' });
      expect(uuids(expectOk(res))).to.deep.equal([included.uuid]);
    });
  });

  describe('sortOrder', () => {
    it('returns events oldest first by default (ASCENDING)', async () => {
      const a = pushEvent(org, { published: START - 2 * MINUTE });
      const b = pushEvent(org, { published: START - MINUTE });
      expect(uuids(expectOk(await logs(org, { sortOrder: 'ASCENDING', since: iso(START - DAY), until: iso(START) })))).to.deep.equal([a.uuid, b.uuid]);
    });

    it('pages through 150 events newest first with DESCENDING, the last page without a next link', async () => {
      const pushed = Array.from({ length: 150 }, (_v, i) => pushEvent(org, { published: START - (150 - i) * 1000 }).uuid);
      let res = await logs(org, { since: iso(START - DAY), until: iso(START), limit: '50', sortOrder: 'DESCENDING' });
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        seen.push(...uuids(expectOk(res)));
        if (page < 3) res = await follow(org, links(res).next);
      }
      expect(links(res).next).to.equal(undefined);
      expect(seen).to.deep.equal(pushed.reverse());
    });

    it('keeps the since bound on later DESCENDING pages', async () => {
      pushEvent(org, { published: START - 10 * MINUTE });
      const b = pushEvent(org, { published: START - 2 * MINUTE });
      const c = pushEvent(org, { published: START - MINUTE });
      const first = await logs(org, { since: iso(START - 5 * MINUTE), until: iso(START), limit: '1', sortOrder: 'DESCENDING' });
      expect(uuids(expectOk(first))).to.deep.equal([c.uuid]);
      const second = await follow(org, links(first).next);
      expect(uuids(expectOk(second))).to.deep.equal([b.uuid]);
      expect(links(second).next).to.equal(undefined);
    });

    it('treats DESCENDING without until as bounded by now: its last page has no next link', async () => {
      pushEvent(org, { published: START - MINUTE, persistedAt: START });
      const future = pushEvent(org, { published: START + MINUTE, persistedAt: START });
      const res = await logs(org, { sortOrder: 'DESCENDING' });
      expect(expectOk(res)).to.have.length(1);
      expect(links(res).next).to.equal(undefined);
      org.clock.advance(2 * MINUTE);
      expect(uuids(expectOk(await logs(org, { sortOrder: 'DESCENDING' })))[0]).to.equal(future.uuid);
    });

    it('rejects a sortOrder other than ASCENDING or DESCENDING with 400 E0000001', async () => {
      expectError(await logs(org, { sortOrder: 'descending' }), 400, 'E0000001', "Api validation failed: 'sortOrder': must be ASCENDING or DESCENDING.", [
        'sortOrder: must be ASCENDING or DESCENDING.',
      ]);
    });
  });

  describe('next link', () => {
    it('keeps filter, q, limit, sortOrder and until, and drops since and unknown parameters', async () => {
      pushEvent(org, { published: START - 2 * MINUTE });
      pushEvent(org, { published: START - MINUTE });
      const query = { since: iso(START - DAY), until: iso(START), filter: 'eventType eq "user.session.start"', q: 'jane', limit: '1', sortOrder: 'ASCENDING', foo: 'bar' };
      const next = new URL(links(await logs(org, query)).next!);
      expect([...next.searchParams.keys()].sort()).to.deep.equal(['after', 'filter', 'limit', 'q', 'sortOrder', 'until']);
      for (const name of ['filter', 'q', 'limit', 'sortOrder', 'until'] as const) expect(next.searchParams.get(name)).to.equal(query[name]);
    });

    it('puts the position in the after cursor as persistedAt_seq for polling', async () => {
      pushEvent(org, { published: START - MINUTE });
      const next = new URL(links(await logs(org, { limit: '1' })).next!);
      expect(next.searchParams.get('after')).to.equal(`${START - MINUTE}_1`);
    });
  });

  describe('limit', () => {
    it('returns 100 events by default', async () => {
      for (let i = 0; i < 101; i++) pushEvent(org, { published: START - (101 - i) * 1000 });
      const res = await logs(org);
      expect(expectOk(res)).to.have.length(100);
      expect(expectOk(await follow(org, links(res).next))).to.have.length(1);
    });

    it('returns an empty page for limit 0', async () => {
      pushEvent(org, { published: START - MINUTE });
      expect(expectOk(await logs(org, { limit: '0' }))).to.deep.equal([]);
    });

    it('accepts limit 1000', async () => {
      pushEvent(org, { published: START - MINUTE });
      expect(expectOk(await logs(org, { limit: '1000' }))).to.have.length(1);
    });

    it('rejects limit 1001 with 400 E0000001 naming limit', async () => {
      expectError(await logs(org, { limit: '1001' }), 400, 'E0000001', "Api validation failed: 'limit': must be an integer between 0 and 1000.", [
        'limit: must be an integer between 0 and 1000.',
      ]);
    });

    it('rejects a limit that is not a non-negative integer with 400 E0000001', async () => {
      for (const limit of ['-1', '1.5', 'ten', ' 5']) {
        const res = await logs(org, { limit });
        expect(res.status, limit).to.equal(400);
        expect(res.body.errorSummary, limit).to.equal("Api validation failed: 'limit': must be an integer between 0 and 1000.");
      }
    });
  });

  describe('since and until', () => {
    it('rejects an until that is not an ISO 8601 date with Okta\'s documented body', async () => {
      expectError(
        await logs(org, { until: 'yesterday' }),
        400,
        'E0000001',
        "Api validation failed: 'until': The date format in your query is not recognized. Please enter dates using ISO8601 string format.. 'until': must be a valid date-time or empty.",
        [`until: ${BAD_DATE}`, `until: ${BAD_DATE_2}`],
      );
    });

    it('rejects a since that is not an ISO 8601 date with the same shape', async () => {
      expectError(await logs(org, { since: '2026-11-28' }), 400, 'E0000001', `Api validation failed: 'since': ${BAD_DATE}. 'since': ${BAD_DATE_2}`, [
        `since: ${BAD_DATE}`,
        `since: ${BAD_DATE_2}`,
      ]);
    });

    it('rejects a timestamp without a time zone', async () => {
      expect((await logs(org, { until: '2026-11-28T12:00:00' })).status).to.equal(400);
    });

    it('rejects a calendar date that does not exist', async () => {
      const res = await logs(org, { since: '2026-02-30T00:00:00Z' });
      expect(res.status).to.equal(400);
      expect(res.body.errorCauses[0].errorSummary).to.equal(`since: ${BAD_DATE}`);
    });

    it('treats an empty until as absent', async () => {
      const res = await logs(org, 'until=&q=&filter=');
      expectOk(res);
      expect(links(res).next, 'a polling request').to.be.a('string');
    });

    it('rejects a since over 180 days ago with 400 E0000053', async () => {
      expectError(await logs(org, { since: iso(START - 180 * DAY - 1) }), 400, 'E0000053', 'Invalid parameter: The since parameter is over 180 days prior to the current day.');
    });

    it('accepts a since exactly 180 days ago', async () => {
      expectOk(await logs(org, { since: iso(START - 180 * DAY) }));
    });

    it('does not return events older than 90 days (data retention)', async () => {
      pushEvent(org, { published: START - 91 * DAY });
      const kept = pushEvent(org, { published: START - 89 * DAY });
      const res = await logs(org, { since: iso(START - 100 * DAY), until: iso(START) });
      expect(uuids(expectOk(res))).to.deep.equal([kept.uuid]);
    });

    it('rejects a since later than until with 400 E0000001', async () => {
      expectError(await logs(org, { since: iso(START), until: iso(START - 1) }), 400, 'E0000001', "Api validation failed: 'since': must not be later than until.", [
        'since: must not be later than until.',
      ]);
    });
  });

  describe('after', () => {
    it('rejects since together with after with 400 E0000001', async () => {
      expectError(
        await logs(org, { since: iso(START - MINUTE), after: `${START}_1` }),
        400,
        'E0000001',
        "Api validation failed: 'after': cannot be used together with since. Follow the next link exactly as Okta returned it.",
        ['after: cannot be used together with since. Follow the next link exactly as Okta returned it.'],
      );
    });

    it('accepts after without since', async () => {
      const a = pushEvent(org, { published: START - 2 * MINUTE });
      const b = pushEvent(org, { published: START - MINUTE });
      expect(uuids(expectOk(await logs(org, { after: `${Date.parse(a.published)}_1` })))).to.deep.equal([b.uuid]);
    });

    it('rejects an after that is not a cursor with 400 E0000001', async () => {
      expectError(
        await logs(org, { after: '349996bd-5091-45dc-a39f-d357867a30d7' }),
        400,
        'E0000001',
        "Api validation failed: 'after': is not a cursor from a next link of this query. Follow the next link exactly as Okta returned it.",
      );
    });

    it('rejects a polling cursor in a bounded query', async () => {
      expect((await logs(org, { after: `${START}_1`, until: iso(START) })).status).to.equal(400);
    });
  });

  describe('other parameters', () => {
    it('ignores unknown query parameters', async () => {
      pushEvent(org, { published: START - MINUTE });
      expect(expectOk(await logs(org, { expand: 'all', foo: 'bar' }))).to.have.length(1);
    });

    it('rejects a parameter given twice with 400 E0000001', async () => {
      expectError(await logs(org, 'limit=5&limit=6'), 400, 'E0000001', "Api validation failed: 'limit': must be given at most once.", [
        'limit: must be given at most once.',
      ]);
    });
  });

  describe('q', () => {
    it('matches keywords case-insensitively', async () => {
      const e = pushEvent(org, { published: START - MINUTE });
      expect(uuids(expectOk(await logs(org, { q: 'JANE francisco' })))).to.deep.equal([e.uuid]);
    });

    it('requires every keyword to match', async () => {
      pushEvent(org, { published: START - MINUTE });
      expect(expectOk(await logs(org, { q: 'jane smith' }))).to.deep.equal([]);
    });

    it('matches whole words, not parts of them', async () => {
      pushEvent(org, { published: START - MINUTE });
      expect(expectOk(await logs(org, { q: 'jan' }))).to.deep.equal([]);
    });

    it('matches each part of a hyphenated value as well as the whole', async () => {
      const e = pushEvent(org, { published: START - MINUTE });
      for (const q of ['XOxBw', '2JIRnCFd0gG0GjHAAABjY', 'XOxBw-2JIRnCFd0gG0GjHAAABjY']) {
        expect(uuids(expectOk(await logs(org, { q }))), q).to.deep.equal([e.uuid]);
      }
    });

    it('accepts a keyword of 40 characters', async () => {
      expectOk(await logs(org, { q: 'a'.repeat(40) }));
    });

    it('rejects a keyword longer than 40 characters with Okta\'s documented text', async () => {
      const text =
        'Freeform search cannot contain items longer than 40 characters. Please shorten the items in your search or use an advanced filter to query by specific fields.';
      expectError(await logs(org, { q: `jane ${'a'.repeat(41)}` }), 400, 'E0000001', `Api validation failed: 'q': ${text}`, [`q: ${text}`]);
    });

    it('accepts 10 keywords', async () => {
      expectOk(await logs(org, { q: Array.from({ length: 10 }, (_v, i) => `k${i}`).join(' ') }));
    });

    it('rejects more than 10 keywords with 400 E0000001', async () => {
      const text = 'Freeform search cannot contain more than 10 items. Please remove items from your search or use an advanced filter to query by specific fields.';
      expectError(await logs(org, { q: Array.from({ length: 11 }, (_v, i) => `k${i}`).join(' ') }), 400, 'E0000001', `Api validation failed: 'q': ${text}`, [`q: ${text}`]);
    });
  });

  describe('filter', () => {
    it('returns only the events that match the filter', async () => {
      pushEvent(org, { published: START - 2 * MINUTE });
      const risk = pushEvent(org, {
        published: START - MINUTE,
        fields: { eventType: 'security.risk.signal.consume', target: [{ id: 'rkpa9y5jpfe8l4ktr1d6', type: 'RiskProvider' }] },
      });
      const res = await logs(org, { filter: 'eventType eq "security.risk.signal.consume" and target.id eq "rkpa9y5jpfe8l4ktr1d6"' });
      expect(uuids(expectOk(res))).to.deep.equal([risk.uuid]);
    });

    it('rejects an unknown operator with Okta\'s documented body', async () => {
      const res = await logs(org, { filter: 'display_message eqq "Create okta user"' });
      expectError(
        res,
        400,
        'E0000053',
        'Invalid filter \'display_message eqq "Create okta user"\': Unrecognized attribute operator \'eqq\' at position 16. Expected: eq,co,sw,pr,gt,ge,lt,le',
        [],
      );
    });

    it('rejects an unknown field with "field is not valid"', async () => {
      expectError(await logs(org, { filter: 'some_invalid_field eq "x"' }), 400, 'E0000053', 'field is not valid: some_invalid_field', []);
    });

    it('rejects published in a filter', async () => {
      expectError(await logs(org, { filter: `published gt "${iso(START)}"` }), 400, 'E0000053', 'field is not valid: published', []);
    });

    it('rejects co on debugContext.debugData.url with 400 E0000031', async () => {
      expectError(
        await logs(org, { filter: 'debugContext.debugData.url co "/api"' }),
        400,
        'E0000031',
        'The supplied combination of operator and field is not currently supported. Operator: co, Field: debugContext.debugData.url',
        [],
      );
    });

    it('rejects an unbalanced parenthesis with 400 E0000053', async () => {
      expectError(
        await logs(org, { filter: '(eventType eq "a"' }),
        400,
        'E0000053',
        'Invalid filter \'(eventType eq "a"\': No closing parenthesis matching opening parenthesis at position 0',
      );
    });
  });
});
