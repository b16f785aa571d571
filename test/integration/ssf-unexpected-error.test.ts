/**
 * verify --flow ssf when okta-risk itself breaks mid-run (an error that is no HarnessError): the command exits
 * 3 with the short please-report line, never 1 (which means "assertions failed"), and the provider the run
 * made is still deleted. The break is a TypeError thrown from the run's phase hook once the provider exists.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../src/cli.ts';
import type { CommandContext } from '../../src/commands/context.ts';
import { verify, type VerifyOptions } from '../../src/run/verify.ts';
import { orgPerTest } from '../helpers/emulator.ts';
import { filesBelow, settingsFor, sink, tmp, verifyAgainst, type Sink } from './harness.ts';

const BREAK = "Cannot read properties of undefined (reading 'id')";

/** A phase hook that throws a TypeError the first time the run reaches `phase`. */
function breakAt(phase: string): NonNullable<VerifyOptions['onPhase']> {
  let broken = false;
  return (reached) => {
    if (reached !== phase || broken) return;
    broken = true;
    throw new TypeError(BREAK);
  };
}

describe('verify --flow ssf when okta-risk breaks unexpectedly mid-run', function () {
  this.timeout(60_000);
  const org = orgPerTest();

  it('exits 3 with the please-report line, never 1, through the command line', async () => {
    const cwd = tmp('ssf-unexpected-cli');
    const ctx = { cwd, env: { OKTA_CLIENT_TOKEN: org.apiToken }, out: sink(), err: sink(), exitCode: 0, signal: new AbortController().signal } as CommandContext & { out: Sink; err: Sink };
    const args = ['verify', '--flow', 'ssf', '--org-url', org.url, '--reporters', 'junit', '--work-dir', join(cwd, '.runs'), '--reports-dir', join(cwd, 'reports')];
    // The real verify, on the org's manual clock, with the break injected where the provider exists.
    const run = (options: VerifyOptions) =>
      verify({ ...options, now: () => org.clock.now(), sleep: async (ms) => org.clock.advance(ms), logPoll: { attempts: 3, intervalMs: 5 }, onPhase: breakAt('push-security-event-tokens') });
    await runCli(args, ctx, { verify: run });
    expect(ctx.exitCode).to.equal(3);
    expect(ctx.err.text).to.equal(
      `Error [ERR_UNEXPECTED]: okta-risk broke unexpectedly (TypeError: ${BREAK}). This is a bug: please report it with the command you ran (leave out tokens and keys).\n`,
    );
  });

  it('still deletes the provider it made, leaving no state file, when the break comes after the create', async () => {
    const cwd = tmp('ssf-unexpected-teardown');
    const run = verifyAgainst(org, settingsFor(org, { flow: 'ssf' }, cwd), { onPhase: breakAt('push-security-event-tokens') });
    const error = await run.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).to.be.instanceOf(TypeError);
    expect(org.emulator.store.securityEventsProviders.size).to.equal(0);
    expect(org.emulator.store.logs.map((r) => r.event.eventType).filter((type) => type.startsWith('security.events.provider.'))).to.deep.equal([
      'security.events.provider.create',
      'security.events.provider.delete',
    ]);
    expect(filesBelow(join(cwd, '.runs', 'state'))).to.deep.equal([]);
  });
});
