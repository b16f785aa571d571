/**
 * How many Newman runs a verify takes (`VerifyResult.newmanRuns`): the whole collection in one while nothing
 * needs another attempt, and a run more only where the runner must act between two requests that Newman
 * cannot wait for (a retry, each events call after the first, each SET).
 */
import { writeFileSync } from 'node:fs';
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

  it('takes one Newman run per SET in the SSF flow, besides the registration and the System Log check with the teardown', async () => {
    org = await startOrg();
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
    expect({ exitCode: result.exitCode, newmanRuns: result.newmanRuns }).to.deep.equal({ exitCode: 0, newmanRuns: 4 });
  });
});
