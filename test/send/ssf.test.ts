import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import { ManualClock, seededRandom, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { generateProviderKeyPair, writeKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { formatSendSummary } from '../../src/send/format-summary.ts';
import { EMULATOR_SSF_USERS_MAX } from '../../src/send/send-signals.ts';
import { serveJwks, type JwksServer } from '../../src/ssf/jwks-server.ts';
import { call, START, startOrg, type TestOrg } from '../helpers/emulator.ts';
import { tmp } from '../integration/harness.ts';
import { ipOf, manualSendClock, ndjson, runSend, sendSettings } from './helpers.ts';

const SET_ROUTE = 'POST /security/api/v1/security-events';
const RECEIVE_EVENT = 'security.events.provider.receive_event';

interface Received {
  issuer: string;
  event: { current_level: string; reason_admin: { en: string }; subject: { user: { email: string } } };
}

/** Every SET event the org logged, in order, from the System Log's debug data. */
function received(emulator: Emulator): Received[] {
  return emulator.store.logs
    .filter((l) => l.event.eventType === RECEIVE_EVENT)
    .map((l) => JSON.parse((l.event as unknown as { debugContext: { debugData: { partnerRiskReportData: string } } }).debugContext.debugData.partnerRiskReportData) as Received);
}

/** The IP of each logged event (the transport writes it into reason_admin). */
function receivedIps(emulator: Emulator): string[] {
  return received(emulator).map((r) => /\(IP ([^)]+)\)$/.exec(r.event.reason_admin.en)?.[1] ?? r.event.reason_admin.en);
}

function expectExactlyOnce(emulator: Emulator, n: number): void {
  const ips = receivedIps(emulator);
  expect(ips).to.have.length(n);
  expect(new Set(ips).size).to.equal(n);
  expect(new Set(emulator.store.securityEvents.map((e) => e.jti)).size).to.equal(n);
}

async function sendToEmulator(input: string, emulator: EmulatorOptions = {}, flags: Parameters<typeof sendSettings>[0] = {}) {
  const clock = new ManualClock(START);
  let built: Emulator | undefined;
  const run = await runSend(sendSettings({ via: 'ssf', ...flags }), input, {
    clock: manualSendClock(clock),
    emulator: { clock, ...emulator },
    onEmulator: (e) => void (built = e),
  });
  return { ...run, emulator: built!, clock };
}

describe('send --via ssf to the embedded emulator', function () {
  this.timeout(60_000);

  it('sends one SET per signal, each logged once as security.events.provider.receive_event', async () => {
    const { result, emulator } = await sendToEmulator(ndjson(30));
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.transport).to.equal('POST /security/api/v1/security-events');
    expect(result.delivery?.requests).to.equal(30);
    expect(result.delivery?.acceptedCalls).to.equal(30);
    expectExactlyOnce(emulator, 30);
  });

  it('sends every HIGH signal before the first MEDIUM and every MEDIUM before the first LOW', async () => {
    const { emulator } = await sendToEmulator(ndjson(30));
    const levels = received(emulator).map((r) => r.event.current_level);
    expect(levels.lastIndexOf('high')).to.be.below(levels.indexOf('medium'));
    expect(levels.lastIndexOf('medium')).to.be.below(levels.indexOf('low'));
  });

  it('names the --subject-email user in every SET, made a user of the embedded org', async () => {
    const { result, emulator } = await sendToEmulator(ndjson(2), {}, { subjectEmail: 'jane.doe@example.com' });
    expect(result.exitCode).to.equal(0);
    expect(received(emulator).map((r) => r.event.subject.user.email)).to.deep.equal(['jane.doe@example.com', 'jane.doe@example.com']);
  });

  it('waits for the window from the X-Rate-Limit-* headers, without a 429', async () => {
    const { result, emulator } = await sendToEmulator(ndjson(5), {}, { eventsRateLimit: 2 });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.rateLimited).to.equal(0);
    expect(result.delivery?.waitedMs).to.be.within(120_000, 122_000);
    expectExactlyOnce(emulator, 5);
  });

  it('waits out 429s and resends the same SET, nothing dropped or doubled', async () => {
    const faults = { routes: [SET_ROUTE], rateLimitRate: 0.4, random: seededRandom(7) };
    const { result, emulator } = await sendToEmulator(ndjson(20), { faults });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.rateLimited).to.be.above(0);
    expectExactlyOnce(emulator, 20);
  });

  it('resends a SET after a 500, counted once', async () => {
    const faults = { routes: [SET_ROUTE], errorRate: 0.3, random: seededRandom(3) };
    const { result, emulator } = await sendToEmulator(ndjson(20), { faults });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.resent).to.be.above(0);
    expectExactlyOnce(emulator, 20);
  });

  it('adopts a SET whose answer was lost when the System Log shows it, without resending', async () => {
    const faults = { routes: [SET_ROUTE], dropRate: 0.3, random: seededRandom(5) };
    const { result, emulator } = await sendToEmulator(ndjson(20), { faults });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery?.adopted).to.be.above(0);
    expect(result.delivery?.requests).to.equal(20);
    expectExactlyOnce(emulator, 20);
  });

  it('gives no unknown-user reminder for the embedded emulator, whose user the run made', async () => {
    const { result } = await sendToEmulator(ndjson(1));
    expect(result.exitCode).to.equal(0);
    expect(formatSendSummary(result)).not.to.contain('Note: Okta accepts');
  });

  it('prints one line per SET on a dry run and sends nothing', async () => {
    const { result, out } = await sendToEmulator('{"ip":"1.1.1.1","riskLevel":"LOW"}\n{"ip":"2.2.2.2","riskLevel":"HIGH"}\n', {}, { dryRun: true });
    expect(result.exitCode).to.equal(0);
    expect(out.text).to.equal(
      'SET 1: user-risk-change high for admin@example.com (IP 2.2.2.2)\nSET 2: user-risk-change low for admin@example.com (IP 1.1.1.1)\n2 SETs for 2 signals (HIGH 1, MEDIUM 0, LOW 1); nothing was sent.\n',
    );
    expect(result.delivery).to.equal(undefined);
  });

  it('sends nothing and exits 2 when a signal has an expiresAt, naming its line and field', async () => {
    const { result } = await sendToEmulator(`${ndjson(1)}{"ip":"2.2.2.2","riskLevel":"LOW","expiresAt":"2026-12-05T00:00:00Z"}\n`);
    expect(result.exitCode).to.equal(2);
    expect(result.error?.message).to.contain('line 2, expiresAt: has no place in a Security Event Token with --via ssf');
    expect(result.delivery).to.equal(undefined);
  });

  it('names a JSON event\'s expiresAt by its index', async () => {
    const { result } = await sendToEmulator('[{"timestamp":"2026-11-28T11:00:00Z","expiresAt":"2026-11-28T13:00:00Z","subjects":[{"ip":"1.1.1.1","riskLevel":"HIGH"},{"ip":"2.2.2.2","riskLevel":"LOW"}]}]');
    expect(result.exitCode).to.equal(2);
    expect(result.input?.issues).to.deep.equal([{ line: 1, field: '[0].expiresAt', message: "has no place in a Security Event Token with --via ssf (Okta keeps a user's risk level until a later SET changes it); leave it out, or send with --via risk" }]);
  });

  it('skips a signal with an expiresAt under --skip-invalid and sends the rest', async () => {
    const { result, emulator } = await sendToEmulator(`${ndjson(2)}{"ip":"9.9.9.9","riskLevel":"LOW","expiresAt":"2026-12-05T00:00:00Z"}\n`, {}, { skipInvalid: true });
    expect(result.exitCode).to.equal(0);
    expect(result.input?.invalidRecords).to.equal(1);
    expectExactlyOnce(emulator, 2);
  });

  it('refuses an EC --key, naming the setting: Okta takes RS256 SETs only', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const file = join(tmp('ssf-ec'), 'ec.jwk.json');
    await writeFile(file, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
    const { result } = await sendToEmulator(ndjson(1), {}, { key: file });
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_KEY_INVALID');
    expect(result.error?.setting).to.equal('--key');
    expect(result.error?.message).to.equal(`The key file ${file} given by --key is an ES256 key; Okta's SSF receiver takes SETs signed with RS256 only.`);
  });

  it('puts no private key and no SET in its output', async () => {
    const keys = await generateProviderKeyPair();
    const file = (await writeKeyPair(tmp('ssf-key'), keys)).privateJwkFile;
    const { result, out, err } = await sendToEmulator(ndjson(3), {}, { key: file });
    const summary = formatSendSummary(result);
    for (const text of [out.text, err.text, summary]) {
      expect(text).not.to.contain(keys.privateJwk.d);
      expect(text).not.to.match(/eyJ[A-Za-z0-9_-]+\.eyJ/);
    }
  });
});

describe('send --via ssf with a user per signal (email)', function () {
  this.timeout(60_000);
  const line = (ip: string, email?: string) => `${JSON.stringify({ ip, riskLevel: 'HIGH', ...(email !== undefined && { email }) })}\n`;
  const emailsOf = (emulator: Emulator) => received(emulator).map((r) => r.event.subject.user.email);

  it('names each NDJSON line\'s user in its SET, every one made a user of the embedded org', async () => {
    const { result, emulator } = await sendToEmulator(line('10.0.0.1', 'jane.doe@example.com') + line('10.0.0.2', 'sam.roe@example.com'));
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(emailsOf(emulator)).to.deep.equal(['jane.doe@example.com', 'sam.roe@example.com']);
    expect(emulator.store.securityEvents).to.have.length(2);
  });

  it('takes an email column in CSV, an empty cell falling back to --subject-email', async () => {
    const csv = 'ip,riskLevel,email\n10.0.0.1,HIGH,jane.doe@example.com\n10.0.0.2,HIGH,\n';
    const { result, emulator } = await sendToEmulator(csv, {}, { subjectEmail: 'sam.roe@example.com' });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(emailsOf(emulator)).to.deep.equal(['jane.doe@example.com', 'sam.roe@example.com']);
  });

  it('gives a line without email the --subject-email user (default admin@example.com)', async () => {
    const { result, emulator } = await sendToEmulator(line('10.0.0.1') + line('10.0.0.2', 'jane.doe@example.com'));
    expect(result.exitCode).to.equal(0);
    expect(emailsOf(emulator)).to.deep.equal(['admin@example.com', 'jane.doe@example.com']);
  });

  it('sends nothing and exits 2 when a line\'s email is not a sign-in email, naming the line', async () => {
    const { result, emulator } = await sendToEmulator(line('10.0.0.1', 'jane.doe@example.com') + line('10.0.0.2', 'jane doe'));
    expect(result.exitCode).to.equal(2);
    expect(result.input?.issues).to.deep.equal([{ line: 2, field: 'email', message: 'must be a sign-in email such as jane.doe@example.com' }]);
    expect(emulator).to.equal(undefined);
  });

  it('prints each SET\'s own user on a dry run', async () => {
    const { result, out } = await sendToEmulator(line('10.0.0.1', 'jane.doe@example.com'), {}, { dryRun: true });
    expect(result.exitCode).to.equal(0);
    expect(out.text).to.include('SET 1: user-risk-change high for jane.doe@example.com (IP 10.0.0.1)\n');
  });

  it(`refuses more than ${EMULATOR_SSF_USERS_MAX} distinct users for the embedded emulator, sending nothing (exit 2)`, async () => {
    let input = '';
    for (let i = 0; i <= EMULATOR_SSF_USERS_MAX; i++) input += line(ipOf(i), `user${i}@example.com`);
    const { result, emulator } = await sendToEmulator(input);
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_EVENTS_INVALID');
    expect(result.error?.message).to.equal('The signals name more than 10,000 users; the embedded emulator makes at most that many users for a run, so nothing was sent.');
    expect(emulator).to.equal(undefined);
  });

  it(`takes exactly ${EMULATOR_SSF_USERS_MAX} distinct users for the embedded emulator`, async () => {
    let input = '';
    for (let i = 0; i < EMULATOR_SSF_USERS_MAX; i++) input += line(ipOf(i), `user${i}@example.com`);
    const { result } = await sendToEmulator(input, {}, { dryRun: true });
    expect(result.exitCode).to.equal(0);
    expect(result.plan?.calls).to.equal(EMULATOR_SSF_USERS_MAX);
  });

  it('refuses an email on a line sent with --via risk, naming the line and the flag', async () => {
    const clock = new ManualClock(START);
    const { result } = await runSend(sendSettings({ dryRun: true }), line('10.0.0.1', 'jane.doe@example.com'), { clock: manualSendClock(clock) });
    expect(result.exitCode).to.equal(2);
    expect(result.input?.issues).to.deep.equal([
      { line: 1, field: 'email', message: 'applies to --via ssf only (a Security Event Token is about a user; the Risk Events API reports IPs); leave it out, or send with --via ssf' },
    ]);
  });

  it('refuses a CSV email column with --via risk at the header', async () => {
    const clock = new ManualClock(START);
    const { result } = await runSend(sendSettings({ dryRun: true }), 'ip,riskLevel,email\n10.0.0.1,HIGH,jane.doe@example.com\n', { clock: manualSendClock(clock) });
    expect(result.exitCode).to.equal(2);
    expect(result.input?.issues).to.deep.equal([
      { line: 1, field: 'header "email"', message: 'applies to --via ssf only (a Security Event Token is about a user; the Risk Events API reports IPs); drop the column, or send with --via ssf' },
    ]);
  });
});

describe('send --via ssf to an org', function () {
  this.timeout(60_000);
  let org: TestOrg;
  let keys: ProviderKeyPair;
  let keyFile: string;
  let jwks: JwksServer;
  let issuer: string;

  async function startSsfOrg(options: EmulatorOptions = {}): Promise<void> {
    org = await startOrg(options);
    jwks = await serveJwks({ keys: [keys.publicJwk] });
    issuer = jwks.url;
    const created = await call(org, 'POST', '/api/v1/security-events-providers', { body: { name: 'Transmitter', type: 'test', settings: { issuer, jwks_url: jwks.jwksUrl } } });
    expect(created.status).to.equal(200);
  }

  before(async () => {
    keys = await generateProviderKeyPair();
    keyFile = (await writeKeyPair(tmp('ssf-org-key'), keys)).privateJwkFile;
  });
  afterEach(async () => {
    await jwks?.close();
    await org?.close();
  });

  const send = (input: string, flags: Parameters<typeof sendSettings>[0] = {}) =>
    runSend(sendSettings({ via: 'ssf', orgUrl: org.url, issuer, key: keyFile, subjectEmail: 'admin@example.com', ...flags }), input, { clock: manualSendClock(org.clock) });

  it('sends to an org with no --subject-email when every line names its user', async () => {
    await startSsfOrg({ users: ['jane.doe@example.com'] });
    const { result } = await send(`${JSON.stringify({ ip: '10.0.0.1', riskLevel: 'LOW', email: 'jane.doe@example.com' })}\n`, { subjectEmail: undefined });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(org.emulator.store.securityEvents).to.have.length(1);
  });

  it('sends nothing to an org with no --subject-email when a line names no user, and says how to fix it', async () => {
    await startSsfOrg();
    const input = `${JSON.stringify({ ip: '10.0.0.1', riskLevel: 'LOW', email: 'admin@example.com' })}\n${JSON.stringify({ ip: '10.0.0.2', riskLevel: 'LOW' })}\n`;
    const { result } = await send(input, { subjectEmail: undefined });
    expect(result.exitCode).to.equal(2);
    expect(result.input?.issues).to.deep.equal([
      { line: 2, field: 'email', message: 'is required: nothing else names the user of this signal; give each line an email, or pass --subject-email for the lines without one' },
    ]);
    expect(org.emulator.store.securityEvents).to.have.length(0);
  });

  it('refuses a JSON array to an org with no --subject-email: its events have no place for a user', async () => {
    await startSsfOrg();
    const { result } = await send(JSON.stringify([{ subjects: [{ ip: '10.0.0.1', riskLevel: 'LOW' }] }]), { subjectEmail: undefined });
    expect(result.exitCode).to.equal(2);
    expect(result.input?.issues).to.deep.equal([
      { line: 1, field: '[0]', message: 'names no user: a JSON array of risk events has no place for one, so --via ssf to an org needs --subject-email (or NDJSON or CSV with an email field)' },
    ]);
  });

  it('sends with only the issuer and the key: no token is asked for', async () => {
    await startSsfOrg();
    const { result } = await send(ndjson(3));
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.tokensMinted).to.equal(undefined);
    expectExactlyOnce(org.emulator, 3);
  });

  it('reminds, after SETs an org took, that Okta drops a SET about an unknown user without a word', async () => {
    await startSsfOrg();
    const { result } = await send(ndjson(1), { subjectEmail: 'nobody@example.com' });
    expect(result.exitCode).to.equal(0);
    expect(received(org.emulator)).to.have.length(0);
    expect(formatSendSummary(result)).to.contain('Note: Okta accepts (202) and silently drops a SET whose subject email is no user of the org');
  });

  it('resends a SET whose answer was lost with the same jti; the org takes it once and it counts once', async () => {
    // Drop the first answer only (the third draw of the first request: 429, 500, then drop): the org took
    // the SET, and the resend is a replay it ignores.
    let draws = 0;
    await startSsfOrg({ faults: { routes: [SET_ROUTE], dropRate: 0.5, random: () => (++draws === 3 ? 0 : 0.99) } });
    const { result } = await send(ndjson(1));
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.delivery).to.include({ requests: 2, replayResent: 1, acceptedCalls: 1, acceptedSignals: 1, unconfirmedCalls: 0 });
    expectExactlyOnce(org.emulator, 1);
    expect(formatSendSummary(result)).to.contain('Replays: 1 SET whose answer was lost sent again with the same jti');
  });

  it('sets a SET aside when its resend is lost too, and exits 3 naming the file', async () => {
    await startSsfOrg({ faults: { routes: [SET_ROUTE], dropRate: 1 } });
    const { result } = await send(ndjson(1));
    expect(result.exitCode).to.equal(3);
    expect(result.delivery).to.include({ requests: 2, replayResent: 1, unconfirmedCalls: 1, acceptedCalls: 0 });
    expect(readFileSync(result.unconfirmedFile!, 'utf8')).to.equal(`${JSON.stringify({ ip: ipOf(0), riskLevel: 'LOW', message: 'signal 0' })}\n`);
    expect(statSync(result.unconfirmedFile!).mode & 0o777).to.equal(0o600);
    expect(formatSendSummary(result)).to.contain("look for them in the org's System Log (security.events.provider.receive_event)");
    // The org took the first attempt and ignored the replay: never twice.
    expectExactlyOnce(org.emulator, 1);
  });

  it('stops at the first SET on invalid_issuer, exits 2 and says to check --issuer', async () => {
    await startSsfOrg();
    const { result } = await send(ndjson(3), { issuer: 'https://someone-else.example.com' });
    expect(result.exitCode).to.equal(2);
    expect(result.delivery).to.include({ requests: 1, notSentSignals: 2, rejectedSignals: 1 });
    const summary = formatSendSummary(result);
    expect(summary).to.contain('Stopped: the org refused a SET with HTTP 400 invalid_issuer No security events provider is registered with this issuer.');
    expect(summary).to.contain('Fix: check that --issuer is exactly the settings.issuer');
    expect(received(org.emulator)).to.have.length(0);
  });

  it('stops on authentication_failed when --key is not in the provider\'s JWKS, and says to check --key', async () => {
    await startSsfOrg();
    const other = await generateProviderKeyPair();
    const otherFile = (await writeKeyPair(tmp('ssf-other-key'), other)).privateJwkFile;
    const { result } = await send(ndjson(2), { key: otherFile });
    expect(result.exitCode).to.equal(2);
    const summary = formatSendSummary(result);
    expect(summary).to.contain(`HTTP 400 authentication_failed Could not verify message signature, Verification failed for kid=${other.kid}`);
    expect(summary).to.contain('Fix: check that --key is the private half of a key');
  });

  it('goes on after a SET the org refuses for its content (invalid_request), and exits 1', async () => {
    await startSsfOrg();
    // The org's clock runs ten minutes ahead of the sender's: every SET's iat is too old, one by one.
    const { result } = await runSend(sendSettings({ via: 'ssf', orgUrl: org.url, issuer, key: keyFile, subjectEmail: 'admin@example.com' }), ndjson(2), {
      clock: { now: () => org.clock.now() - 600_000, sleep: async () => {} },
    });
    expect(result.exitCode).to.equal(1);
    expect(result.delivery).to.include({ requests: 2, rejectedSignals: 2 });
    expect(result.delivery?.stopped).to.equal(undefined);
    expect(formatSendSummary(result)).to.contain("Rejected: SET 1 (1 signal): HTTP 400 invalid_request Failed claim validation in security event token. 'iat': The token is issued more than five minutes in the past");
  });
});
