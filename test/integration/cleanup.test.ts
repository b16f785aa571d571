/**
 * `okta-risk cleanup` refusing a state file it cannot trust: corrupt, foreign, or another org's. Each refusal
 * is exit code 2 with a clear error, and nothing is done: the org keeps what a kept run left on it (which
 * cleanup would otherwise undo), and the file stays where it was, unchanged.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { journalPath, type JournalData } from '../../src/state/journal.ts';
import { runCleanup, type CliOutcome } from '../fixtures/cleanup-cli.ts';
import { startWatchedOrg, type WatchedOrg } from '../fixtures/watched-org.ts';
import { settingsFor, tmp, verifyAgainst } from './harness.ts';

type Snapshot = ReturnType<WatchedOrg['emulator']['store']['snapshot']>;

/** An org with a kept run on it: its app, grant and provider change, and the state file to undo them. */
async function orgWithKeptRun(): Promise<{ org: WatchedOrg; workDir: string; stateFile: string; before: Snapshot }> {
  const org = await startWatchedOrg();
  const before = org.emulator.store.snapshot();
  const settings = settingsFor(org, { keep: true });
  const result = await verifyAgainst(org, settings);
  expect(result.exitCode).to.equal(0);
  expect(result.kept?.stateFile).to.equal(journalPath(settings.workDir, org.url));
  return { org, workDir: settings.workDir, stateFile: result.kept!.stateFile, before };
}

describe('okta-risk cleanup with a state file it cannot trust', function () {
  this.timeout(20_000);
  let org: WatchedOrg;
  let journal: JournalData;
  let kept: Snapshot;

  before(async () => {
    let stateFile: string;
    ({ org, stateFile } = await orgWithKeptRun());
    journal = JSON.parse(readFileSync(stateFile, 'utf8')) as JournalData;
    kept = org.emulator.store.snapshot();
    expect(kept.apps).to.have.length(1);
  });
  after(async () => {
    // Unset when the kept run failed.
    await org?.close();
  });

  /** Runs cleanup on `text` written to a file of its own and checks that it refused and did nothing. */
  async function refuse(text: string, how: 'default' | '--state'): Promise<{ outcome: CliOutcome; file: string }> {
    const dir = tmp('bad-state');
    const file = how === 'default' ? journalPath(dir, org.url) : join(dir, 'state.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    const requestsBefore = org.exchanges.length;
    const outcome = await runCleanup(org, dir, how === '--state' ? ['--state', file] : []);
    expect(outcome.exitCode).to.equal(2);
    expect(outcome.out).to.equal('');
    // Not one call reached the org, and the file is as it was.
    expect(org.exchanges.length).to.equal(requestsBefore);
    expect(org.emulator.store.snapshot()).to.deep.equal(kept);
    expect(readFileSync(file, 'utf8')).to.equal(text);
    return { outcome, file };
  }

  it('refuses a corrupt state file (not JSON) with exit code 2, touching neither the org nor the file', async () => {
    const { outcome, file } = await refuse('{"tool": "okta-risk-harness", "client": {"status": "crea', 'default');
    expect(outcome.err).to.equal(
      `Error [ERR_STATE_INVALID]: The state file ${file} is not valid JSON. (setting: --state)\n` +
        'Fix: it was not written by okta-risk-harness or is damaged; inspect it, undo its changes by hand in the Admin Console, then delete it.\n',
    );
  });

  it("refuses a foreign state file (valid JSON, not this tool's journal) with exit code 2, touching neither the org nor the file", async () => {
    const foreign = JSON.stringify({ version: 4, terraform_version: '1.9.0', resources: [{ type: 'okta_app_oauth', id: journal.client?.status === 'created' ? journal.client.id : '' }] });
    const { outcome, file } = await refuse(foreign, '--state');
    expect(outcome.err).to.equal(
      `Error [ERR_STATE_INVALID]: The state file ${file} is not an okta-risk-harness journal: "tool" is not "okta-risk-harness"; "version" is not 1; "orgUrl" is missing; "kid", "providerName" or "runId" is missing. (setting: --state)\n` +
        'Fix: nothing was done; check the file (it may belong to another tool) and undo its changes by hand if needed.\n',
    );
  });

  it("refuses another org's state file with exit code 2, naming both orgs, touching neither the org nor the file", async () => {
    const other = JSON.stringify({ ...journal, orgUrl: 'https://dev-000000.okta.com' }, null, 2);
    const { outcome, file } = await refuse(other, '--state');
    expect(outcome.err).to.equal(
      `Error [ERR_STATE_INVALID]: The state file ${file} is for https://dev-000000.okta.com, not ${org.url}. (setting: --state)\n` +
        `Fix: run cleanup against https://dev-000000.okta.com, or pass the state file of ${org.url}.\n`,
    );
  });

  it('names --state in each refusal', async () => {
    for (const [text, how] of [
      ['not json', 'default'],
      ['{"tool": "something-else"}', '--state'],
      [JSON.stringify({ ...journal, orgUrl: 'https://dev-000000.okta.com' }), '--state'],
    ] as const) {
      const { outcome } = await refuse(text, how);
      expect(outcome.err).to.contain('--state');
    }
  });
});

describe('okta-risk cleanup with the state file of a kept run', function () {
  this.timeout(20_000);
  let org: WatchedOrg | undefined;

  after(async () => {
    await org?.close();
  });

  it('undoes the kept run and removes its state file (the control for the refusals: a trusted file for this org)', async () => {
    const kept = await orgWithKeptRun();
    org = kept.org;
    const journal = JSON.parse(readFileSync(kept.stateFile, 'utf8')) as JournalData;
    const appId = journal.client?.status === 'created' ? journal.client.id : '';
    const grantId = journal.grant?.status === 'created' ? journal.grant.id : '';
    const providerId = kept.before.providers[0]!.id;
    const outcome = await runCleanup(org, kept.workDir);
    expect(outcome).to.deep.equal({
      exitCode: 0,
      out: [
        `Cleaning up run ${journal.runId} on ${org.url} (state: ${kept.stateFile})`,
        `  restore provider: done (provider ${providerId} back to name "Default ", clientId null, action log_only)`,
        `  revoke grant: done (grant ${grantId} on ${appId})`,
        `  delete service app: done (app ${appId} deactivated and deleted)`,
        'Done: the org is as the run found it; the state file is removed.',
        '',
      ].join('\n'),
      err: '',
    });
    expect(existsSync(kept.stateFile)).to.equal(false);
    expect(org.emulator.store.snapshot()).to.deep.equal(kept.before);
  });
});
