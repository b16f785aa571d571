import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ManualClock, seededRandom, type EmulatorOptions } from '../../src/emulator/index.ts';
import { generateProviderKeyPair, writeKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { EVENTS_PATH } from '../../src/send/events-api-transport.ts';
import { formatSendSummary } from '../../src/send/format-summary.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { call, putServiceApp, START, startTappedOrg, type TestOrg } from '../helpers/emulator.ts';
import { grant } from '../helpers/assertion.ts';
import { tmp } from '../integration/harness.ts';
import { ipOf, manualSendClock, ndjson, runSend, sendSettings, sendToEmulator } from './helpers.ts';

const EVENTS_ROUTE = `POST ${EVENTS_PATH}`;

/** Every accepted signal's ip, from the emulator's own record. */
function acceptedIps(emulator: Emulator): string[] {
  return emulator.store.signals.map((s) => s.ip);
}

function expectExactlyOnce(emulator: Emulator, n: number): void {
  const ips = acceptedIps(emulator);
  expect(ips).to.have.length(n);
  expect(new Set(ips).size).to.equal(n);
  for (let i = 0; i < n; i++) expect(ips.includes(ipOf(i)), ipOf(i)).to.equal(true);
}

describe('send to the embedded emulator', function () {
  this.timeout(60_000);

  for (const [n, calls] of [
    [1, 1],
    [1000, 1],
    [1001, 2],
    [50_000, 50],
  ] as const) {
    it(`delivers ${n} signals in exactly ${calls} call${calls === 1 ? '' : 's'}, each once`, async () => {
      const { result, emulator } = await sendToEmulator(ndjson(n));
      expect(result.exitCode, formatSendSummary(result)).to.equal(0);
      expect(result.delivery?.requests).to.equal(calls);
      expect(result.delivery?.acceptedCalls).to.equal(calls);
      expectExactlyOnce(emulator, n);
    });
  }

  it('sends every HIGH signal before the first MEDIUM and every MEDIUM before the first LOW', async () => {
    const { emulator } = await sendToEmulator(ndjson(3000));
    const levels = emulator.store.signals.map((s) => s.riskLevel);
    expect(levels.lastIndexOf('HIGH')).to.be.below(levels.indexOf('MEDIUM'));
    expect(levels.lastIndexOf('MEDIUM')).to.be.below(levels.indexOf('LOW'));
  });

  it('waits for the window from X-Rate-Limit-* headers, without a 429 or a fixed sleep', async () => {
    const { result, emulator } = await sendToEmulator(ndjson(5000), {}, { eventsRateLimit: 3 });
    expect(result.exitCode).to.equal(0);
    expect(result.delivery?.rateLimited).to.equal(0);
    expect(result.delivery?.requests).to.equal(5);
    // Three calls, then one wait to the reset (60 s after the first call, plus the margin), then two more.
    expect(result.delivery?.waitedMs).to.be.within(60_000, 61_000);
    expectExactlyOnce(emulator, 5000);
  });

  it('waits out a 429 mid-stream and resends the same call, nothing dropped or doubled', async () => {
    const faults = { routes: [EVENTS_ROUTE], rateLimitRate: 0.4, random: seededRandom(7) };
    const { result, emulator } = await sendToEmulator(ndjson(10_000), { faults });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.rateLimited).to.be.above(0);
    expect(result.delivery?.requests).to.equal(10 + result.delivery!.rateLimited);
    expectExactlyOnce(emulator, 10_000);
  });

  it('re-mints the token before it expires mid-stream (injected clock), with no call refused', async () => {
    // One signal a call and one call a minute: 70 calls span 69 minutes, past the 60-minute token.
    const { result, emulator } = await sendToEmulator(ndjson(70), {}, { eventsRateLimit: 1 }, { limits: { eventsPerCall: 1, subjectsPerEvent: 1 } });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.requests).to.equal(70);
    expect(result.tokensMinted).to.equal(2);
    const grants = emulator.store.logs.filter((l) => l.event.eventType === 'app.oauth2.token.grant.access_token');
    expect(grants).to.have.length(2);
    expectExactlyOnce(emulator, 70);
  });

  it('delivers exactly once through dropped answers and 500s, checking lost answers in the System Log', async () => {
    const faults = { routes: [EVENTS_ROUTE], dropRate: 0.25, errorRate: 0.2, random: seededRandom(3) };
    const { result, emulator } = await sendToEmulator(ndjson(20_000), { faults });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.adopted).to.be.above(0);
    expect(result.delivery?.resent).to.be.above(0);
    expectExactlyOnce(emulator, 20_000);
  });

  it('stops before the next call when interrupted, and says what was not sent', async () => {
    const controller = new AbortController();
    const { result, emulator } = await sendToEmulator(ndjson(3000), {}, {}, {
      signal: controller.signal,
      progress: { start() {}, stop() {}, settled: () => controller.abort() },
    });
    expect(result.exitCode).to.equal(130);
    expect(result.delivery?.acceptedSignals).to.equal(1000);
    expect(result.delivery?.notSentSignals).to.equal(2000);
    expect(emulator.store.signals).to.have.length(1000);
  });

  it('with --postman-data writes each planned call as an iteration of the riskEvents variable', async () => {
    const cwd = tmp('send-postman');
    const file = join(cwd, 'runner-data.json');
    await runSend(sendSettings({ dryRun: true, postmanData: file }, cwd), ndjson(1001));
    const data = JSON.parse(readFileSync(file, 'utf8')) as Array<{ riskEvents: string }>;
    expect(data).to.have.length(2);
    const bodies = data.map((d) => JSON.parse(d.riskEvents) as Array<{ subjects: unknown[] }>);
    expect(bodies.map((b) => [b.length, b.reduce((n, e) => n + e.subjects.length, 0)])).to.deep.equal([
      [20, 1000],
      [1, 1],
    ]);
  });

  it('leaves no spool file behind', async () => {
    const cwd = tmp('send-spool');
    await sendToEmulator(ndjson(10), {}, { workDir: join(cwd, '.runs') });
    expect(readdir(join(cwd, '.runs', 'send'))).to.deep.equal([]);
  });

  it('with --dry-run prints the planned calls and sends nothing', async () => {
    const { result, out } = await runSend(sendSettings({ dryRun: true }), ndjson(1001));
    expect(result.delivery).to.equal(undefined);
    expect(out.text).to.equal(
      'call 1: 20 events, 1000 signals (HIGH 333, MEDIUM 334, LOW 333)\ncall 2: 1 events, 1 signals (LOW 1)\n2 calls for 1001 signals (HIGH 333, MEDIUM 334, LOW 334); nothing was sent.\n',
    );
  });
});

function readdir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('send to an org with only the service app client id and key', function () {
  this.timeout(60_000);
  let org: TestOrg & { tap: { requests: string[]; responses: string[] } };
  let keyFile: string;
  let clientId: string;
  let keys: ProviderKeyPair;

  before(async () => {
    keys = await generateProviderKeyPair();
    keyFile = (await writeKeyPair(tmp('send-key'), keys)).privateJwkFile;
  });

  async function startLinkedOrg(options: EmulatorOptions = {}, link = true): Promise<void> {
    org = await startTappedOrg({ eventsRateLimit: 1000, ...options });
    clientId = '0oaSendProvider00001';
    putServiceApp(org, clientId, { jwks: { keys: [{ ...(keys.publicJwk as Record<string, unknown>), kty: 'RSA' }] } });
    grant(org, clientId, 'okta.riskEvents.manage');
    if (link) {
      const [provider] = [...org.emulator.store.providers.values()];
      const res = await call(org, 'PUT', `/api/v1/risk/providers/${provider!.id}`, { body: { name: 'Acme', clientId, action: 'enforce_and_log' } });
      expect(res.status).to.equal(200);
    }
    org.tap.requests.length = 0;
  }
  afterEach(async () => {
    await org?.close();
  });

  const settingsFor = (flags: Parameters<typeof sendSettings>[0] = {}) => sendSettings({ orgUrl: org.url, clientId, key: keyFile, ...flags });

  it('sends with no admin token: no request carries SSWS', async () => {
    await startLinkedOrg();
    const { result } = await runSend(settingsFor(), ndjson(1500), { clock: manualSendClock(org.clock) });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(org.emulator.store.signals).to.have.length(1500);
    expect(org.tap.requests.some((r) => r.includes('SSWS'))).to.equal(false);
  });

  it('prints neither the access token nor the client assertion', async () => {
    await startLinkedOrg();
    const { result, out, err } = await runSend(settingsFor(), ndjson(10), { clock: manualSendClock(org.clock) });
    const token = org.tap.responses.map((r) => /"access_token":"([^"]+)"/.exec(r)?.[1]).find(Boolean)!;
    const assertion = org.tap.requests.map((r) => /client_assertion=([^&\s]+)/.exec(r)?.[1]).find(Boolean)!;
    expect(token).to.have.length.above(100);
    expect(assertion).to.have.length.above(100);
    const printed = out.text + err.text + formatSendSummary(result);
    expect(printed).not.to.contain(token);
    expect(printed).not.to.contain(decodeURIComponent(assertion));
    expect(printed).not.to.contain(String(keys.privateJwk.d));
  });

  it('sets a lost answer aside instead of resending it, and writes its signals to a 0600 file', async () => {
    await startLinkedOrg({ faults: { routes: [EVENTS_ROUTE], dropRate: 0.3, random: seededRandom(11) } });
    const { result } = await runSend(settingsFor(), ndjson(10_000), { clock: manualSendClock(org.clock) });
    const delivery = result.delivery!;
    expect(result.exitCode).to.equal(3);
    expect(delivery.unconfirmedCalls).to.be.above(0);
    expect(delivery.acceptedSignals + delivery.unconfirmedSignals).to.equal(10_000);
    // The dropped calls were taken by the org: every signal arrived once, none twice.
    const ips = org.emulator.store.signals.map((s) => s.ip);
    expect(new Set(ips).size).to.equal(10_000);
    expect(ips).to.have.length(10_000);
    const file = result.unconfirmedFile!;
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(delivery.unconfirmedSignals);
    expect(formatSendSummary(result)).to.contain(`got no answer and were not sent again, to never send a signal twice.\n    They are in ${file}`);
  });

  it('refuses a client id the org does not know before sending anything (exit code 2)', async () => {
    await startLinkedOrg();
    const { result } = await runSend(settingsFor({ clientId: '0oaUnknownClient0001' }), ndjson(5), { clock: manualSendClock(org.clock) });
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_SETTING_INVALID');
    expect(result.error?.message).to.match(/^The org refused a token for --client-id 0oaUnknownClient0001: HTTP 401 invalid_client: /);
    expect(org.emulator.store.signals).to.have.length(0);
  });

  it("stops with Okta's error when no provider links the app (exit code 2)", async () => {
    await startLinkedOrg({}, false);
    const { result } = await runSend(settingsFor(), ndjson(2500), { clock: manualSendClock(org.clock) });
    expect(result.exitCode).to.equal(2);
    expect(result.delivery?.requests).to.equal(1);
    expect(result.delivery?.notSentSignals).to.equal(1500);
    expect(formatSendSummary(result)).to.contain('Stopped: the org refused a call with HTTP 403 E0000006 You do not have permission to perform the requested action');
  });
});
