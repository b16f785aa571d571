/**
 * The environment `okta-risk env --flow ssf` writes, imported from its file as Newman imports one, runs the SSF
 * receiver collection end to end against the emulator on loopback: register, push the one SET it holds,
 * find it in the System Log, delete the provider. The JWKS is served on loopback; the clock is the emulator's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import newman, { type NewmanRunSummary } from 'newman';
import { SSF_COLLECTION_FILE, SSF_VARIABLE_NAMES } from '../../src/collection/ssf-collection.ts';
import { EMULATOR_SUBJECT_EMAIL } from '../../src/config/settings.ts';
import { prepareSsfEnvironment } from '../../src/environment/prepare-ssf-environment.ts';
import { writeSecretFile } from '../../src/environment/write-secret-file.ts';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { serveJwks, type JwksServer } from '../../src/ssf/jwks-server.ts';
import { startOrg, type TestOrg } from '../helpers/emulator.ts';
import { tmp } from './harness.ts';

function runNewman(environmentFile: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run({ collection: SSF_COLLECTION_FILE, environment: environmentFile, reporters: [] }, (error, summary) => (error ? reject(error) : resolve(summary)));
  });
}

describe('the environment of env --flow ssf, run by Newman', function () {
  this.timeout(60_000);
  let org: TestOrg;
  let keys: ProviderKeyPair;
  let jwks: JwksServer;

  before(async () => {
    keys = await generateProviderKeyPair();
    jwks = await serveJwks({ keys: [keys.publicJwk] });
  });
  after(async () => {
    await jwks.close();
  });
  beforeEach(async () => {
    org = await startOrg();
  });
  afterEach(async () => {
    await org.close();
  });

  /** The file env writes, for this org, on its clock. */
  async function environmentFile(subjectEmail = EMULATOR_SUBJECT_EMAIL): Promise<string> {
    const { environment } = await prepareSsfEnvironment({
      orgUrl: org.url,
      apiToken: org.apiToken,
      providerName: 'okta-risk-harness SSF transmitter',
      jwksUrl: jwks.jwksUrl,
      keys,
      keyFile: 'private.jwk.json',
      subjectEmail,
      logPollAttempts: 1,
      now: () => org.clock.now(),
    });
    const file = join(tmp('env-ssf-newman'), 'okta.ssf.postman_environment.json');
    await writeSecretFile(file, JSON.stringify(environment, null, 2) + '\n');
    return file;
  }

  it('holds exactly the variables the SSF collection uses, as Newman reads them from the file', async () => {
    const summary = await runNewman(await environmentFile());
    const seen = (summary.environment.toJSON() as { values: Array<{ key: string }> }).values.map((v) => v.key);
    expect(seen).to.deep.equal([...SSF_VARIABLE_NAMES]);
  });

  it('passes every request of the collection, with no failure', async () => {
    const summary = await runNewman(await environmentFile());
    expect(summary.run.failures.map((f) => `${f.source?.name}: ${f.error.message}`)).to.deep.equal([]);
    expect(summary.run.executions.map((e) => [e.item.name, e.response?.code])).to.deep.equal([
      ['Admin: API to create a Security Events Provider', 200],
      ['Admin: API to get all Security Events Providers', 200],
      ['Admin: API to activate the Security Events Provider', 200],
      ['Transmitter: API to push a Security Event Token', 202],
      ['Admin: API to find the security events in the System Log', 200],
      ['Admin: delete the Security Events Provider', 204],
    ]);
    expect(org.emulator.store.securityEventsProviders.size).to.equal(0);
  });

  it('lands its one SET as one receive event about the subject', async () => {
    await runNewman(await environmentFile());
    expect(org.emulator.store.securityEvents.map((e) => e.eventType)).to.deep.equal(['https://schemas.okta.com/secevent/okta/event-type/user-risk-change']);
  });

  it('fails the System Log check when the subject is no user of the org (the test can fail)', async () => {
    const summary = await runNewman(await environmentFile('nobody@example.com'));
    expect(summary.run.failures.map((f) => f.error.message)).to.include('expected +0 to equal 1');
  });

  it('is the file env wrote: Newman reads the SET from it unchanged', async () => {
    const file = await environmentFile();
    const written = (JSON.parse(readFileSync(file, 'utf8')) as { values: Array<{ key: string; value: string }> }).values.find((v) => v.key === 'securityEventToken')!.value;
    const summary = await runNewman(file);
    const push = summary.run.executions.find((e) => e.item.name === 'Transmitter: API to push a Security Event Token')!;
    expect(push.request.body?.raw).to.equal(written);
  });
});
