import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatSummary } from '../../src/run/summary.ts';
import { call, startOrg, type TestOrg } from '../helpers/emulator.ts';
import { filesBelow, settingsFor, tmp, verifyAgainst } from './harness.ts';

/** A service app of another integration, linked to the default provider. */
async function linkDefaultProviderToAnotherClient(org: TestOrg): Promise<{ providerId: string; clientId: string }> {
  const [provider] = [...org.emulator.store.providers.values()];
  const clientId = '0oaOtherIntegration01';
  const now = new Date(org.clock.now()).toISOString();
  org.emulator.store.addApp({
    id: clientId,
    status: 'ACTIVE',
    created: now,
    lastUpdated: now,
    issuedAt: Math.floor(org.clock.now() / 1000),
    metadata: { client_name: 'Other vendor', client_uri: null, logo_uri: null, redirect_uris: [], response_types: ['token'], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', application_type: 'service', jwks: { keys: [] } },
  });
  const res = await call(org, 'PUT', `/api/v1/risk/providers/${provider!.id}`, { body: { name: 'Other vendor', clientId, action: 'log_only' } });
  expect(res.status).to.equal(200);
  return { providerId: provider!.id, clientId };
}

describe('verify against the emulator', function () {
  this.timeout(60_000);
  let org: TestOrg;

  beforeEach(async () => {
    org = await startOrg({ eventsRateLimit: 3 });
  });
  afterEach(async () => {
    await org.close();
  });

  it('passes the whole flow and leaves the org exactly as it found it', async () => {
    const before = org.emulator.store.snapshot();
    const settings = settingsFor(org);
    const result = await verifyAgainst(org, settings);
    expect(result.error).to.equal(undefined);
    expect(result.phases.map((p) => [p.name, p.passed])).to.deep.equal([
      ['Create a service app for the risk provider', true],
      ['Update the default risk provider', true],
      ['Test the integration', true],
      ['Confirm the risk events in the System Log', true],
      ['Tear down', true],
    ]);
    expect(result.exitCode).to.equal(0);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
    expect(org.emulator.store.signals.map((s) => [s.ip, s.riskLevel])).to.deep.equal([
      ['6.7.6.7', 'LOW'],
      ['1.1.1.1', 'HIGH'],
    ]);
    expect(result.cleanup?.complete).to.equal(true);
  });

  it('writes one JUnit file and one HTML report per run, titled with the org and the run', async () => {
    const settings = settingsFor(org);
    const result = await verifyAgainst(org, settings);
    expect(result.reports.map((r) => r.kind)).to.deep.equal(['junit', 'html']);
    const dir = join(settings.reportsDir, result.runId);
    expect(filesBelow(dir).map((f) => f.path.slice(dir.length + 1)).sort()).to.deep.equal(['junit.xml', 'report.html']);
    const html = filesBelow(dir).find((f) => f.path.endsWith('report.html'))!.text;
    expect(html).to.contain(`<title>Okta risk provider verification: ${new URL(org.url).host}, run ${result.runId}</title>`);
    expect(html).to.contain('<h1 class="verdict">PASSED</h1>');
    const junit = filesBelow(dir).find((f) => f.path.endsWith('junit.xml'))!.text;
    expect(junit).to.contain('Partner: API to send RiskEvents (Auth using access token)');
    expect(junit).to.match(/failures="0"/);
    expect(junit).to.not.match(/failures="[1-9]/);
  });

  it("writes htmlextra's page as htmlextra.html when asked, beside the self-contained report", async () => {
    const settings = settingsFor(org, { reporters: ['junit', 'html', 'htmlextra'] });
    const result = await verifyAgainst(org, settings);
    expect(result.reports.map((r) => r.kind)).to.deep.equal(['junit', 'htmlextra', 'html']);
    const dir = join(settings.reportsDir, result.runId);
    expect(filesBelow(dir).map((f) => f.path.slice(dir.length + 1)).sort()).to.deep.equal(['htmlextra.html', 'junit.xml', 'report.html']);
    expect(filesBelow(dir).find((f) => f.path.endsWith('htmlextra.html'))!.text).to.contain(`Okta risk provider verification: ${new URL(org.url).host}, run ${result.runId}`);
  });

  it('fails with exit code 1, clear failures and nothing created when the API token is wrong', async () => {
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { apiToken: '00wrongTokenWrongToken0000000000' }));
    expect(result.exitCode).to.equal(1);
    const [first] = result.phases;
    expect(first!.passed).to.equal(false);
    expect(first!.requests[0]).to.include({ name: 'Admin: API to create OAuth service client (for the provider)', status: 401 });
    expect(first!.requests[0]!.failures[0]).to.match(/^Status is 201 Created: expected response to have status code 201 but got 401/);
    expect(result.phases.map((p) => p.name)).to.deep.equal(['Create a service app for the risk provider']);
    expect(formatSummary(result)).to.contain('Hint: the org refused the API token (401). Check --api-token / OKTA_CLIENT_TOKEN');
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('fails with exit code 1 when the org refuses the client assertion, and still tears down', async () => {
    const before = org.emulator.store.snapshot();
    // The harness's clock runs two hours behind the org's: every assertion it signs has expired on arrival.
    const result = await verifyAgainst(org, settingsFor(org), { now: () => org.clock.now() - 2 * 3_600_000 });
    expect(result.exitCode).to.equal(1);
    const integration = result.phases.find((p) => p.name === 'Test the integration')!;
    expect(integration.passed).to.equal(false);
    expect(integration.requests[0]).to.include({ name: 'Partner: API to get the access token', status: 401 });
    expect(formatSummary(result)).to.contain("Hint: the org refused the client assertion (401). Check that this machine's clock is right");
    expect(result.phases.at(-1)).to.include({ name: 'Tear down', passed: true });
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('stops with exit code 2, naming the provider and its client, before creating anything when the chosen provider is linked elsewhere', async () => {
    const { providerId, clientId } = await linkDefaultProviderToAnotherClient(org);
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { providerId }));
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_PROVIDER_IN_USE');
    expect(result.error?.message).to.equal(`Risk provider "Other vendor" (${providerId}) is linked to client ${clientId}, another integration.`);
    expect(result.phases).to.deep.equal([]);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('borrows a linked provider with --force and restores its name, client and action', async () => {
    const { providerId } = await linkDefaultProviderToAnotherClient(org);
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { providerId, force: true }));
    expect(result.exitCode).to.equal(0);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('creates a provider for the run when none is free and a slot is open, and deletes it afterwards', async () => {
    await linkDefaultProviderToAnotherClient(org);
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org));
    expect(result.exitCode).to.equal(0);
    expect(result.cleanup?.actions.map((a) => [a.step, a.outcome])).to.deep.equal([['delete provider', 'done']]);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('stops with exit code 2 when every provider is linked and the org has no free slot', async () => {
    await linkDefaultProviderToAnotherClient(org);
    for (const n of [2, 3]) {
      const id = `0oaOtherIntegration0${n}`;
      org.emulator.store.addApp({ ...structuredClone(org.emulator.store.apps.get('0oaOtherIntegration01')!), id });
      const res = await call(org, 'POST', '/api/v1/risk/providers', { body: { name: `Other vendor ${n}`, clientId: id, action: 'log_only' } });
      expect(res.status).to.equal(201);
    }
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org));
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_NO_PROVIDER_SLOT');
    expect(result.error?.message).to.match(/^Every risk provider of the org is linked to another client and the org already has 3, Okta's maximum: "Other vendor" \(rkp\w+\) → 0oaOtherIntegration01;/);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('keeps the app, grant and provider with --keep, writes a 0600 Postman environment, and leaves a journal for cleanup', async () => {
    const cwd = tmp('keep');
    const result = await verifyAgainst(org, settingsFor(org, { keep: true }, cwd));
    expect(result.exitCode).to.equal(0);
    expect(result.kept).to.not.equal(undefined);
    expect(statSync(result.kept!.environmentFile).mode & 0o777).to.equal(0o600);
    expect(statSync(result.kept!.stateFile).mode & 0o777).to.equal(0o600);
    expect(org.emulator.store.apps.size).to.equal(1);
    expect(org.emulator.store.grants.size).to.equal(1);
    const [provider] = [...org.emulator.store.providers.values()];
    expect(provider).to.include({ name: 'Risk Provider Example', action: 'enforce_and_log', clientId: [...org.emulator.store.apps.keys()][0] });
  });

  it('ends with exit code 130 and tears down when interrupted', async () => {
    const before = org.emulator.store.snapshot();
    const controller = new AbortController();
    const result = await verifyAgainst(org, settingsFor(org), {
      signal: controller.signal,
      onPhase: (phase) => {
        if (phase === 'test-integration') controller.abort();
      },
    });
    expect(result.exitCode).to.equal(130);
    expect(result.phases.map((p) => p.name)).to.deep.equal(['Create a service app for the risk provider', 'Update the default risk provider', 'Tear down']);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
    expect(existsSync(join(settingsFor(org).workDir, result.runId))).to.equal(false);
  });

  it('mints a new assertion and token when the access token nears expiry during a long run', async () => {
    await org.close();
    org = await startOrg({ eventsRateLimit: 1 });
    const cwd = tmp('long');
    const events = Array.from({ length: 61 }, (_, i) => ({ subjects: [{ ip: `10.0.${Math.floor(i / 250)}.${i % 250}`, riskLevel: 'LOW' }] }));
    writeFileSync(join(cwd, 'events.json'), JSON.stringify(events));
    // Every wait for the rate limit also lets 25 minutes pass: the hour-long token runs out mid-run.
    const result = await verifyAgainst(org, settingsFor(org, { events: 'events.json' }, cwd), {
      sleep: async (ms) => org.clock.advance(ms + 25 * 60_000),
    });
    expect(result.exitCode).to.equal(0);
    const integration = result.phases.find((p) => p.name === 'Test the integration')!;
    expect(integration.requests.map((r) => r.name).filter((n) => n === 'Partner: API to get the access token')).to.have.length(2);
    expect(org.emulator.store.signals).to.have.length(61);
  });

  it('stops with exit code 2 before creating anything when an event expires before its timestamp', async () => {
    const cwd = tmp('cwd');
    writeFileSync(join(cwd, 'events.json'), JSON.stringify([{ timestamp: '2021-01-20T00:00:00.001Z', expiresAt: '2021-01-19T00:00:00.000Z', subjects: [{ ip: '1.1.1.1', riskLevel: 'HIGH' }] }]));
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { events: 'events.json' }, cwd));
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_EVENTS_INVALID');
    expect(result.error?.message).to.equal('--events: [0].expiresAt must be after timestamp.');
    expect(result.phases).to.deep.equal([]);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('stops with exit code 2 before creating anything when an IPv6 address has a zone index', async () => {
    const cwd = tmp('cwd');
    writeFileSync(join(cwd, 'events.json'), JSON.stringify([{ subjects: [{ ip: '1.1.1.1', riskLevel: 'HIGH' }, { ip: 'fe80::1%eth0', riskLevel: 'LOW' }] }]));
    const before = org.emulator.store.snapshot();
    const result = await verifyAgainst(org, settingsFor(org, { events: 'events.json' }, cwd));
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_EVENTS_INVALID');
    expect(result.error?.message).to.equal('--events: [0].subjects[1].ip must be an IPv4 or IPv6 address.');
    expect(result.phases).to.deep.equal([]);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });

  it('stops with exit code 2 before creating anything when the org cannot be reached', async () => {
    const settings = settingsFor(org);
    await org.close();
    const result = await verifyAgainst(org, settings);
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_ORG_UNREACHABLE');
    expect(result.error?.message).to.match(new RegExp(`^The org at ${org.url.replace(/[.]/g, '\\.')} cannot be reached: `));
    expect(result.error?.setting).to.equal('--org-url (OKTA_CLIENT_ORGURL)');
    org = await startOrg();
  });

  it('reports what a run that broke part way did, and leaves nothing behind', async () => {
    await org.close();
    org = await startOrg({ faults: { errorRate: 1, routes: ['POST /api/v1/risk/providers'] } });
    await linkDefaultProviderToAnotherClient(org);
    const before = org.emulator.store.snapshot();
    const settings = settingsFor(org);
    const result = await verifyAgainst(org, settings);
    expect(result.exitCode).to.equal(3);
    expect(result.error?.message).to.equal('Creating a risk provider for the run failed with HTTP 500: E0000009 Internal Server Error.');
    expect(result.phases.map((p) => [p.name, p.passed])).to.deep.equal([
      ['Create a service app for the risk provider', true],
      ['Tear down', true],
    ]);
    expect(result.reports.map((r) => r.kind)).to.deep.equal(['junit', 'html']);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
  });
});
