/**
 * verify --flow ssf against an org that answers as Okta may but the emulator never does: a 204 to a SET push
 * (Okta documents 202; an Okta demo expects 204), and a 401 or 403 to the providers list, which means "no SSF
 * receiver" only with errorCode E0000015. A server of the test's own stands in front of the emulator.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { MANAGEMENT_ERRORS } from '../../src/emulator/errors.ts';
import { PROVIDERS_PATH, SET_PATH } from '../../src/okta/ssf.ts';
import { startFrontedOrg, type Front, type FrontedOrg, type FrontedRequest } from '../helpers/fronted-org.ts';
import { filesBelow, settingsFor, sink, tmp, verifyAgainst } from './harness.ts';

const NOTE_204 = 'note: the org answered 204 No Content to a SET push, where Okta documents 202 Accepted (taken as accepted)\n';
const PHASES = ['Register the security events provider', 'Push security event tokens', 'Confirm the security events in the System Log', 'Tear down'];

const isPush = ({ method, path }: FrontedRequest): boolean => method === 'POST' && path === SET_PATH;
const isProviderList = ({ method, path }: FrontedRequest): boolean => method === 'GET' && path === PROVIDERS_PATH;
/** Each SET push the org takes (202) reaches the client as 204. */
const PUSH_ANSWERED_204: Front = { status: (request, status) => (isPush(request) && status === 202 ? 204 : status) };

/** Okta's error body, as the org answers it. */
function oktaError(errorCode: string, errorSummary: string) {
  return { errorCode, errorSummary, errorLink: errorCode, errorId: 'oae3mnJSeKvRbCSfKYGaQvJkA', errorCauses: [] };
}

/** The catalog's summary of E0000015 ("Feature not enabled exception"). */
const FEATURE_NOT_ENABLED = oktaError('E0000015', 'You do not have permission to access the feature you are requesting');
const NO_PERMISSION = oktaError('E0000006', MANAGEMENT_ERRORS.E0000006.summary);
const INVALID_TOKEN = oktaError('E0000011', MANAGEMENT_ERRORS.E0000011.summary);

describe('verify --flow ssf against an org that answers as Okta may and the emulator does not', function () {
  this.timeout(60_000);
  let org: FrontedOrg | undefined;

  afterEach(async () => {
    await org?.close();
    org = undefined;
  });

  /** A run against an org behind `front`; its stderr as text. */
  async function run(front: Front) {
    org = await startFrontedOrg(front);
    const err = sink();
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }), { streams: { out: sink(), err } });
    return { result, err: err.text, org };
  }

  it('passes every folder when the org answers each SET push 204 No Content, the SETs taken', async () => {
    const { result, org } = await run(PUSH_ANSWERED_204);
    expect(result.error).to.equal(undefined);
    const pushes = result.phases.find((p) => p.name === 'Push security event tokens')?.requests;
    expect(pushes?.map((r) => r.status)).to.deep.equal([204, 204]);
    expect(result.phases.map((p) => [p.name, p.passed])).to.deep.equal(PHASES.map((name) => [name, true]));
    expect(result.exitCode).to.equal(0);
    expect(org.emulator.store.securityEvents).to.have.length(2);
    expect(org.emulator.store.securityEventsProviders.size).to.equal(0);
  });

  it('writes a note to stderr for each SET push the org answered 204 instead of 202', async () => {
    const { err } = await run(PUSH_ANSWERED_204);
    expect(err.split('\n').filter((line) => line.startsWith('note: '))).to.deep.equal([NOTE_204.trimEnd(), NOTE_204.trimEnd()]);
  });

  it('writes no 204 note when the org answers each SET push 202 Accepted, as Okta documents', async () => {
    const { result, err } = await run({});
    expect(result.exitCode).to.equal(0);
    expect(err).to.not.include('204 No Content');
  });

  /** Runs against an org whose providers list answers `status` with E0000015 and checks the run stopped before anything was created. */
  async function expectNotServedStop(status: number, label: string) {
    org = await startFrontedOrg({ answer: (request) => (isProviderList(request) ? { status, body: FEATURE_NOT_ENABLED } : undefined) });
    const before = org.emulator.store.snapshot();
    const cwd = tmp(label);
    const result = await verifyAgainst(org, settingsFor(org, { flow: 'ssf' }, cwd));
    expect({ exitCode: result.exitCode, code: result.error?.code, setting: result.error?.setting, message: result.error?.message }).to.deep.equal({
      exitCode: 2,
      code: 'ERR_SSF_NOT_SERVED',
      setting: '--flow',
      message: `The org at ${org.url} does not serve the Security Events Providers API (GET /api/v1/security-events-providers answered HTTP ${status} E0000015); nothing was created.`,
    });
    expect(result.phases).to.deep.equal([]);
    expect(org.seen.filter((r) => r.method !== 'GET')).to.deep.equal([]);
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
    expect(filesBelow(join(cwd, '.runs', 'state'))).to.deep.equal([]);
  }

  it('stops with exit code 2 and ERR_SSF_NOT_SERVED when the providers list answers 401 E0000015 (Okta’s catalog status), naming it, before anything is created', async () => {
    await expectNotServedStop(401, 'ssf-e0000015-401');
  });

  it('stops with exit code 2 and ERR_SSF_NOT_SERVED when the providers list answers 403 E0000015, naming it, before anything is created', async () => {
    await expectNotServedStop(403, 'ssf-e0000015');
  });

  it('goes on when the providers list answers 401 with another errorCode (E0000011, an invalid token): exit code 1, the collection’s check naming the 401', async () => {
    const { result } = await run({ answer: (request) => (isProviderList(request) ? { status: 401, body: INVALID_TOKEN } : undefined) });
    expect({ exitCode: result.exitCode, error: result.error?.code }).to.deep.equal({ exitCode: 1, error: undefined });
    const list = result.phases.find((p) => p.name === 'Register the security events provider')?.requests.find((r) => r.name === 'Admin: API to get all Security Events Providers');
    expect(list?.failures[0]).to.equal('Status is 200 OK: expected response to have status code 200 but got 401');
  });

  it('goes on when the providers list answers 403 with another errorCode (E0000006, the token’s): exit code 1, the collection’s check naming the 403', async () => {
    const { result } = await run({ answer: (request) => (isProviderList(request) ? { status: 403, body: NO_PERMISSION } : undefined) });
    expect({ exitCode: result.exitCode, error: result.error?.code }).to.deep.equal({ exitCode: 1, error: undefined });
    const list = result.phases.find((p) => p.name === 'Register the security events provider')?.requests.find((r) => r.name === 'Admin: API to get all Security Events Providers');
    expect(list?.failures[0]).to.equal('Status is 200 OK: expected response to have status code 200 but got 403');
  });
});
