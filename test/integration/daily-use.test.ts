/**
 * Daily use without surprises: a kept run that works in Postman and undoes cleanly, two runs on one org, and
 * rate-limit waits that say how long they are and stop on Ctrl-C. In process, against a standalone emulator
 * (an org that outlives the runs) with a manual clock that the runs' waits advance.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatSummary } from '../../src/run/summary.ts';
import { journalPath, keptKeyPath, readJournal } from '../../src/state/journal.ts';
import { ManualClock } from '../../src/emulator/index.ts';
import { killChildren, PROJECT_ROOT, spawnChild } from '../fixtures/child.ts';
import { runCli } from '../fixtures/cleanup-cli.ts';
import { startWatchedOrg, type WatchedOrg } from '../fixtures/watched-org.ts';
import { call } from '../helpers/emulator.ts';
import { settingsFor, sink, tmp, verifyAgainst } from './harness.ts';

const EVENTS_ROUTE = /^\/api\/v1\/risk\/events\/ip$/;

function environmentValues(file: string): Record<string, string> {
  const env = JSON.parse(readFileSync(file, 'utf8')) as { values: Array<{ key: string; value: string }> };
  return Object.fromEntries(env.values.map((v) => [v.key, v.value]));
}

/** Trades a client assertion for a token at the org, as Postman's token request does. */
async function tokenStatus(org: WatchedOrg, clientAssertion: string): Promise<number> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: 'okta.riskEvents.manage',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: clientAssertion,
  });
  return (await call(org, 'POST', '/oauth2/v1/token', { body, auth: null })).status;
}

/** An events file of `count` one-subject events. */
function eventsFile(dir: string, count: number): string {
  const events = Array.from({ length: count }, (_, i) => ({ timestamp: '2026-11-28T11:00:00.000Z', subjects: [{ ip: `10.0.0.${i + 1}`, riskLevel: 'LOW', message: `event ${i + 1}` }] }));
  const file = join(dir, 'events.json');
  writeFileSync(file, JSON.stringify(events));
  return file;
}

describe('daily use', function () {
  this.timeout(60_000);
  let org: WatchedOrg;
  beforeEach(async () => {
    org = await startWatchedOrg({ eventsRateLimit: 3 });
  });
  afterEach(async () => {
    await org.close();
  });

  describe('verify --keep', () => {
    it('saves the private key next to the journal, mode 0600', async () => {
      const settings = settingsFor(org, { keep: true });
      const result = await verifyAgainst(org, settings);
      expect(result.exitCode).to.equal(0);
      const keyFile = keptKeyPath(journalPath(settings.workDir, org.url));
      expect(result.kept?.keyFile).to.equal(keyFile);
      expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
      expect((JSON.parse(readFileSync(keyFile, 'utf8')) as { kid: string; d?: string }).kid).to.equal(readJournal(result.kept!.stateFile).kid);
    });

    it('writes an environment with clientId set and a fresh assertion the org accepts', async () => {
      const result = await verifyAgainst(org, settingsFor(org, { keep: true }));
      const values = environmentValues(result.kept!.environmentFile);
      expect(values.clientId).to.equal(result.kept!.clientId);
      expect([...org.emulator.store.apps.keys()]).to.deep.equal([values.clientId]);
      // Not the run's own assertion, already spent on its token: this one still buys a token.
      expect(await tokenStatus(org, values.clientAssertion!)).to.equal(200);
      expect(await tokenStatus(org, values.clientAssertion!)).to.equal(401);
    });

    it('prints the exact assertion command for the next assertion, and it works', async () => {
      // The command mints at this machine's time: an org whose clock is a minute ahead of it, as in interrupts.test.ts.
      await org.close();
      org = await startWatchedOrg({ eventsRateLimit: 3, clock: new ManualClock(Date.now() + 60_000) });
      const cwd = tmp('keep-cwd');
      const result = await verifyAgainst(org, settingsFor(org, { keep: true }, cwd));
      const summary = formatSummary(result, cwd);
      const command = /Next assertion: +npx okta-risk (assertion .+)\n/.exec(summary)?.[1];
      expect(command).to.equal(
        `assertion --client-id ${result.kept!.clientId} --key .runs/state/${new URL(org.url).host.replace(':', '_')}.private.jwk.json --org-url ${org.url} --environment ${result.kept!.environmentFile.slice(cwd.length + 1)}`,
      );
      const before = environmentValues(result.kept!.environmentFile).clientAssertion;
      org.clock.advance(1000);
      const args = command!.split(' ').map((a) => (a.startsWith('.runs/') ? join(cwd, a) : a));
      const minted = await runCli(args);
      expect(minted.exitCode, minted.err).to.equal(0);
      const after = environmentValues(result.kept!.environmentFile).clientAssertion;
      expect(after).to.not.equal(before);
      expect(await tokenStatus(org, after!)).to.equal(200);
    });

    it('prints a complete cleanup command, with the org URL, that undoes the run and removes the key', async () => {
      const cwd = tmp('keep-cwd');
      const before = org.emulator.store.snapshot();
      const result = await verifyAgainst(org, settingsFor(org, { keep: true }, cwd));
      const summary = formatSummary(result, cwd);
      const command = /Undo later with: +npx okta-risk (cleanup .+?) {3}\(OKTA_CLIENT_TOKEN set, as for this run\)\n/.exec(summary)?.[1];
      expect(command).to.equal(`cleanup --org-url ${org.url} --state ${result.kept!.stateFile.slice(cwd.length + 1)}`);
      const args = command!.split(' ').map((a) => (a.startsWith('.runs/') ? join(cwd, a) : a));
      const cleaned = await runCli(args, { OKTA_CLIENT_TOKEN: org.apiToken });
      expect(cleaned.exitCode, cleaned.out + cleaned.err).to.equal(0);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
      expect(existsSync(result.kept!.stateFile)).to.equal(false);
      expect(existsSync(result.kept!.keyFile)).to.equal(false);
    });
  });

  describe('two runs on one org', () => {
    it('stops a second run with exit code 2 before it creates anything, naming the first run, while the first holds the org', async () => {
      const before = org.emulator.store.snapshot();
      let second: Awaited<ReturnType<typeof verifyAgainst>> | undefined;
      let heldBy: string | undefined;
      let createsBySecond = 0;
      const first = await verifyAgainst(org, settingsFor(org), {
        onPhase: async (phase) => {
          if (phase !== 'test-integration' || second) return;
          heldBy = [...org.emulator.store.apps.values()][0]!.id;
          const calls = org.exchanges.length;
          second = await verifyAgainst(org, settingsFor(org));
          createsBySecond = org.exchanges.slice(calls).filter((e) => e.method !== 'GET').length;
        },
      });
      expect(second?.exitCode).to.equal(2);
      expect(second?.error?.code).to.equal('ERR_ORG_BUSY');
      expect(second?.error?.message).to.match(
        new RegExp(`^Risk provider "Risk Provider Example" \\(rkp\\w+\\) is held by another verify run: it is linked to that run's service app ${heldBy} \\("Risk Provider Example", registered \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ, key [\\w-]+\\)\\.$`),
      );
      expect(second?.phases).to.deep.equal([]);
      expect(createsBySecond).to.equal(0);
      expect(first.exitCode).to.equal(0);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('ends both runs clean when they start at the same moment from two folders', async () => {
      const before = org.emulator.store.snapshot();
      const [a, b] = [settingsFor(org), settingsFor(org)];
      const results = await Promise.all([verifyAgainst(org, a), verifyAgainst(org, b)]);
      for (const result of results) {
        expect([0, 1, 2]).to.include(result.exitCode);
        if (result.exitCode === 2) expect(result.phases).to.deep.equal([]);
        if (result.cleanup) expect(result.cleanup.complete).to.equal(true);
      }
      expect(results.some((r) => r.exitCode === 0)).to.equal(true);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
      expect([existsSync(journalPath(a.workDir, org.url)), existsSync(journalPath(b.workDir, org.url))]).to.deep.equal([false, false]);
    });

    it("never journals the first run's settings as the second's previous ones when the first takes the provider in between", async () => {
      const before = org.emulator.store.snapshot();
      const b = settingsFor(org);
      let journaledBySecond: unknown = 'not read';
      let first: ReturnType<typeof verifyAgainst> | undefined;
      let release!: () => void;
      const secondDone = new Promise<void>((resolve) => (release = resolve));
      const second = await verifyAgainst(org, b, {
        onPhase: async (phase) => {
          // The second run has chosen the free provider and made its app, but not listed the providers yet:
          // the first run takes that provider now, and holds it until the second run is done.
          if (phase === 'update-provider' && !first) {
            let holds!: () => void;
            const held = new Promise<void>((resolve) => (holds = resolve));
            first = verifyAgainst(org, settingsFor(org, { providerName: 'First run' }), {
              onPhase: async (p) => {
                if (p !== 'test-integration') return;
                holds();
                await secondDone;
              },
            });
            await held;
          }
          if (phase === 'tear-down') journaledBySecond = readJournal(journalPath(b.workDir, org.url)).provider;
        },
      });
      release();
      // The second run saw the provider linked to the first run's app: it did not take it, nor journal it.
      expect(second.exitCode).to.equal(1);
      expect(journaledBySecond).to.equal(undefined);
      expect(second.cleanup?.complete).to.equal(true);
      expect((await first!).exitCode).to.equal(0);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });
  });

  describe('cleanup', () => {
    it('never restores a link to a client that is gone, and says what it found and left', async () => {
      const settings = settingsFor(org, { keep: true });
      const result = await verifyAgainst(org, settings);
      const journalFile = result.kept!.stateFile;
      const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { provider: { id: string; previous: { name: string; clientId: string; action: string } } };
      // As if the provider had been linked, before this run, to a client that has since been deleted.
      journal.provider.previous = { name: 'Earlier Vendor', clientId: '0oaDeletedLongAgo0001', action: 'log_only' };
      writeFileSync(journalFile, JSON.stringify(journal));
      const cleaned = await runCli(['cleanup', '--org-url', org.url, '--state', journalFile], { OKTA_CLIENT_TOKEN: org.apiToken });
      expect(cleaned.exitCode, cleaned.out + cleaned.err).to.equal(0);
      expect(cleaned.out).to.contain(
        `  restore provider: done (provider ${journal.provider.id} back to name "Earlier Vendor", action log_only, and left unlinked (clientId null): its previous client 0oaDeletedLongAgo0001 no longer exists, so that link was not restored)\n`,
      );
      expect(org.emulator.store.providers.get(journal.provider.id)).to.deep.include({ name: 'Earlier Vendor', clientId: 'null', action: 'log_only' });
      expect(existsSync(journalFile)).to.equal(false);
    });
  });

  describe('rate-limit waits', () => {
    it('says how long it waits and for what before a rate-limit wait', async () => {
      const err = sink();
      const result = await verifyAgainst(org, settingsFor(org, { events: eventsFile(tmp('events'), 61) }), { streams: { out: sink(), err } });
      expect(result.exitCode).to.equal(0);
      expect(err.text).to.match(/^waiting \d+ s for the events rate limit \(Ctrl-C stops the wait and the run\)$/m);
    });

    it('stops a rate-limit wait at once on Ctrl-C, sends none of the pending events, tears down, and ends with exit code 130', async () => {
      const before = org.emulator.store.snapshot();
      const controller = new AbortController();
      const workDir = settingsFor(org).workDir;
      const settings = settingsFor(org, { events: eventsFile(tmp('events'), 61), workDir });
      const err = sink();
      let cut = 0;
      const result = await verifyAgainst(org, settings, {
        signal: controller.signal,
        streams: { out: sink(), err },
        // The rate-limit wait is where Ctrl-C lands: it never ends by itself. Short waits advance the clock.
        sleep: (ms) => {
          if (ms < 10_000) return Promise.resolve(org.clock.advance(ms));
          cut++;
          controller.abort();
          return new Promise<void>(() => {});
        },
      });
      expect(cut).to.equal(1);
      expect(result.exitCode).to.equal(130);
      expect(org.matching('POST', EVENTS_ROUTE)).to.have.length(3);
      expect(org.emulator.store.signals).to.have.length(60);
      expect(err.text).to.match(/waiting \d+ s for the events rate limit/);
      expect(result.cleanup?.complete).to.equal(true);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('ends the real CLI at once on Ctrl-C during a rate-limit wait, with exit code 130 and no pending event sent', async () => {
      // The org's clock stands a minute ahead of this machine's, so the wait for its reset is long and real.
      await org.close();
      org = await startWatchedOrg({ eventsRateLimit: 3, clock: new ManualClock(Date.now() + 60_000) });
      const before = org.emulator.store.snapshot();
      const workDir = tmp('sigint-wait');
      const child = spawnChild(
        [join(PROJECT_ROOT, 'bin', 'okta-risk.js'), 'verify', '--org-url', org.url, '--events', eventsFile(workDir, 61), '--work-dir', workDir, '--reports-dir', join(workDir, 'reports'), '--reporters', 'junit'],
        { env: { OKTA_CLIENT_TOKEN: org.apiToken }, cwd: workDir },
      );
      try {
        await child.output(/waiting \d+ s for the events rate limit/, { stream: 'stderr', timeoutMs: 30_000 });
        child.process.kill('SIGINT');
        // Well before the rate limit would reset (a minute and more): the wait's timer does not hold the process.
        const exit = await child.exited(15_000);
        expect(exit.code, child.stdout() + child.stderr()).to.equal(130);
        expect(org.matching('POST', EVENTS_ROUTE)).to.have.length(3);
        expect(child.stdout()).to.contain('Teardown: the org is as it was found.');
        expect(org.emulator.store.snapshot()).to.deep.equal(before);
      } finally {
        await killChildren();
      }
    });
  });
});
