/**
 * The contract's bounds (`src/okta/limits.ts`) as the emulator enforces them: stored strings, what the System
 * Log keeps of a request, the System Log's size and page size, and the replay stores' maxima. Each rule has a
 * positive and a negative test with exact status, code and text.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { recordEvent } from '../../src/emulator/log-writer.ts';
import type { EmulatorRequest } from '../../src/emulator/http.ts';
import { ReplayMarkers } from '../../src/emulator/replay-markers.ts';
import { metadataBytes } from '../../src/emulator/store.ts';
import {
  APPS_MAX,
  APPS_METADATA_BYTES_MAX,
  ASSERTION_JTIS_MAX,
  CLIENT_NAME_MAX,
  CONSUMED_SIGNALS_MAX,
  DPOP_JTIS_MAX,
  RECEIVED_SECURITY_EVENTS_MAX,
  CLIENT_URI_MAX,
  clipText,
  JWK_KID_MAX,
  JWK_RSA_MAX_BITS,
  LOG_OUTCOME_REASON_MAX,
  LOG_TEXT_MAX,
  LOG_URL_MAX,
  REQUEST_TARGET_MAX,
  SET_JTIS_MAX,
  SYSTEM_LOG_EVENTS_MAX,
  SYSTEM_LOG_PAGE_MAX_BYTES,
  USER_AGENT_MAX,
} from '../../src/okta/limits.ts';
import { clientCredentialsForm, createServiceClient, grant, mintAssertion, requestToken } from '../helpers/assertion.ts';
import { mintDpopProof } from '../helpers/dpop.ts';
import { call, putServiceApp, serviceClientBody, sharedOrg, START, startRiskEventsOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { mintSet, pushSet, registerProvider, startTransmitter, type Transmitter } from '../helpers/ssf.ts';

const SCOPE = 'okta.riskEvents.manage';
const TEMPORARILY_UNAVAILABLE = {
  error: 'temporarily_unavailable',
  error_description: 'The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server.',
};

function expectMetadataError(res: CallResult, description: string): void {
  expect(res.status).to.equal(400);
  expect(res.body).to.deep.equal({ error: 'invalid_client_metadata', error_description: description });
}

/** `n` characters that are each one code point but two UTF-16 units: a limit counted in units would refuse early. */
const astral = (n: number): string => '😀'.repeat(n);
const uri = (length: number): string => {
  const base = 'https://app.example.com/';
  return base + 'a'.repeat(length - base.length);
};

/** A request as the log writer sees it, for filling the System Log without HTTP. */
function fakeRequest(overrides: Partial<EmulatorRequest> = {}): EmulatorRequest {
  return {
    method: 'POST',
    path: '/api/v1/risk/events/ip',
    query: new URLSearchParams(),
    rawQuery: '',
    headers: { 'user-agent': 'test' },
    rawBody: Buffer.alloc(0),
    params: {},
    requestId: 'req1',
    ip: '127.0.0.1',
    ...overrides,
  };
}

/** Writes `n` events, `event 0` onwards, into the org's System Log without HTTP. */
function recordTestEvents(org: TestOrg, n: number, options: { request?: Partial<EmulatorRequest>; debugData?: Record<string, string> } = {}): void {
  const { request, debugData } = options;
  for (let i = 0; i < n; i++) recordEvent(org.emulator.org, fakeRequest(request), { eventType: 'test.event', displayMessage: `event ${i}`, ...(debugData ? { debugData } : {}) });
}

/** The path and query of the `rel="next"` link in a System Log answer's `link` header. */
const nextPath = (org: TestOrg, link: string): string => /<([^>]+)>; rel="next"/.exec(link)![1]!.slice(org.url.length);

/** `global.gc`, switched on for this process (V8 exposes it to a fresh context once the flag is set). */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Every string anywhere in `value`. */
function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) value.forEach((v) => stringsOf(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => stringsOf(v, into));
  return into;
}

describe('limits: clipText (what the System Log keeps of caller text)', () => {
  it('keeps text of at most the limit whole, counting code points', () => {
    expect(clipText(astral(10), 10)).to.equal(astral(10));
  });

  it('cuts longer text to the limit, ending in ..., without splitting a surrogate pair', () => {
    const clipped = clipText(astral(11), 10);
    expect(clipped).to.equal(`${astral(7)}...`);
    expect([...clipped]).to.have.length(10);
  });
});

describe('limits: stored strings of Dynamic Client Registration', () => {
  const org = sharedOrg();
  let rsa: JWK;

  before(async () => {
    rsa = await exportJWK((await generateKeyPair('RS256', { modulusLength: 2048 })).publicKey);
  });

  const serviceClient = (overrides: Record<string, unknown> = {}): Record<string, unknown> => serviceClientBody(rsa, overrides);
  const register = (body: unknown) => call(org, 'POST', '/oauth2/v1/clients', { body });

  it(`registers a client_name of exactly ${CLIENT_NAME_MAX} characters (code points)`, async () => {
    const res = await register(serviceClient({ client_name: astral(CLIENT_NAME_MAX) }));
    expect(res.status).to.equal(201);
    expect(res.body.client_name).to.equal(astral(CLIENT_NAME_MAX));
  });

  it(`refuses a client_name of ${CLIENT_NAME_MAX + 1} characters with invalid_client_metadata, storing nothing`, async () => {
    expectMetadataError(await register(serviceClient({ client_name: 'x'.repeat(CLIENT_NAME_MAX + 1) })), `\`client_name\`: The field must be at most ${CLIENT_NAME_MAX} characters.`);
    expect(org.emulator.store.apps.size).to.equal(0);
  });

  it(`registers a client_uri of exactly ${CLIENT_URI_MAX} characters`, async () => {
    const res = await register(serviceClient({ client_uri: uri(CLIENT_URI_MAX) }));
    expect(res.status).to.equal(201);
    expect(res.body.client_uri).to.equal(uri(CLIENT_URI_MAX));
  });

  it(`refuses a client_uri of ${CLIENT_URI_MAX + 1} characters`, async () => {
    expectMetadataError(await register(serviceClient({ client_uri: uri(CLIENT_URI_MAX + 1) })), `\`client_uri\`: The field must be at most ${CLIENT_URI_MAX} characters.`);
  });

  it(`registers a redirect URI of exactly ${CLIENT_URI_MAX} characters`, async () => {
    const res = await register({ client_name: 'Web client', redirect_uris: [uri(CLIENT_URI_MAX)] });
    expect(res.status).to.equal(201);
    expect(res.body.redirect_uris).to.deep.equal([uri(CLIENT_URI_MAX)]);
  });

  it(`refuses a redirect URI of ${CLIENT_URI_MAX + 1} characters without echoing it`, async () => {
    const res = await register({ client_name: 'Web client', redirect_uris: ['https://app.example.com/cb', uri(CLIENT_URI_MAX + 1)] });
    expectMetadataError(res, `\`redirect_uris\`: Each URI must be at most ${CLIENT_URI_MAX} characters.`);
  });

  it(`refuses a jwks_uri of ${CLIENT_URI_MAX + 1} characters`, async () => {
    const body = serviceClient({ jwks_uri: uri(CLIENT_URI_MAX + 1) });
    delete body.jwks;
    expectMetadataError(await register(body), `\`jwks_uri\`: The field must be at most ${CLIENT_URI_MAX} characters.`);
  });

  it(`registers a key whose kid has exactly ${JWK_KID_MAX} characters`, async () => {
    const res = await register(serviceClient({ jwks: { keys: [{ ...rsa, kid: 'k'.repeat(JWK_KID_MAX) }] } }));
    expect(res.status).to.equal(201);
  });

  /** An RSA public JWK whose modulus has exactly `bits` bits (odd, top bit set; the emulator checks no primality). */
  const rsaOfBits = (bits: number): Record<string, string> => {
    const n = Buffer.alloc(Math.ceil(bits / 8), 0xa5);
    n[0] = 1 << ((bits - 1) % 8) | (n[0]! & ((1 << ((bits - 1) % 8)) - 1));
    n[n.length - 1]! |= 1;
    return { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB', kid: 'big' };
  };

  it(`registers an RSA key of exactly ${JWK_RSA_MAX_BITS} bits`, async () => {
    expect((await register(serviceClient({ jwks: { keys: [rsaOfBits(JWK_RSA_MAX_BITS)] } }))).status).to.equal(201);
  });

  it(`refuses an RSA key of ${JWK_RSA_MAX_BITS + 1} bits`, async () => {
    const res = await register(serviceClient({ jwks: { keys: [rsaOfBits(JWK_RSA_MAX_BITS + 1)] } }));
    expectMetadataError(res, "`jwks`: RSA key length in the 'jwks' is more than '8,192' bits for the given key.");
  });

  it(`refuses a kid of ${JWK_KID_MAX + 1} characters with Okta's bad-kid text`, async () => {
    const res = await register(serviceClient({ jwks: { keys: [{ ...rsa, kid: 'k'.repeat(JWK_KID_MAX + 1) }] } }));
    expectMetadataError(res, "`jwks`: Invalid value specified for key 'kid' parameter");
  });
});

describe('limits: request data the System Log keeps (cut, never refused)', () => {
  const org = sharedOrg();

  const registerWith = (headers: Record<string, string>, path = '/oauth2/v1/clients') =>
    call(org, 'POST', path, { body: { client_name: 'Web client', redirect_uris: ['https://app.example.com/cb'] }, headers });
  const lastEvent = (): Record<string, any> => org.emulator.store.logs.at(-1)!.event;

  it(`keeps a User-Agent of ${USER_AGENT_MAX} characters whole`, async () => {
    const agent = 'a'.repeat(USER_AGENT_MAX);
    expect((await registerWith({ 'user-agent': agent })).status).to.equal(201);
    expect(lastEvent().client.userAgent.rawUserAgent).to.equal(agent);
  });

  it(`answers a request with a 12 KiB User-Agent normally and keeps its first ${USER_AGENT_MAX - 3} characters and ...`, async () => {
    const agent = 'a'.repeat(12 * 1024);
    expect((await registerWith({ 'user-agent': agent })).status).to.equal(201);
    expect(lastEvent().client.userAgent.rawUserAgent).to.equal(`${'a'.repeat(USER_AGENT_MAX - 3)}...`);
  });

  it(`keeps a request URL of at most ${LOG_URL_MAX} characters whole`, async () => {
    const path = `/oauth2/v1/clients?pad=${'p'.repeat(100)}`;
    expect((await registerWith({}, path)).status).to.equal(201);
    expect(lastEvent().debugContext.debugData.url).to.equal(path);
  });

  it(`cuts a longer request URL to ${LOG_URL_MAX} characters`, async () => {
    // Longer than the log keeps, within the request target the emulator serves at all.
    const path = `/oauth2/v1/clients?pad=${'p'.repeat(REQUEST_TARGET_MAX - 100)}`;
    expect(path.length).to.be.above(LOG_URL_MAX);
    expect((await registerWith({}, path)).status).to.equal(201);
    const url: string = lastEvent().debugContext.debugData.url;
    expect(url).to.have.length(LOG_URL_MAX);
    expect(url.endsWith('...')).to.equal(true);
    expect(url.startsWith('/oauth2/v1/clients?pad=ppp')).to.equal(true);
  });

  it(`keeps a debugData value of at most ${LOG_TEXT_MAX} characters whole, and cuts a longer one`, () => {
    recordEvent(org.emulator.org, fakeRequest(), { eventType: 'x', displayMessage: 'x', debugData: { short: 's'.repeat(LOG_TEXT_MAX), long: 'l'.repeat(LOG_TEXT_MAX + 1) } });
    const { debugData } = lastEvent().debugContext;
    expect(debugData.short).to.equal('s'.repeat(LOG_TEXT_MAX));
    expect(debugData.long).to.equal(`${'l'.repeat(LOG_TEXT_MAX - 3)}...`);
  });

  it(`keeps an outcome.reason of at most ${LOG_OUTCOME_REASON_MAX} characters whole, and cuts a longer one (LogOutcome.reason maxLength)`, () => {
    recordEvent(org.emulator.org, fakeRequest(), { eventType: 'x', displayMessage: 'x', outcome: { result: 'FAILURE', reason: 'r'.repeat(LOG_OUTCOME_REASON_MAX) } });
    expect(lastEvent().outcome.reason).to.equal('r'.repeat(LOG_OUTCOME_REASON_MAX));
    recordEvent(org.emulator.org, fakeRequest(), { eventType: 'x', displayMessage: 'x', outcome: { result: 'FAILURE', reason: 'r'.repeat(LOG_OUTCOME_REASON_MAX + 1) } });
    expect(lastEvent().outcome.reason).to.equal(`${'r'.repeat(LOG_OUTCOME_REASON_MAX - 3)}...`);
  });
});

describe('limits: the risk signal list of a full events call', () => {
  it(`accepts 20 × 50 subjects with long messages (202) and keeps the list cut to ${LOG_TEXT_MAX} characters`, async () => {
    const { org, postEvents } = await startRiskEventsOrg();
    try {
      const subjects = Array.from({ length: 50 }, (_, i) => ({ ip: `10.0.0.${i}`, riskLevel: 'HIGH', message: 'm'.repeat(512) }));
      const res = await postEvents(Array.from({ length: 20 }, () => ({ subjects })));
      expect(res.status).to.equal(202);
      expect(org.emulator.store.signals).to.have.length(1000);
      const list: string = (org.emulator.store.logs.at(-1)!.event as Record<string, any>).debugContext.debugData.riskSignalList;
      expect([...list]).to.have.length(LOG_TEXT_MAX);
      expect(list.startsWith('[{ip=10.0.0.0, riskLevel=HIGH, message=mmm')).to.equal(true);
    } finally {
      await org.close();
    }
  });
});

describe('limits: the System Log keeps at most SYSTEM_LOG_EVENTS_MAX events', () => {
  const org = sharedOrg();

  const record = (n: number): void => recordTestEvents(org, n);
  const seqs = (): number[] => org.emulator.store.logs.map((r) => r.seq);

  it(`keeps all of ${SYSTEM_LOG_EVENTS_MAX} events`, () => {
    record(SYSTEM_LOG_EVENTS_MAX);
    expect(org.emulator.store.logs).to.have.length(SYSTEM_LOG_EVENTS_MAX);
    expect(seqs()[0]).to.equal(1);
  });

  it('drops the oldest first beyond the maximum', () => {
    record(SYSTEM_LOG_EVENTS_MAX + 5);
    expect(org.emulator.store.logs).to.have.length(SYSTEM_LOG_EVENTS_MAX);
    expect(seqs()[0]).to.equal(6);
    expect(seqs().at(-1)).to.equal(SYSTEM_LOG_EVENTS_MAX + 5);
  });

  it('keeps events of the last 90 days', () => {
    record(1);
    org.clock.advance(90 * 24 * 3600 * 1000);
    record(1);
    expect(seqs()).to.deep.equal([1, 2]);
  });

  it('drops events past the 90-day retention when the next one is written', () => {
    record(2);
    org.clock.advance(90 * 24 * 3600 * 1000 + 1);
    record(1);
    expect(seqs()).to.deep.equal([3]);
  });

  it('stays bounded however large the requests: 12,000 events of 12 KiB agents, 8 KiB URLs and 32 KiB debugData', () => {
    const gc = collectGarbage();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 12_000; i++) {
      // Distinct strings each time: a log that kept any of them whole would hold 12,000 × 52 KiB, over 600 MB.
      const request = fakeRequest({ headers: { 'user-agent': `${i}`.padEnd(12 * 1024, 'u') }, path: '/api/v1/logs', rawQuery: `q=${`${i}`.padEnd(8 * 1024, 'x')}` });
      recordEvent(org.emulator.org, request, { eventType: 'test.event', displayMessage: `event ${i}`, debugData: { payload: `${i}`.padEnd(32 * 1024, 'd') } });
    }
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    const { logs } = org.emulator.store;
    expect(logs).to.have.length(SYSTEM_LOG_EVENTS_MAX);
    // Bounded: 10,000 events of about 9 KB each (the cut values, one byte a character), not the 600 MB the requests carried.
    expect(grownMb).to.be.below(120);
    // Structural bound on what the log holds: every kept string is within its limit, so the whole is too.
    const sample = [logs[0]!, logs[logs.length >> 1]!, logs.at(-1)!].map((r) => r.event);
    for (const event of sample) {
      const strings = stringsOf(event);
      expect(Math.max(...strings.map((s) => s.length))).to.be.at.most(LOG_TEXT_MAX);
      expect(strings.reduce((sum, s) => sum + s.length, 0)).to.be.below(LOG_TEXT_MAX + LOG_URL_MAX * 2 + USER_AGENT_MAX + 1024);
    }
  });

  it('lets a poller follow its next link across dropped events without seeing one twice', async () => {
    record(3);
    const first = await call(org, 'GET', '/api/v1/logs?limit=2');
    expect(first.body.map((e: { displayMessage: string }) => e.displayMessage)).to.deep.equal(['event 0', 'event 1']);
    record(SYSTEM_LOG_EVENTS_MAX); // events 1 to 3 are dropped
    const second = await call(org, 'GET', nextPath(org, first.headers.get('link')!));
    expect(second.status).to.equal(200);
    // Event 2 is gone with 0 and 1: the page goes on with the oldest event kept, then the next.
    expect(second.body.map((e: { uuid: string }) => e.uuid)).to.deep.equal(org.emulator.store.logs.slice(0, 2).map((r) => r.event.uuid));
  });
});

describe('limits: a System Log page stays within SYSTEM_LOG_PAGE_MAX_BYTES', () => {
  const org = sharedOrg();

  const record = (n: number, debugData: Record<string, string>): void => recordTestEvents(org, n, { debugData });
  const bigEvents = (n: number): void => record(n, { a: 'a'.repeat(LOG_TEXT_MAX), b: 'b'.repeat(LOG_TEXT_MAX), c: 'c'.repeat(LOG_TEXT_MAX) });

  it('answers limit=1000 small events in one page of 1000', async () => {
    record(1000, {});
    const res = await call(org, 'GET', '/api/v1/logs?limit=1000');
    expect(res.status).to.equal(200);
    expect(res.body).to.have.length(1000);
    expect(Buffer.byteLength(res.text)).to.be.at.most(SYSTEM_LOG_PAGE_MAX_BYTES);
  });

  it('cuts a page of 1000 large events at the byte limit, and its next link continues right after it', async () => {
    bigEvents(1000);
    const first = await call(org, 'GET', '/api/v1/logs?limit=1000');
    expect(first.status).to.equal(200);
    expect(Buffer.byteLength(first.text)).to.be.at.most(SYSTEM_LOG_PAGE_MAX_BYTES);
    expect(first.body.length).to.be.within(2, 999);
    const seen: string[] = first.body.map((e: { displayMessage: string }) => e.displayMessage);
    let link = first.headers.get('link')!;
    for (let pages = 0; pages < 20 && seen.length < 1000; pages++) {
      const page = await call(org, 'GET', nextPath(org, link));
      expect(Buffer.byteLength(page.text)).to.be.at.most(SYSTEM_LOG_PAGE_MAX_BYTES);
      seen.push(...page.body.map((e: { displayMessage: string }) => e.displayMessage));
      link = page.headers.get('link')!;
    }
    expect(seen).to.deep.equal(Array.from({ length: 1000 }, (_, i) => `event ${i}`));
  });

  it('gives a bounded query cut by size a next link, and its last page none', async () => {
    bigEvents(300);
    const until = new Date(org.clock.now() + 1000).toISOString();
    const first = await call(org, 'GET', `/api/v1/logs?limit=1000&until=${until}`);
    expect(first.body.length).to.be.below(300);
    let link = first.headers.get('link')!;
    let count = first.body.length;
    while (/rel="next"/.test(link)) {
      const page = await call(org, 'GET', nextPath(org, link));
      count += page.body.length;
      link = page.headers.get('link')!;
    }
    expect(count).to.equal(300);
  });
});

describe('limits: ReplayMarkers (the jti stores)', () => {
  it('remembers a marker until its forgetAt, and forgets it after', () => {
    const markers = new ReplayMarkers(10);
    expect(markers.remember('a', 2000, 0)).to.equal(true);
    markers.sweep(2000 - 1);
    expect(markers.has('a', 2000 - 1)).to.equal(true);
    markers.sweep(2000);
    expect([...markers.keys()]).to.deep.equal([]);
  });

  it('counts a marker past its forgetAt as gone before any sweep', () => {
    const markers = new ReplayMarkers(10);
    markers.remember('a', 2000, 0);
    expect(markers.has('a', 1999)).to.equal(true);
    expect(markers.has('a', 2000)).to.equal(false);
  });

  it('refuses a newcomer when full of live markers, forgetting none of them', () => {
    const markers = new ReplayMarkers(2);
    markers.remember('a', 5000, 0);
    markers.remember('b', 6000, 0);
    expect(markers.remember('c', 7000, 10)).to.equal(false);
    expect([...markers.keys()]).to.deep.equal(['a', 'b']);
  });

  it('has room again as soon as the oldest marker expires, even within the same second', () => {
    const markers = new ReplayMarkers(2);
    markers.remember('a', 5000, 4500);
    markers.remember('b', 6000, 4500);
    expect(markers.remember('c', 7000, 4999)).to.equal(false);
    expect(markers.remember('c', 7000, 5000)).to.equal(true);
    expect([...markers.keys()]).to.deep.equal(['b', 'c']);
  });
});

describe('limits: client-assertion jti store (ASSERTION_JTIS_MAX)', () => {
  const org = sharedOrg({ managementRateLimit: 1_000_000 });

  /** Fills the store with `n` live markers of another client, each valid for an hour. */
  const fill = (n: number): void => {
    const now = org.clock.now();
    for (let i = 0; i < n; i++) org.emulator.store.usedJtis.remember(`0oaother:${i}`, now + 3_600_000, now);
  };

  it('accepts the assertion that fills the store to its maximum', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    fill(ASSERTION_JTIS_MAX - 1);
    const res = await requestToken(org, clientCredentialsForm(await mintAssertion(org, client), SCOPE));
    expect(res.status).to.equal(200);
    expect(org.emulator.store.usedJtis.size).to.equal(ASSERTION_JTIS_MAX);
  });

  it('refuses an assertion with a jti when the store is full of live markers: 400 temporarily_unavailable, forgetting none', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    fill(ASSERTION_JTIS_MAX);
    const res = await requestToken(org, clientCredentialsForm(await mintAssertion(org, client), SCOPE));
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal(TEMPORARILY_UNAVAILABLE);
    expect(org.emulator.store.usedJtis.size).to.equal(ASSERTION_JTIS_MAX);
    expect(org.emulator.store.usedJtis.has('0oaother:0', org.clock.now())).to.equal(true);
  });

  it('still accepts an assertion without a jti when the store is full (nothing to remember)', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    fill(ASSERTION_JTIS_MAX);
    const assertion = await mintAssertion(org, client, (a) => void delete a.payload.jti);
    expect((await requestToken(org, clientCredentialsForm(assertion, SCOPE))).status).to.equal(200);
  });

  it('still refuses the replay of a remembered assertion when the store is full', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    fill(ASSERTION_JTIS_MAX - 1);
    const assertion = await mintAssertion(org, client);
    expect((await requestToken(org, clientCredentialsForm(assertion, SCOPE))).status).to.equal(200);
    const replay = await requestToken(org, clientCredentialsForm(assertion, SCOPE));
    expect(replay.status).to.equal(401);
    expect(replay.body).to.deep.equal({ error: 'invalid_client', error_description: 'The client_assertion token has already been used.' });
  });

  it('accepts a jti again as soon as its first assertion has expired, with no sweep in between', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    const first = await mintAssertion(org, client, (a) => void ((a.payload.jti = 'reused'), (a.payload.exp = START / 1000 + 60)));
    expect((await requestToken(org, clientCredentialsForm(first, SCOPE))).status).to.equal(200);
    org.clock.advance(60_000);
    const again = await mintAssertion(org, client, (a) => void (a.payload.jti = 'reused'));
    expect((await requestToken(org, clientCredentialsForm(again, SCOPE))).status).to.equal(200);
  });

  it('refuses the same jti a second before its first assertion expires', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    const first = await mintAssertion(org, client, (a) => void ((a.payload.jti = 'reused'), (a.payload.exp = START / 1000 + 60)));
    expect((await requestToken(org, clientCredentialsForm(first, SCOPE))).status).to.equal(200);
    org.clock.advance(59_000);
    const again = await mintAssertion(org, client, (a) => void (a.payload.jti = 'reused'));
    const res = await requestToken(org, clientCredentialsForm(again, SCOPE));
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ error: 'invalid_client', error_description: 'The client_assertion token has already been used.' });
  });

  it('accepts assertions with a jti again once the markers have expired', async () => {
    const client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
    fill(ASSERTION_JTIS_MAX);
    org.clock.advance(3_600_000);
    const res = await requestToken(org, clientCredentialsForm(await mintAssertion(org, client), SCOPE));
    expect(res.status).to.equal(200);
    expect(org.emulator.store.usedJtis.size).to.equal(1);
  });
});

describe('limits: SET jti store (SET_JTIS_MAX)', () => {
  const org = sharedOrg();
  let transmitter: Transmitter;

  before(async () => {
    transmitter = await startTransmitter();
  });
  after(() => transmitter.close());
  beforeEach(() => registerProvider(org, transmitter));

  const fill = (n: number): void => {
    const now = org.clock.now();
    for (let i = 0; i < n; i++) org.emulator.store.setJtis.remember(`other\n${i}`, now + 300_000, now);
  };

  it('accepts the SET that fills the store to its maximum (202, logged)', async () => {
    fill(SET_JTIS_MAX - 1);
    const res = await pushSet(org, await mintSet(org, transmitter));
    expect(res.status).to.equal(202);
    expect(org.emulator.store.securityEvents).to.have.length(1);
  });

  it('refuses a new SET when the store is full of live jtis: 400 invalid_request, nothing consumed', async () => {
    fill(SET_JTIS_MAX);
    const res = await pushSet(org, await mintSet(org, transmitter));
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ err: 'invalid_request', description: 'The org is holding too many recent security event tokens; send again later.' });
    expect(org.emulator.store.securityEvents).to.have.length(0);
  });

  it('accepts SETs again once the jtis have left their window', async () => {
    fill(SET_JTIS_MAX);
    org.clock.advance(300_000);
    expect((await pushSet(org, await mintSet(org, transmitter))).status).to.equal(202);
    expect(org.emulator.store.securityEvents).to.have.length(1);
  });
});

describe('limits: DPoP proof jti store (DPOP_JTIS_MAX)', () => {
  const org = sharedOrg({ managementRateLimit: 1_000_000 });
  let key: { privateKey: CryptoKey; publicJwk: JWK };

  before(async () => {
    const pair = await generateKeyPair('ES256');
    key = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
  });

  const fill = (n: number): void => {
    const now = org.clock.now();
    for (let i = 0; i < n; i++) org.emulator.store.dpopJtis.remember(`otherkey:${i}`, now + 300_000, now);
  };
  /** A bound client's token request with a nonce the org accepts (the challenge is taken first). */
  async function boundTokenRequest(): Promise<CallResult> {
    const client = await createServiceClient(org, { metadata: { dpop_bound_access_tokens: true } });
    grant(org, client.clientId, SCOPE);
    const url = `${org.url}/oauth2/v1/token`;
    const tokenCall = async (dpop: string) =>
      call(org, 'POST', '/oauth2/v1/token', { auth: null, body: new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE)), headers: { dpop } });
    const challenge = await tokenCall(await mintDpopProof({ ...key, alg: 'ES256', htm: 'POST', url, now: org.clock.now() }));
    const nonce = challenge.headers.get('dpop-nonce')!;
    return tokenCall(await mintDpopProof({ ...key, alg: 'ES256', htm: 'POST', url, now: org.clock.now(), nonce }));
  }

  it('accepts a proof while the store has room (200, token_type DPoP)', async () => {
    fill(DPOP_JTIS_MAX - 2); // the challenge's proof takes one place, the token's proof the last
    const res = await boundTokenRequest();
    expect(res.status).to.equal(200);
    expect(res.body.token_type).to.equal('DPoP');
    expect(org.emulator.store.dpopJtis.size).to.equal(DPOP_JTIS_MAX);
  });

  it('refuses a proof when the store is full of live jtis: 400 temporarily_unavailable, forgetting none', async () => {
    fill(DPOP_JTIS_MAX);
    const client = await createServiceClient(org, { metadata: { dpop_bound_access_tokens: true } });
    grant(org, client.clientId, SCOPE);
    const proof = await mintDpopProof({ ...key, alg: 'ES256', htm: 'POST', url: `${org.url}/oauth2/v1/token`, now: org.clock.now() });
    const res = await call(org, 'POST', '/oauth2/v1/token', { auth: null, body: new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE)), headers: { dpop: proof } });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal(TEMPORARILY_UNAVAILABLE);
    expect(org.emulator.store.dpopJtis.size).to.equal(DPOP_JTIS_MAX);
  });

  it('accepts proofs again once the stored jtis are past their five minutes', async () => {
    fill(DPOP_JTIS_MAX);
    org.clock.advance(300_000);
    expect((await boundTokenRequest()).status).to.equal(200);
  });
});

describe('limits: the lists tests count keep their newest entries', () => {
  const org = sharedOrg();

  const signal = (i: number) => ({ providerId: 'rkp1', ip: `10.0.${i >> 8}.${i & 255}`, riskLevel: 'HIGH' });
  const event = (i: number) => ({ providerId: 'sse1', jti: `j${i}`, eventType: 'x', userId: 'u' });

  it(`keeps all of ${CONSUMED_SIGNALS_MAX} signals`, () => {
    org.emulator.store.addSignals(Array.from({ length: CONSUMED_SIGNALS_MAX }, (_, i) => signal(i)));
    expect(org.emulator.store.signals).to.have.length(CONSUMED_SIGNALS_MAX);
    expect(org.emulator.store.signals[0]).to.deep.equal(signal(0));
  });

  it('drops the oldest signals first beyond the maximum', () => {
    org.emulator.store.addSignals(Array.from({ length: CONSUMED_SIGNALS_MAX + 3 }, (_, i) => signal(i)));
    expect(org.emulator.store.signals).to.have.length(CONSUMED_SIGNALS_MAX);
    expect(org.emulator.store.signals[0]).to.deep.equal(signal(3));
  });

  it(`keeps all of ${RECEIVED_SECURITY_EVENTS_MAX} SET events`, () => {
    for (let i = 0; i < RECEIVED_SECURITY_EVENTS_MAX; i++) org.emulator.store.addSecurityEvent(event(i));
    expect(org.emulator.store.securityEvents).to.have.length(RECEIVED_SECURITY_EVENTS_MAX);
    expect(org.emulator.store.securityEvents[0]).to.deep.equal(event(0));
  });

  it('drops the oldest SET events first beyond the maximum', () => {
    for (let i = 0; i < RECEIVED_SECURITY_EVENTS_MAX + 2; i++) org.emulator.store.addSecurityEvent(event(i));
    expect(org.emulator.store.securityEvents).to.have.length(RECEIVED_SECURITY_EVENTS_MAX);
    expect(org.emulator.store.securityEvents[0]).to.deep.equal(event(2));
  });
});

describe('limits: the apps an org holds', () => {
  const org = sharedOrg();
  const MiB = 1024 * 1024;
  const APPS_FULL = `The org has the emulator's maximum of 1,000 apps; delete one first.`;
  const METADATA_FULL = "The org's apps would hold more than the emulator's maximum of 16 MiB of client metadata; delete an app or send less metadata.";
  let rsa: JWK;

  before(async () => {
    rsa = await exportJWK((await generateKeyPair('RS256', { modulusLength: 2048 })).publicKey);
  });

  const store = () => org.emulator.store;
  const serviceClient = (overrides: Record<string, unknown> = {}): Record<string, unknown> => serviceClientBody(rsa, overrides);
  const register = (body: unknown = serviceClient()) => call(org, 'POST', '/oauth2/v1/clients', { body });
  const creates = () => store().logs.filter((l) => l.event.eventType === 'application.lifecycle.create').length;

  function expectApplicationRefused(res: CallResult, cause: string): void {
    expect({ status: res.status, errorCode: res.body?.errorCode, errorSummary: res.body?.errorSummary, errorCauses: res.body?.errorCauses }).to.deep.equal({
      status: 400,
      errorCode: 'E0000001',
      errorSummary: 'Api validation failed: application',
      errorCauses: [{ errorSummary: `application: ${cause}` }],
    });
  }

  /** `count` apps put straight into the store, as registration would have. */
  function putApps(count: number): void {
    for (let i = 0; i < count; i++) putServiceApp(org, `0oafill${i}`);
  }

  /** An app of exactly `bytes` of metadata, put straight into the store (padded through its client_name). */
  function putFiller(id: string, bytes: number): void {
    const base = metadataBytes(putServiceApp(org, id, { client_name: '' }).metadata);
    store().deleteApp(id);
    putServiceApp(org, id, { client_name: 'x'.repeat(bytes - base) });
  }

  /** Apps of about 1 MiB each until the org's apps hold exactly `total` bytes of metadata. */
  function fillTo(total: number): void {
    for (let i = 0; store().appMetadataBytes < total; i++) {
      const remaining = total - store().appMetadataBytes;
      putFiller(`0oabytes${i}`, remaining >= 2 * MiB ? MiB : remaining);
    }
    expect(store().appMetadataBytes).to.equal(total);
  }

  /** The bytes a registration of `body` stores, measured by registering and deleting it. */
  async function bytesOf(body: unknown): Promise<number> {
    const res = await register(body);
    const bytes = metadataBytes(store().apps.get(res.body.client_id)!.metadata);
    expect((await call(org, 'DELETE', `/oauth2/v1/clients/${res.body.client_id}`)).status).to.equal(204);
    return bytes;
  }

  it(`registers the ${APPS_MAX}th app (201)`, async () => {
    putApps(APPS_MAX - 1);
    const res = await register();
    expect(res.status).to.equal(201);
    expect(store().apps.size).to.equal(APPS_MAX);
  });

  it(`refuses app ${APPS_MAX + 1} with 400 E0000001 on application, storing and logging nothing`, async () => {
    putApps(APPS_MAX);
    const res = await register();
    expectApplicationRefused(res, APPS_FULL);
    expect(store().apps.size).to.equal(APPS_MAX);
    expect(creates()).to.equal(0);
  });

  it('registers again once an app is deleted', async () => {
    putApps(APPS_MAX);
    expect((await call(org, 'DELETE', '/oauth2/v1/clients/0oafill7')).status).to.equal(204);
    expect((await register()).status).to.equal(201);
  });

  it(`registers an app whose metadata brings the org to exactly ${APPS_METADATA_BYTES_MAX / MiB} MiB (201)`, async () => {
    fillTo(APPS_METADATA_BYTES_MAX - (await bytesOf(serviceClient())));
    const res = await register();
    expect(res.status).to.equal(201);
    expect(store().appMetadataBytes).to.equal(APPS_METADATA_BYTES_MAX);
  });

  it('refuses an app whose metadata is one byte past the maximum, storing and logging nothing', async () => {
    fillTo(APPS_METADATA_BYTES_MAX - (await bytesOf(serviceClient())) + 1);
    const apps = store().apps.size;
    const logged = creates();
    const res = await register();
    expectApplicationRefused(res, METADATA_FULL);
    expect(store().apps.size).to.equal(apps);
    expect(creates()).to.equal(logged);
  });

  it('counts metadata as UTF-8 bytes, not characters', async () => {
    const ascii = await bytesOf(serviceClient({ client_name: 'aa' }));
    expect(await bytesOf(serviceClient({ client_name: '😀' }))).to.equal(ascii + 2);
  });

  describe('on a full org', () => {
    let id: string;

    beforeEach(async () => {
      id = (await register()).body.client_id;
      // An Apps API replacement stores the app's consent method and DPoP binding, which registration leaves
      // implicit: settle them first, so that the replacements below change only the name's length.
      const app = (await call(org, 'GET', `/api/v1/apps/${id}`)).body;
      expect((await call(org, 'PUT', `/api/v1/apps/${id}`, { body: app })).status).to.equal(200);
      fillTo(APPS_METADATA_BYTES_MAX);
    });

    it('replaces a client through DCR with metadata of the same size (200)', async () => {
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${id}`, { body: serviceClient({ client_name: 'Risk Provider Elpmaxe' }) });
      expect(res.status).to.equal(200);
      expect(store().apps.get(id)!.metadata.client_name).to.equal('Risk Provider Elpmaxe');
    });

    it('refuses a DCR replacement that grows the metadata, leaving the app as it was', async () => {
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${id}`, { body: serviceClient({ client_name: 'Risk Provider Example 2' }) });
      expectApplicationRefused(res, METADATA_FULL);
      expect(store().apps.get(id)!.metadata.client_name).to.equal('Risk Provider Example');
      expect(store().appMetadataBytes).to.equal(APPS_METADATA_BYTES_MAX);
    });

    it('replaces an app through the Apps API with a label of the same length (200)', async () => {
      const app = (await call(org, 'GET', `/api/v1/apps/${id}`)).body;
      app.label = 'Risk Provider Elpmaxe';
      expect((await call(org, 'PUT', `/api/v1/apps/${id}`, { body: app })).status).to.equal(200);
    });

    it('refuses an Apps API replacement whose longer label grows the metadata, leaving the app as it was', async () => {
      const app = (await call(org, 'GET', `/api/v1/apps/${id}`)).body;
      app.label = 'Risk Provider Example 2';
      const res = await call(org, 'PUT', `/api/v1/apps/${id}`, { body: app });
      expectApplicationRefused(res, METADATA_FULL);
      expect((await call(org, 'GET', `/api/v1/apps/${id}`)).body.label).to.equal('Risk Provider Example');
    });

    it('registers again once a deleted app has freed its bytes', async () => {
      expect((await register()).status).to.equal(400);
      expect((await call(org, 'DELETE', `/oauth2/v1/clients/${id}`)).status).to.equal(204);
      expect((await register()).status).to.equal(201);
    });
  });

  it('holds no apps and no metadata bytes after a reset', () => {
    putApps(3);
    store().reset();
    expect({ apps: store().apps.size, bytes: store().appMetadataBytes }).to.deep.equal({ apps: 0, bytes: 0 });
  });
});
