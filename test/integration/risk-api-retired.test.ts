import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { call, startOrg, type TestOrg } from '../helpers/emulator.ts';
import { settingsFor, tmp, verifyAgainst } from './harness.ts';

describe('verify against an org that no longer serves the Risk APIs', function () {
  this.timeout(60_000);
  let org: TestOrg;

  afterEach(async () => {
    await org.close();
  });

  it('stops with exit code 2 and names the retired APIs and the fix, before anything is created', async () => {
    org = await startOrg({ riskApis: false });
    const before = org.emulator.store.snapshot();
    const cwd = tmp('retired');
    const result = await verifyAgainst(org, settingsFor(org, {}, cwd));
    expect(result.exitCode).to.equal(2);
    expect(result.error?.code).to.equal('ERR_RISK_API_NOT_SERVED');
    expect(result.error?.message).to.equal(
      `The org at ${org.url} does not serve the Risk Providers API: GET /api/v1/risk/providers answered HTTP 404 (E0000008 The requested path was not found). Okta retired the Risk APIs (deprecated at the end of 2024, gone from its API since release 2025.10.0); nothing was created.`,
    );
    expect(result.error?.fix).to.equal(
      "verify the successor, Okta's Shared Signals (SSF) receiver, on this org: okta-risk verify --flow ssf --jwks-url <the public https URL of your key's JWKS> --key <that key> --subject-email <a test user's sign-in email> (README: 'Verifying Okta's SSF receiver'); or run verify against the embedded emulator (leave --org-url unset) to keep testing the Risk API flow.",
    );
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
    expect(result.phases).to.deep.equal([]);
    expect(existsSync(join(cwd, '.runs', 'state'))).to.equal(false);
  });

  it('passes the command its fix names, verify --flow ssf, on the same org', async () => {
    org = await startOrg({ riskApis: false });
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }));
    expect({ exitCode: result.exitCode, error: result.error?.code }).to.deep.equal({ exitCode: 0, error: undefined });
  });

  it('is not stopped when the org serves them', async () => {
    org = await startOrg();
    const result = await verifyAgainst(org, settingsFor(org));
    expect(result.error).to.equal(undefined);
    expect(result.exitCode).to.equal(0);
  });
});

describe('the emulator as a current org (riskApis: false)', () => {
  let org: TestOrg;
  afterEach(async () => {
    await org.close();
  });

  it('answers 404 E0000008 on /api/v1/risk/providers', async () => {
    org = await startOrg({ riskApis: false });
    const res = await call(org, 'GET', '/api/v1/risk/providers');
    expect(res.status).to.equal(404);
    expect(res.body.errorCode).to.equal('E0000008');
  });

  it('still serves the Security Events Providers API', async () => {
    org = await startOrg({ riskApis: false });
    const res = await call(org, 'GET', '/api/v1/security-events-providers');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal([]);
  });

  it('serves the Risk Providers API by default', async () => {
    org = await startOrg();
    const res = await call(org, 'GET', '/api/v1/risk/providers');
    expect(res.status).to.equal(200);
  });
});
