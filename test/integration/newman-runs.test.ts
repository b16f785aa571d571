/**
 * How many Newman runs a verify takes (`VerifyResult.newmanRuns`): the whole collection in one while nothing
 * needs another attempt, and a run more only where the runner must act between two requests that Newman
 * cannot wait for (a retry, each events call after the first, each SET).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { MAX_EVENTS_PER_CALL } from '../../src/events/risk-events.ts';
import { startOrg, type TestOrg } from '../helpers/emulator.ts';
import { settingsFor, tmp, verifyAgainst } from './harness.ts';

describe('the Newman runs of a verify', function () {
  this.timeout(60_000);
  let org: TestOrg | undefined;

  afterEach(async () => {
    await org?.close();
    org = undefined;
  });

  it('runs the whole collection as one Newman run when nothing needs another attempt', async () => {
    org = await startOrg();
    const result = await verifyAgainst(org, settingsFor(org));
    expect({ exitCode: result.exitCode, newmanRuns: result.newmanRuns }).to.deep.equal({ exitCode: 0, newmanRuns: 1 });
  });

  it('sends a request that needs another attempt on its own, and goes on with the rest in one more run', async () => {
    // The teardown's first deactivate answers 500: it is sent again alone, then the app's delete goes on.
    const once = (): number => (org?.emulator.faults.counts.error === 0 ? 0 : 0.99);
    org = await startOrg({ faults: { routes: ['POST /api/v1/apps/:appId/lifecycle/deactivate'], errorRate: 0.5, random: once } });
    const result = await verifyAgainst(org, settingsFor(org));
    expect({ exitCode: result.exitCode, faults: org.emulator.faults.counts.error, newmanRuns: result.newmanRuns }).to.deep.equal({ exitCode: 0, faults: 1, newmanRuns: 3 });
  });

  it('answers the DPoP nonce challenge in a run of its own, and runs the rest of the collection in one more', async () => {
    org = await startOrg();
    const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
    expect({ exitCode: result.exitCode, newmanRuns: result.newmanRuns }).to.deep.equal({ exitCode: 0, newmanRuns: 3 });
  });

  it('sends each events call of a multi-call events file in a Newman run of its own', async () => {
    org = await startOrg({ eventsRateLimit: 100 });
    const cwd = tmp('runs');
    const events = Array.from({ length: MAX_EVENTS_PER_CALL + 1 }, (_, i) => ({ subjects: [{ ip: `10.1.0.${i + 1}`, riskLevel: 'LOW' }] }));
    writeFileSync(join(cwd, 'events.json'), JSON.stringify(events));
    const result = await verifyAgainst(org, settingsFor(org, { events: 'events.json' }, cwd));
    // The setup with the token, one run for each of the two calls, and the System Log check with the teardown.
    expect({ exitCode: result.exitCode, newmanRuns: result.newmanRuns }).to.deep.equal({ exitCode: 0, newmanRuns: 4 });
  });

  describe('in the SSF flow', () => {
    const PUSH_ROUTE = 'POST /security/api/v1/security-events';
    /** Faults on the SET push drawn from a queue (1: no fault): a request draws for a 429, then a 500, then a lost answer, up to the first that hits. */
    const pushFaults = (...draws: number[]) => ({ routes: [PUSH_ROUTE], rateLimitRate: 0.5, errorRate: 0.5, dropRate: 0.5, random: () => draws.shift() ?? 1 });
    /** What the org took: every SET once, each with its own jti. */
    const taken = (): { sets: number; jtis: number } => ({ sets: org!.emulator.store.securityEvents.length, jtis: new Set(org!.emulator.store.securityEvents.map((e) => e.jti)).size });

    it('runs the whole SSF collection as one Newman run, the push request going again for each SET', async () => {
      org = await startOrg();
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
      expect({ exitCode: result.exitCode, newmanRuns: result.newmanRuns, ...taken() }).to.deep.equal({ exitCode: 0, newmanRuns: 1, sets: 2, jtis: 2 });
    });

    it('resends a rate-limited first SET alone, pushes the second alone, and runs the System Log check with the teardown in one more run', async () => {
      org = await startOrg({ faults: pushFaults(0) });
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
      const faults = org.emulator.faults.counts;
      expect({ exitCode: result.exitCode, rateLimited: faults['rate-limit'], newmanRuns: result.newmanRuns, ...taken() }).to.deep.equal({ exitCode: 0, rateLimited: 1, newmanRuns: 4, sets: 2, jtis: 2 });
    });

    it('resends the second SET alone after a 500, and runs the System Log check with the teardown in one more run', async () => {
      org = await startOrg({ faults: pushFaults(1, 1, 1, 1, 0) });
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
      const faults = org.emulator.faults.counts;
      expect({ exitCode: result.exitCode, errors: faults.error, newmanRuns: result.newmanRuns, ...taken() }).to.deep.equal({ exitCode: 0, errors: 1, newmanRuns: 3, sets: 2, jtis: 2 });
    });

    it('resends a SET whose answer was lost as the same SET, which the org takes once', async () => {
      // The org takes the first SET, then drops the answer: the resend is a replay of its jti, which it ignores.
      org = await startOrg({ faults: pushFaults(1, 1, 0) });
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
      const faults = org.emulator.faults.counts;
      expect({ exitCode: result.exitCode, dropped: faults.drop, newmanRuns: result.newmanRuns, ...taken() }).to.deep.equal({ exitCode: 0, dropped: 1, newmanRuns: 4, sets: 2, jtis: 2 });
    });

    it('leaves the superseded push out of the JUnit report: the push suite holds no failure', async () => {
      org = await startOrg({ faults: pushFaults(1, 1, 1, 1, 0) });
      const cwd = tmp('runs-ssf-junit');
      const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', reporters: ['junit'] }, cwd));
      const junit = readFileSync(result.reports.find((r) => r.kind === 'junit')!.path, 'utf8');
      const suite = /<testsuite name="Push security event tokens \/ Transmitter: API to push a Security Event Token"[^>]*>/.exec(junit)?.[0] ?? '';
      expect({ exitCode: result.exitCode, errors: org.emulator.faults.counts.error, failures: /failures="(\d+)"/.exec(suite)?.[1] }).to.deep.equal({ exitCode: 0, errors: 1, failures: '0' });
    });

    it('keeps the first SET’s push in report.html when the second was retried: as many push exchanges as without a fault', async () => {
      const pushExchanges = async (faults?: ReturnType<typeof pushFaults>): Promise<number> => {
        org = await startOrg(faults ? { faults } : {});
        const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf', reporters: ['html'] }, tmp('runs-ssf-html')));
        await org.close();
        org = undefined;
        return (readFileSync(result.reports.find((r) => r.kind === 'html')!.path, 'utf8').match(/\/security\/api\/v1\/security-events/g) ?? []).length;
      };
      const clean = await pushExchanges();
      expect({ retried: await pushExchanges(pushFaults(1, 1, 1, 1, 0)), shown: clean > 0 }).to.deep.equal({ retried: clean, shown: true });
    });
  });
});
