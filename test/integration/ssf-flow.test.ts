import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateProviderKeyPair } from '../../src/keys/index.ts';
import { resolveVerifySettings } from '../../src/config/settings.ts';
import { formatSummary } from '../../src/run/summary.ts';
import { verify } from '../../src/run/verify.ts';
import { USER_RISK_CHANGE } from '../../src/ssf/signal-events.ts';
import { serveJwks } from '../../src/ssf/jwks-server.ts';
import { SSF_GUIDE_STEPS } from '../../src/ssf/guide-steps.ts';
import { startOrg, type TestOrg } from '../helpers/emulator.ts';
import { filesBelow, settingsFor, sink, tmp, verifyAgainst } from './harness.ts';

describe('verify --flow ssf against the emulator', function () {
  this.timeout(60_000);
  let org: TestOrg;

  beforeEach(async () => {
    org = await startOrg();
  });
  afterEach(async () => {
    await org.close();
  });

  it('passes every folder of the SSF collection through Newman and deletes the provider', async () => {
    const before = org.emulator.store.securityEventsProviders.size;
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
    expect(result.error).to.equal(undefined);
    expect(result.phases.map((p) => [p.name, p.passed, p.requests.length])).to.deep.equal([
      ['Register the security events provider', true, 3],
      ['Push security event tokens', true, 2],
      ['Confirm the security events in the System Log', true, 1],
      ['Tear down', true, 1],
    ]);
    expect(result.exitCode).to.equal(0);
    expect(result.cleanup?.complete).to.equal(true);
    expect(org.emulator.store.securityEventsProviders.size).to.equal(before);
  });

  it('lands each pushed SET in the System Log as security.events.provider.receive_event for the subject', async () => {
    await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
    const received = org.emulator.store.securityEvents;
    expect(received.map((e) => e.eventType)).to.deep.equal([
      'https://schemas.okta.com/secevent/okta/event-type/user-risk-change',
      'https://schemas.okta.com/secevent/okta/event-type/user-risk-change',
    ]);
    expect(new Set(received.map((e) => e.jti)).size).to.equal(2);
  });

  it('fails the System Log check, exit code 1, when the subject is no user of the org (Okta drops the events)', async () => {
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', subjectEmail: 'nobody@example.com' }));
    expect(result.exitCode).to.equal(1);
    const log = result.phases.find((p) => p.name === 'Confirm the security events in the System Log');
    expect(log?.passed).to.equal(false);
    // The poll asks again while the count is short; the last answer carries the assertions.
    expect(log?.requests.at(-1)?.failures[0]).to.equal('The logged event count equals expectedEventCount: expected +0 to equal 2');
    expect(org.emulator.store.securityEventsProviders.size).to.equal(0);
  });

  it('pushes the SETs of an --events file, each event as written, in one Newman run, and confirms them in the System Log', async () => {
    const cwd = tmp('ssf-events');
    const subject = { user: { format: 'email', email: 'admin@example.com' } };
    const types = [
      'https://schemas.okta.com/secevent/okta/event-type/device-risk-change',
      'https://schemas.okta.com/secevent/okta/event-type/ip-change',
      'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
    ];
    writeFileSync(
      join(cwd, 'sets.json'),
      JSON.stringify([
        { [types[0]!]: { subject: { ...subject, device: { format: 'opaque', id: 'laptop-1' } }, current_level: 'low', previous_level: 'none' } },
        { [types[1]!]: { subject, current_ip_address: '203.0.113.9', previous_ip_address: '198.51.100.4' }, [types[2]!]: { subject } },
      ]),
    );
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', events: 'sets.json' }, cwd));
    expect({ exitCode: result.exitCode, newmanRuns: result.newmanRuns, received: org.emulator.store.securityEvents.map((e) => e.eventType) }).to.deep.equal({ exitCode: 0, newmanRuns: 1, received: types });
  });

  it('says on stderr, before it pushes, which risk levels an --events file leaves the subject at on an org that outlives the run', async () => {
    const cwd = tmp('ssf-events-left');
    writeFileSync(join(cwd, 'sets.json'), JSON.stringify([{ [USER_RISK_CHANGE]: { subject: { user: { format: 'email', email: 'admin@example.com' } }, current_level: 'high', previous_level: 'none' } }]));
    const err = sink();
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', events: 'sets.json' }, cwd), { streams: { out: sink(), err } });
    expect({ exitCode: result.exitCode, notes: err.text.split('\n').filter((line) => line.startsWith('note: ')) }).to.deep.equal({
      exitCode: 0,
      notes: [`note: the --events file leaves admin@example.com at risk high (user-risk-change) on ${org.url}: Okta keeps a level until a later SET changes it, and verify does not set it back.`],
    });
  });

  it('says nothing of levels left behind against the embedded emulator, which is gone with the run', async () => {
    const cwd = tmp('ssf-events-embedded');
    writeFileSync(join(cwd, 'sets.json'), JSON.stringify([{ [USER_RISK_CHANGE]: { subject: { user: { format: 'email', email: 'admin@example.com' } }, current_level: 'high', previous_level: 'none' } }]));
    const settings = resolveVerifySettings({ flags: { flow: 'ssf', emulator: true, events: 'sets.json', reporters: ['junit'], reportsDir: join(cwd, 'reports'), workDir: join(cwd, '.runs') }, env: {}, cwd });
    const err = sink();
    const result = await verify({ settings, streams: { out: sink(), err } });
    expect({ exitCode: result.exitCode, notes: err.text.split('\n').filter((line) => line.startsWith('note: ')) }).to.deep.equal({ exitCode: 0, notes: [] });
  });

  it('stops with exit code 2 and ERR_EVENTS_INVALID for an --events file the contract refuses, before anything is created', async () => {
    const cwd = tmp('ssf-events-bad');
    writeFileSync(join(cwd, 'sets.json'), JSON.stringify([{ 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change': { subject: { user: { format: 'email', email: 'admin@example.com' } }, current_level: 'severe', previous_level: 'none' } }]));
    const requestsBefore = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', events: 'sets.json' }, cwd));
    expect({ exitCode: result.exitCode, code: result.error?.code, message: result.error?.message, newmanRuns: result.newmanRuns, org: org.emulator.store.snapshot() }).to.deep.equal({
      exitCode: 2,
      code: 'ERR_EVENTS_INVALID',
      message: '--events: [0] events.mediationUserRiskChangeEvent.currentRiskLevel: Not one of the allowed values.',
      newmanRuns: 0,
      org: requestsBefore,
    });
  });

  it('reports the SSF folders in the summary and one JUnit file', async () => {
    const cwd = tmp('ssf');
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }, cwd));
    const summary = formatSummary(result, cwd);
    expect(summary).to.include('PASS  Push security event tokens  (2 requests, 4/4 assertions)');
    expect(summary).to.include('Teardown: the org is as it was found.');
    const junit = readFileSync(result.reports.find((r) => r.kind === 'junit')!.path, 'utf8');
    expect(junit).to.include('Transmitter: API to push a Security Event Token');
    expect(filesBelow(join(cwd, '.runs', 'state'))).to.deep.equal([]);
  });

  it('lays out report.html as the SSF flow’s steps, under its own heading', async () => {
    const cwd = tmp('ssf-html');
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }, cwd));
    const html = readFileSync(result.reports.find((r) => r.kind === 'html')!.path, 'utf8');
    expect(html).to.include('<title>Okta SSF receiver verification: ');
    expect(html).to.include('Okta Shared Signals (SSF) receiver integration · okta-risk verify');
    for (const step of SSF_GUIDE_STEPS) expect(html, step.title).to.include(step.title);
    expect(html).to.not.include('Create a service app');
  });

  it('keeps the private key and every SET out of every artifact', async () => {
    const cwd = tmp('ssf-secrets');
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }, cwd));
    expect(result.exitCode).to.equal(0);
    const sets: string[] = [];
    // The SETs the org received are in its request log only as what was pushed: rebuild their signatures' form.
    for (const file of filesBelow(cwd)) {
      expect(file.text, file.path).to.not.match(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{40,}/);
      expect(file.text, file.path).to.not.include(org.apiToken);
      expect(file.text, file.path).to.not.match(/"d"\s*:/);
      sets.push(file.path);
    }
    expect(sets.length).to.be.above(0);
  });
});

describe('verify --flow ssf against an org without the SSF receiver', function () {
  this.timeout(60_000);
  let org: TestOrg;

  beforeEach(async () => {
    org = await startOrg({ ssfReceiver: false });
  });
  afterEach(async () => {
    await org.close();
  });

  it('stops with exit code 2 and ERR_SSF_NOT_SERVED, naming --flow, before anything is created', async () => {
    const before = org.emulator.store.snapshot();
    const cwd = tmp('ssf-not-served');
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }, cwd));
    expect({ exitCode: result.exitCode, code: result.error?.code, setting: result.error?.setting, message: result.error?.message }).to.deep.equal({
      exitCode: 2,
      code: 'ERR_SSF_NOT_SERVED',
      setting: '--flow',
      message: `The org at ${org.url} does not serve the Security Events Providers API (GET /api/v1/security-events-providers answered HTTP 404); nothing was created.`,
    });
    expect(result.phases).to.deep.equal([]);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
    expect(filesBelow(join(cwd, '.runs', 'state'))).to.deep.equal([]);
  });
});

describe('verify --flow ssf with --jwks-url and --key (the real-org path, on loopback)', function () {
  this.timeout(60_000);
  let org: TestOrg;

  beforeEach(async () => {
    org = await startOrg();
  });
  afterEach(async () => {
    await org.close();
  });

  async function keyFileIn(cwd: string) {
    const pair = await generateProviderKeyPair();
    const keyFile = join(cwd, 'transmitter.private.jwk.json');
    writeFileSync(keyFile, JSON.stringify(pair.privateJwk), { mode: 0o600 });
    return { pair, keyFile };
  }

  it('registers the provider with that JWKS URL, which the org fetches the key from, and passes', async () => {
    const cwd = tmp('ssf-jwks-url');
    const { pair, keyFile } = await keyFileIn(cwd);
    const jwks = await serveJwks({ keys: [pair.publicJwk] });
    try {
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', jwksUrl: jwks.jwksUrl, key: keyFile }, cwd));
      // The org logged the provider's create with its settings as the target's details.
      const created = org.emulator.store.logs.map((r) => r.event).find((e) => e.eventType === 'security.events.provider.create');
      const registered = (created?.target as Array<{ detailEntry: { jwks_url?: string } }> | undefined)?.[0]?.detailEntry.jwks_url;
      expect({ exitCode: result.exitCode, error: result.error?.code, registered }).to.deep.equal({ exitCode: 0, error: undefined, registered: jwks.jwksUrl });
      // Once by the runner's check, at least once by the org for the first SET.
      expect(jwks.fetches).to.be.at.least(2);
    } finally {
      await jwks.close();
    }
  });

  it('stops with exit code 2, naming --key, for an EC --key (Okta takes RS256 SETs only), before anything is sent', async () => {
    const cwd = tmp('ssf-ec-key');
    const keyFile = join(cwd, 'ec.jwk.json');
    writeFileSync(keyFile, JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })), { mode: 0o600 });
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', key: keyFile }, cwd));
    expect({ exitCode: result.exitCode, code: result.error?.code, setting: result.error?.setting, message: result.error?.message, fix: result.error?.fix }).to.deep.equal({
      exitCode: 2,
      code: 'ERR_KEY_INVALID',
      setting: '--key',
      message: `The key file ${keyFile} given by --key is an ES256 key; Okta's SSF receiver takes SETs signed with RS256 only.`,
      fix: "give --key an RSA private key (2048 bits or more) whose JWK says alg RS256 or no alg, and publish its public JWK in the provider's JWKS.",
    });
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('stops with exit code 2, naming --jwks-url, when that URL does not publish the key, before anything is created', async () => {
    const cwd = tmp('ssf-jwks-url-other');
    const { keyFile } = await keyFileIn(cwd);
    const other = await generateProviderKeyPair();
    const jwks = await serveJwks({ keys: [other.publicJwk] });
    try {
      const before = org.emulator.store.snapshot();
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', jwksUrl: jwks.jwksUrl, key: keyFile }, cwd));
      expect({ exitCode: result.exitCode, code: result.error?.code, setting: result.error?.setting }).to.deep.equal({ exitCode: 2, code: 'ERR_SETTING_INVALID', setting: '--jwks-url' });
      expect(result.error?.message).to.match(/^--jwks-url http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json has no key with kid /);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    } finally {
      await jwks.close();
    }
  });
});
