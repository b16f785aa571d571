/**
 * Interrupted runs: verify in a child process, killed (SIGKILL) at every phase boundary and in the middle of
 * the requests that change the org, then `okta-risk cleanup`; and the real CLI under Ctrl-C (SIGINT), which
 * must tear down by itself. Each test ends with the org's apps, grants and providers equal, field for field,
 * to what they were before the run.
 *
 * The org's clock stands still, a minute ahead of real time, while the children use their real clocks:
 * - still, because a PUT stamps a provider's `lastUpdated` with the org's time, so on a moving clock a provider
 *   restored to its settings differs from its snapshot in that stamp alone (a real org does the same);
 * - ahead, because the org refuses a client assertion whose `iat` is after its time (no tolerance), and the
 *   children mint theirs at real time after the org has started.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ManualClock, type FaultOptions } from '../../src/emulator/index.ts';
import { journalPath, readJournal, type JournalData } from '../../src/state/journal.ts';
import { killChildren, PROJECT_ROOT, spawnChild, type RunningChild } from '../fixtures/child.ts';
import { runCleanup } from '../fixtures/cleanup-cli.ts';
import { startWatchedOrg, type Exchange, type WatchedOrg } from '../fixtures/watched-org.ts';
import { tmp } from './harness.ts';

const ORG_LEAD_MS = 60_000;
/** Long enough for a kill to land while the org holds the request; short enough to keep the file fast. */
const HOLD_MS = 300;

type Snapshot = ReturnType<WatchedOrg['emulator']['store']['snapshot']>;

interface Ids {
  appId: string;
  grantId: string;
  providerId: string;
}

const restored = (ids: Ids): string => `restore provider: done (provider ${ids.providerId} back to name "Default ", clientId null, action log_only)`;
const revoked = (ids: Ids): string => `revoke grant: done (grant ${ids.grantId} on ${ids.appId})`;
const revokedAlready = (ids: Ids): string => `revoke grant: already gone (grant ${ids.grantId} on ${ids.appId})`;
const deleted = (ids: Ids): string => `delete service app: done (app ${ids.appId} deactivated and deleted)`;

function startOrgAheadOfUs(faults?: FaultOptions): Promise<WatchedOrg> {
  return startWatchedOrg({ clock: new ManualClock(Date.now() + ORG_LEAD_MS), faults });
}

/** The test driver's verify run; `killAt` holds it at that phase boundary. */
function spawnVerifyChild(org: WatchedOrg, workDir: string, killAt?: string): RunningChild {
  return spawnChild(['--import', 'tsx', 'test/fixtures/verify-child.ts'], {
    env: { VERIFY_CHILD_ORG_URL: org.url, VERIFY_CHILD_API_TOKEN: org.apiToken, VERIFY_CHILD_WORK_DIR: workDir, ...(killAt ? { VERIFY_CHILD_KILL_AT: killAt } : {}) },
  });
}

/**
 * The real CLI entry, as a user starts it: the token from the environment (so it stays out of `ps`), from a
 * folder of its own (so no `.env` is read).
 */
function spawnCliVerify(org: WatchedOrg, workDir: string): RunningChild {
  const bin = join(PROJECT_ROOT, 'bin', 'okta-risk.js');
  return spawnChild([bin, 'verify', '--org-url', org.url, '--work-dir', workDir, '--reports-dir', join(workDir, 'reports'), '--reporters', 'junit'], {
    env: { OKTA_CLIENT_TOKEN: org.apiToken },
    cwd: workDir,
  });
}

/** The one app and grant on the org (the run's), and the provider the run borrowed. */
function idsOn(org: WatchedOrg, providerId: string): Ids {
  const apps = [...org.emulator.store.apps.keys()];
  const grants = [...org.emulator.store.grants.keys()];
  expect(apps).to.have.length(1);
  expect(grants.length).to.be.at.most(1);
  return { appId: apps[0]!, grantId: grants[0] ?? '', providerId };
}

/**
 * Runs cleanup as a user would and checks everything it promises: exit code 0, exactly these actions printed,
 * the state file gone, the org as it was; then a second cleanup finds nothing to do.
 */
async function expectCleanupUndoes(org: WatchedOrg, workDir: string, before: Snapshot, journal: JournalData, actions: string[]): Promise<void> {
  const statePath = journalPath(workDir, org.url);
  const first = await runCleanup(org, workDir);
  expect(first.err).to.equal('');
  expect(first.out).to.equal(
    [`Cleaning up run ${journal.runId} on ${org.url} (state: ${statePath})`, ...actions.map((a) => `  ${a}`), 'Done: the org is as the run found it; the state file is removed.', ''].join('\n'),
  );
  expect(first.exitCode).to.equal(0);
  expect(existsSync(statePath)).to.equal(false);
  expect(org.emulator.store.snapshot()).to.deep.equal(before);

  const second = await runCleanup(org, workDir);
  expect(second).to.deep.equal({ exitCode: 0, out: `Nothing to clean up: no state file for ${org.url} (${statePath}).\n`, err: '' });
}

const PREVIOUS_DEFAULT = { name: 'Default ', clientId: 'null', action: 'log_only' };

/** A run brought to the point a test checks: the org, the child (killed or ended), the request it held. */
interface Stage {
  org: WatchedOrg;
  workDir: string;
  before: Snapshot;
  providerId: string;
  child: RunningChild;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  held?: Exchange;
}

/** What a stage started, so it can be stopped whatever became of its test. */
interface StageResources {
  org?: WatchedOrg;
  child?: RunningChild;
}

/**
 * Children spend a second or more starting, nearly all of it CPU; so while a test checks its stage, the next
 * test's stage is already being brought up (two at a time at most). Every kill is made in the same tick as the
 * event that calls for it (a line of output, a request reaching the org), so the overlap cannot move a kill point.
 */
const planned: Array<{ key: string; bringUp: (resources: StageResources) => Promise<Stage> }> = [];
const started = new Map<string, { ready: Promise<Stage>; resources: StageResources }>();

function plan(key: string, bringUp: (resources: StageResources) => Promise<Stage>): void {
  planned.push({ key, bringUp });
}

function start(key: string): { ready: Promise<Stage>; resources: StageResources } {
  let stage = started.get(key);
  if (!stage) {
    const resources: StageResources = {};
    const ready = planned.find((p) => p.key === key)!.bringUp(resources);
    // Awaited by its test; until then a failure must not count as unhandled.
    ready.catch(() => {});
    stage = { ready, resources };
    started.set(key, stage);
  }
  return stage;
}

/** Stops what a stage started: its child (if still running) and its org. */
async function tearDownStage(resources: StageResources): Promise<void> {
  const child = resources.child?.process;
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await resources.child!.exited();
  }
  await resources.org?.close();
}

async function setUp(resources: StageResources, faults?: FaultOptions): Promise<Omit<Stage, 'child' | 'exit'>> {
  const org = (resources.org = await startOrgAheadOfUs(faults));
  const before = org.emulator.store.snapshot();
  return { org, workDir: tmp('interrupt'), before, providerId: before.providers[0]!.id };
}

function planBoundaryKill(phase: string): void {
  plan(`kill at ${phase}`, async (resources) => {
    const base = await setUp(resources);
    const child = (resources.child = spawnVerifyChild(base.org, base.workDir, phase));
    await child.output(new RegExp(`^AT ${phase}$`, 'm'));
    child.process.kill('SIGKILL');
    return { ...base, child, exit: await child.exited() };
  });
}

function planMidRequestKill(route: string, method: string, path: RegExp): void {
  plan(`kill in ${route}`, async (resources) => {
    const base = await setUp(resources, { latencyMs: HOLD_MS, routes: [route] });
    const child = (resources.child = spawnVerifyChild(base.org, base.workDir));
    const held = await base.org.arrival(method, path);
    child.process.kill('SIGKILL');
    const exit = await child.exited();
    // The org acts on the request after its client is gone.
    await base.org.answered(held);
    return { ...base, child, exit, held };
  });
}

function planInterrupt(route: string, method: string, path: RegExp, presses: 1 | 2): void {
  plan(`${presses} SIGINT in ${route}`, async (resources) => {
    const base = await setUp(resources, { latencyMs: HOLD_MS, routes: [route] });
    const child = (resources.child = spawnCliVerify(base.org, base.workDir));
    const held = await base.org.arrival(method, path);
    child.process.kill('SIGINT');
    if (presses === 2) {
      await child.output(/^Interrupted: /m, { stream: 'stderr' });
      child.process.kill('SIGINT');
    }
    const exit = await child.exited();
    await base.org.answered(held);
    return { ...base, child, exit, held };
  });
}

const BOUNDARIES: Array<{ phase: string; holds: 'nothing' | 'app and grant' | 'app, grant and provider'; undo: (ids: Ids) => string[] }> = [
  { phase: 'create-service-app', holds: 'nothing', undo: () => ['nothing was left to undo'] },
  { phase: 'update-provider', holds: 'app and grant', undo: (ids) => [revoked(ids), deleted(ids)] },
  { phase: 'test-integration', holds: 'app, grant and provider', undo: (ids) => [restored(ids), revoked(ids), deleted(ids)] },
  { phase: 'send-risk-events', holds: 'app, grant and provider', undo: (ids) => [restored(ids), revoked(ids), deleted(ids)] },
  { phase: 'confirm-system-log', holds: 'app, grant and provider', undo: (ids) => [restored(ids), revoked(ids), deleted(ids)] },
  { phase: 'tear-down', holds: 'app, grant and provider', undo: (ids) => [restored(ids), revoked(ids), deleted(ids)] },
];

const MID_REQUEST: Array<{
  title: string;
  route: string;
  method: string;
  path: RegExp;
  status: number;
  journal: (j: JournalData, ids: Ids) => void;
  undo: (ids: Ids) => string[];
}> = [
  {
    title: 'finds and deletes the service app the org created while the run waited for its id (client pending)',
    route: 'POST /oauth2/v1/clients',
    method: 'POST',
    path: /^\/oauth2\/v1\/clients$/,
    status: 201,
    journal: (j) => expect([j.client, j.grant, j.provider]).to.deep.equal([{ status: 'pending' }, undefined, undefined]),
    undo: (ids) => [deleted(ids)],
  },
  {
    title: 'deletes the app, and with it the grant the org made while the run waited for its id (grant pending)',
    route: 'POST /api/v1/apps/:appId/grants',
    method: 'POST',
    path: /^\/api\/v1\/apps\/\w+\/grants$/,
    status: 201,
    journal: (j, ids) => expect([j.client, j.grant, j.provider]).to.deep.equal([{ status: 'created', id: ids.appId }, { status: 'pending', clientId: ids.appId }, undefined]),
    undo: (ids) => [deleted(ids)],
  },
  {
    title: 'restores the provider the org updated after the kill',
    route: 'PUT /api/v1/risk/providers/:riskProviderId',
    method: 'PUT',
    path: /^\/api\/v1\/risk\/providers\/\w+$/,
    status: 200,
    journal: (j, ids) =>
      expect([j.client, j.grant, j.provider]).to.deep.equal([
        { status: 'created', id: ids.appId },
        { status: 'created', clientId: ids.appId, id: ids.grantId },
        { id: ids.providerId, created: false, previous: PREVIOUS_DEFAULT },
      ]),
    undo: (ids) => [restored(ids), revoked(ids), deleted(ids)],
  },
  {
    title: 'finishes a teardown killed while the org revoked the grant (the revoke counts as already done)',
    route: 'DELETE /api/v1/apps/:appId/grants/:grantId',
    method: 'DELETE',
    path: /^\/api\/v1\/apps\/\w+\/grants\/\w+$/,
    status: 204,
    // Teardown had restored the provider before the kill; the grant is still recorded, and the org has revoked it.
    journal: (j, ids) => expect([j.client, j.grant, j.provider]).to.deep.equal([{ status: 'created', id: ids.appId }, { status: 'created', clientId: ids.appId, id: ids.grantId }, undefined]),
    undo: (ids) => [revokedAlready(ids), deleted(ids)],
  },
];

/** Where the real CLI is held when Ctrl-C comes, one request in each phase. */
const SIGINT_HOLDS: Array<{ phase: string; route: string; method: string; path: RegExp }> = [
  { phase: 'create-service-app', route: 'POST /oauth2/v1/clients', method: 'POST', path: /^\/oauth2\/v1\/clients$/ },
  { phase: 'update-provider', route: 'PUT /api/v1/risk/providers/:riskProviderId', method: 'PUT', path: /^\/api\/v1\/risk\/providers\/\w+$/ },
  { phase: 'send-risk-events', route: 'POST /api/v1/risk/events/ip', method: 'POST', path: /^\/api\/v1\/risk\/events\/ip$/ },
  { phase: 'confirm-system-log', route: 'GET /api/v1/logs', method: 'GET', path: /^\/api\/v1\/logs$/ },
  { phase: 'tear-down', route: 'DELETE /api/v1/apps/:appId/grants/:grantId', method: 'DELETE', path: /^\/api\/v1\/apps\/\w+\/grants\/\w+$/ },
];
const DOUBLE_SIGINT_HOLD = SIGINT_HOLDS[1]!;

// In the order the tests run, so each test's stage is the one brought up ahead.
for (const { phase } of BOUNDARIES) planBoundaryKill(phase);
for (const c of MID_REQUEST) planMidRequestKill(c.route, c.method, c.path);
for (const h of SIGINT_HOLDS) planInterrupt(h.route, h.method, h.path, 1);
planInterrupt(DOUBLE_SIGINT_HOLD.route, DOUBLE_SIGINT_HOLD.method, DOUBLE_SIGINT_HOLD.path, 2);

describe('interrupted verify runs', function () {
  this.timeout(30_000);
  let currentKey: string | undefined;

  /** Brings up (or finds) the stage a test checks, and starts the next test's; the stage is stopped after the test. */
  function use(key: string): Promise<Stage> {
    currentKey = key;
    const ready = start(key).ready;
    const next = planned[planned.findIndex((p) => p.key === key) + 1];
    if (next) start(next.key);
    return ready;
  }

  afterEach(async () => {
    if (currentKey) await tearDownStage(started.get(currentKey)!.resources);
    currentKey = undefined;
  });
  after(async () => {
    // A stage started ahead for a test that did not run (a filtered run) is stopped here.
    await Promise.all([...started.values()].map((s) => tearDownStage(s.resources)));
    await killChildren();
  });

  describe('killed with SIGKILL at a phase boundary, then okta-risk cleanup', () => {
    for (const { phase, holds, undo } of BOUNDARIES) {
      it(`undoes ${holds} when verify is killed at the ${phase} boundary`, async () => {
        const { org, workDir, before, providerId, exit } = await use(`kill at ${phase}`);
        expect(exit).to.deep.equal({ code: null, signal: 'SIGKILL' });
        const journal = readJournal(journalPath(workDir, org.url), org.url);
        let ids: Ids = { appId: '', grantId: '', providerId };
        if (holds === 'nothing') {
          expect(org.emulator.store.snapshot()).to.deep.equal(before);
          expect([journal.client, journal.grant, journal.provider]).to.deep.equal([undefined, undefined, undefined]);
        } else {
          ids = idsOn(org, providerId);
          expect(journal.client).to.deep.equal({ status: 'created', id: ids.appId });
          expect(journal.grant).to.deep.equal({ status: 'created', clientId: ids.appId, id: ids.grantId });
          const provider = holds === 'app, grant and provider' ? { id: providerId, created: false, previous: PREVIOUS_DEFAULT } : undefined;
          expect(journal.provider).to.deep.equal(provider);
          expect(org.emulator.store.providers.get(providerId)!.clientId).to.equal(provider ? ids.appId : 'null');
        }
        await expectCleanupUndoes(org, workDir, before, journal, undo(ids));
      });
    }
  });

  describe('killed with SIGKILL in the middle of a request the org finishes after the kill, then okta-risk cleanup', () => {
    for (const c of MID_REQUEST) {
      it(c.title, async () => {
        const { org, workDir, before, providerId, exit, held } = await use(`kill in ${c.route}`);
        expect(exit).to.deep.equal({ code: null, signal: 'SIGKILL' });
        expect(held!.status).to.equal(c.status);
        const journal = readJournal(journalPath(workDir, org.url), org.url);
        const ids = idsOn(org, providerId);
        // A revoked grant is gone from the org; its id is the one the journal recorded.
        if (journal.grant?.status === 'created' && ids.grantId === '') ids.grantId = journal.grant.id;
        c.journal(journal, ids);
        await expectCleanupUndoes(org, workDir, before, journal, c.undo(ids));
      });
    }
  });

  describe('the CLI interrupted with Ctrl-C (SIGINT)', () => {
    for (const { phase, route } of SIGINT_HOLDS) {
      it(`tears down by itself and exits 130, leaving no state file, when interrupted during ${phase}`, async () => {
        const { org, workDir, before, child, exit } = await use(`1 SIGINT in ${route}`);
        expect(exit).to.deep.equal({ code: 130, signal: null });
        expect(child.stderr()).to.contain('Interrupted: tearing down what this run created (press Ctrl-C again to quit at once and leave the state file for `okta-risk cleanup`).');
        expect(child.stdout()).to.match(/\nTeardown: the org is as it was found\.\n[\s\S]*\nResult: INTERRUPTED \(exit code 130\)\n$/);
        expect(existsSync(journalPath(workDir, org.url))).to.equal(false);
        expect(org.emulator.store.snapshot()).to.deep.equal(before);
      });
    }

    it('quits at once on a second Ctrl-C, leaving the state file, which cleanup then undoes', async () => {
      const { org, workDir, before, providerId, child, exit } = await use(`2 SIGINT in ${DOUBLE_SIGINT_HOLD.route}`);
      expect(exit).to.deep.equal({ code: 130, signal: null });
      expect(child.stdout()).to.not.contain('Result:');
      const statePath = journalPath(workDir, org.url);
      expect(existsSync(statePath)).to.equal(true);
      const journal = readJournal(statePath, org.url);
      const ids = idsOn(org, providerId);
      expect([journal.client, journal.grant, journal.provider]).to.deep.equal([
        { status: 'created', id: ids.appId },
        { status: 'created', clientId: ids.appId, id: ids.grantId },
        { id: providerId, created: false, previous: PREVIOUS_DEFAULT },
      ]);
      await expectCleanupUndoes(org, workDir, before, journal, [restored(ids), revoked(ids), deleted(ids)]);
    });
  });
});
