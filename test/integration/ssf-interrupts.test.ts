/**
 * Interrupted `verify --flow ssf` runs: killed (SIGKILL) at every phase boundary and in the middle of the
 * requests that change the org, then `okta-risk cleanup`; and the real CLI under Ctrl-C (SIGINT), which must
 * delete the provider by itself. Each test ends with the org's Security Events Providers (and everything
 * else the snapshot holds) equal to what they were before the run.
 *
 * The org's clock stands still, a minute ahead of real time, while the children use their real clocks: a SET
 * is refused when its `iat` is after the org's time, and is taken when at most five minutes before it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ManualClock, type FaultOptions } from '../../src/emulator/index.ts';
import { journalPath, readJournal, type JournalData } from '../../src/state/journal.ts';
import { killChildren, PROJECT_ROOT, spawnChild, type RunningChild } from '../fixtures/child.ts';
import { runCleanup } from '../fixtures/cleanup-cli.ts';
import { startWatchedOrg, type WatchedOrg } from '../fixtures/watched-org.ts';
import { tmp } from './harness.ts';

const ORG_LEAD_MS = 60_000;
/** Long enough for a kill to land while the org holds the request. */
const HOLD_MS = 300;
const CREATE_ROUTE = 'POST /api/v1/security-events-providers';
const DELETE_ROUTE = 'DELETE /api/v1/security-events-providers/:securityEventProviderId';
const PUSH_ROUTE = 'POST /security/api/v1/security-events';

type Snapshot = ReturnType<WatchedOrg['emulator']['store']['snapshot']>;

function spawnSsfChild(org: WatchedOrg, workDir: string, killAt?: string): RunningChild {
  return spawnChild(['--import', 'tsx', 'test/fixtures/verify-child.ts'], {
    env: {
      VERIFY_CHILD_ORG_URL: org.url,
      VERIFY_CHILD_API_TOKEN: org.apiToken,
      VERIFY_CHILD_WORK_DIR: workDir,
      VERIFY_CHILD_FLOW: 'ssf',
      ...(killAt ? { VERIFY_CHILD_KILL_AT: killAt } : {}),
    },
  });
}

/** The real CLI entry, as a user starts it, the token from the environment. */
function spawnCliSsf(org: WatchedOrg, workDir: string): RunningChild {
  const bin = join(PROJECT_ROOT, 'bin', 'okta-risk.js');
  return spawnChild([bin, 'verify', '--flow', 'ssf', '--org-url', org.url, '--work-dir', workDir, '--reports-dir', join(workDir, 'reports'), '--reporters', 'junit'], {
    env: { OKTA_CLIENT_TOKEN: org.apiToken },
    cwd: workDir,
  });
}

const deleted = (id: string): string => `delete security events provider: done (security events provider ${id})`;
const alreadyGone = (id: string): string => `delete security events provider: already gone (security events provider ${id})`;

/** The one provider on the org: the run's. */
function onlyProvider(org: WatchedOrg): { id: string; issuer: string } {
  const providers = [...org.emulator.store.securityEventsProviders.values()];
  expect(providers).to.have.length(1);
  return { id: providers[0]!.id, issuer: providers[0]!.issuer };
}

/** Cleanup as a user runs it: exit 0, exactly these actions, the state file gone, the org as it was; a second finds nothing. */
async function expectCleanupUndoes(org: WatchedOrg, workDir: string, before: Snapshot, journal: JournalData, actions: string[]): Promise<void> {
  const statePath = journalPath(workDir, org.url);
  const first = await runCleanup(org, workDir);
  expect(first).to.deep.equal({
    exitCode: 0,
    out: [`Cleaning up run ${journal.runId} on ${org.url} (state: ${statePath})`, ...actions.map((a) => `  ${a}`), 'Done: the org is as the run found it; the state file is removed.', ''].join('\n'),
    err: '',
  });
  expect(existsSync(statePath)).to.equal(false);
  expect(org.emulator.store.snapshot()).to.deep.equal(before);
  const second = await runCleanup(org, workDir);
  expect(second).to.deep.equal({ exitCode: 0, out: `Nothing to clean up: no state file for ${org.url} (${statePath}).\n`, err: '' });
}

describe('interrupted verify --flow ssf runs', function () {
  this.timeout(60_000);
  let org: WatchedOrg | undefined;
  let child: RunningChild | undefined;

  async function setUp(faults?: FaultOptions): Promise<{ org: WatchedOrg; workDir: string; before: Snapshot }> {
    org = await startWatchedOrg({ clock: new ManualClock(Date.now() + ORG_LEAD_MS), faults });
    return { org, workDir: tmp('ssf-interrupt'), before: org.emulator.store.snapshot() };
  }

  afterEach(async () => {
    const running = child?.process;
    if (running && running.exitCode === null && running.signalCode === null) {
      running.kill('SIGKILL');
      await child!.exited();
    }
    child = undefined;
    await org?.close();
    org = undefined;
  });
  after(() => killChildren());

  describe('killed with SIGKILL at a phase boundary, then okta-risk cleanup', () => {
    it('leaves nothing to undo when killed at the register-provider boundary', async () => {
      const stage = await setUp();
      child = spawnSsfChild(stage.org, stage.workDir, 'register-provider');
      await child.output(/^AT register-provider$/m);
      child.process.kill('SIGKILL');
      expect(await child.exited()).to.deep.equal({ code: null, signal: 'SIGKILL' });
      const journal = readJournal(journalPath(stage.workDir, stage.org.url), stage.org.url);
      expect(journal.securityEventsProvider).to.equal(undefined);
      expect(stage.org.emulator.store.snapshot()).to.deep.equal(stage.before);
      await expectCleanupUndoes(stage.org, stage.workDir, stage.before, journal, ['nothing was left to undo']);
    });

    for (const phase of ['push-security-event-tokens', 'confirm-system-log', 'tear-down']) {
      it(`deletes the registered provider when verify is killed at the ${phase} boundary`, async () => {
        const stage = await setUp();
        child = spawnSsfChild(stage.org, stage.workDir, phase);
        await child.output(new RegExp(`^AT ${phase}$`, 'm'));
        child.process.kill('SIGKILL');
        expect(await child.exited()).to.deep.equal({ code: null, signal: 'SIGKILL' });
        const journal = readJournal(journalPath(stage.workDir, stage.org.url), stage.org.url);
        const provider = onlyProvider(stage.org);
        expect(journal.securityEventsProvider).to.deep.equal({ status: 'created', id: provider.id, issuer: provider.issuer });
        await expectCleanupUndoes(stage.org, stage.workDir, stage.before, journal, [deleted(provider.id)]);
      });
    }
  });

  describe('killed with SIGKILL in the middle of a request the org finishes after the kill, then okta-risk cleanup', () => {
    it('finds the provider the org created while the run waited for its id by the run’s issuer, and deletes it', async () => {
      const stage = await setUp({ latencyMs: HOLD_MS, routes: [CREATE_ROUTE] });
      child = spawnSsfChild(stage.org, stage.workDir);
      const held = await stage.org.arrival('POST', /^\/api\/v1\/security-events-providers$/);
      child.process.kill('SIGKILL');
      await child.exited();
      await stage.org.answered(held);
      expect(held.status).to.equal(200);
      const journal = readJournal(journalPath(stage.workDir, stage.org.url), stage.org.url);
      const provider = onlyProvider(stage.org);
      expect(journal.securityEventsProvider).to.deep.equal({ status: 'pending', issuer: provider.issuer });
      await expectCleanupUndoes(stage.org, stage.workDir, stage.before, journal, [deleted(provider.id)]);
    });

    it('counts a provider the org deleted after the kill as already gone', async () => {
      const stage = await setUp({ latencyMs: HOLD_MS, routes: [DELETE_ROUTE] });
      child = spawnSsfChild(stage.org, stage.workDir);
      const held = await stage.org.arrival('DELETE', /^\/api\/v1\/security-events-providers\/\w+$/);
      child.process.kill('SIGKILL');
      await child.exited();
      await stage.org.answered(held);
      expect(held.status).to.equal(204);
      const journal = readJournal(journalPath(stage.workDir, stage.org.url), stage.org.url);
      const entry = journal.securityEventsProvider;
      expect(entry?.status).to.equal('created');
      expect(stage.org.emulator.store.securityEventsProviders.size).to.equal(0);
      await expectCleanupUndoes(stage.org, stage.workDir, stage.before, journal, [alreadyGone(entry?.status === 'created' ? entry.id : '')]);
    });
  });

  describe('the CLI interrupted with Ctrl-C (SIGINT)', () => {
    it('deletes the provider by itself and exits 130, leaving no state file, when interrupted while pushing a SET', async () => {
      const stage = await setUp({ latencyMs: HOLD_MS, routes: [PUSH_ROUTE] });
      child = spawnCliSsf(stage.org, stage.workDir);
      const held = await stage.org.arrival('POST', /^\/security\/api\/v1\/security-events$/);
      child.process.kill('SIGINT');
      const exit = await child.exited();
      await stage.org.answered(held);
      expect(exit).to.deep.equal({ code: 130, signal: null });
      expect(existsSync(journalPath(stage.workDir, stage.org.url))).to.equal(false);
      expect(stage.org.emulator.store.snapshot()).to.deep.equal(stage.before);
    });
  });
});
