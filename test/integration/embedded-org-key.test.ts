/**
 * When verify's embedded org makes its signing key: once the run's start-up is over for the Risk API flow,
 * whose token request needs it; never for the SSF flow, which gets no token.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { resolveVerifySettings, type VerifyFlags } from '../../src/config/settings.ts';
import { OrgSigningKey } from '../../src/emulator/keys.ts';
import { verify } from '../../src/run/verify.ts';
import { sink, tmp } from './harness.ts';

function embeddedSettings(flags: VerifyFlags) {
  const cwd = tmp('org-key');
  return resolveVerifySettings({ flags: { emulator: true, reporters: ['junit'], reportsDir: join(cwd, 'reports'), workDir: join(cwd, '.runs'), ...flags }, env: {}, cwd });
}

describe("the embedded org's signing key in a verify run", function () {
  this.timeout(60_000);

  it('is being made when the Risk API flow reaches its first phase, and the run passes', async () => {
    const orgKey = new OrgSigningKey();
    const startedAtFirstPhase: boolean[] = [];
    const result = await verify({
      settings: embeddedSettings({}),
      streams: { out: sink(), err: sink() },
      orgKey,
      onPhase: () => void (startedAtFirstPhase.length === 0 && startedAtFirstPhase.push(orgKey.started)),
    });
    expect({ exitCode: result.exitCode, startedAtFirstPhase }).to.deep.equal({ exitCode: 0, startedAtFirstPhase: [true] });
  });

  it('is never made in the SSF flow, which gets no token, and the run passes', async () => {
    const orgKey = new OrgSigningKey();
    const result = await verify({ settings: embeddedSettings({ flow: 'ssf' }), streams: { out: sink(), err: sink() }, orgKey });
    expect({ exitCode: result.exitCode, started: orgKey.started }).to.deep.equal({ exitCode: 0, started: false });
  });
});
