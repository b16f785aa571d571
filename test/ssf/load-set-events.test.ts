/**
 * `verify --flow ssf --events <file>` (src/ssf/load-set-events.ts): a file of the transmitter's own SET
 * events, checked against the shared SSF contract with Okta's texts before anything is created.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { MAX_EVENTS_FILE_BYTES } from '../../src/events/risk-events.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { checkSetEvents, loadSetEvents, MAX_SETS_PER_RUN } from '../../src/ssf/load-set-events.ts';
import { harnessErrorOf } from '../helpers/errors.ts';
import { tmp } from '../integration/harness.ts';

const SUBJECT = 'test.user@acme.com';
const NOW_MS = Date.UTC(2026, 11, 6, 12);
const USER_RISK = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';
const DEVICE_RISK = 'https://schemas.okta.com/secevent/okta/event-type/device-risk-change';
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const user = (email = SUBJECT) => ({ user: { format: 'email', email } });
const deviceRisk = (extra: Record<string, unknown> = {}) => ({ [DEVICE_RISK]: { subject: { ...user(), device: { format: 'opaque', id: 'd-1' } }, current_level: 'low', previous_level: 'none', event_timestamp: 1765022400, ...extra } });
const check = (payload: unknown) => checkSetEvents(payload, { subjectEmail: SUBJECT, nowMs: NOW_MS });
const failure = (payload: unknown) => {
  const error = harnessErrorOf(() => check(payload));
  return { code: error.code, setting: error.setting, message: error.message, exitCode: error.exitCode };
};
const refusal = (message: string) => ({ code: 'ERR_EVENTS_INVALID', setting: '--events', message, exitCode: 2 });

describe('verify --flow ssf --events: the SETs of a file', () => {
  it('takes each element as one SET’s events, in order, and counts the events about the subject', () => {
    const sessionRevoked = { [SESSION_REVOKED]: { subject: user(), event_timestamp: 1765022400 } };
    expect(check([deviceRisk(), sessionRevoked])).to.deep.include({ events: [deviceRisk(), sessionRevoked], expectedEventCount: 2 });
  });

  it('names the risk levels the file leaves the subject at: the last of each risk-change type, unless none', () => {
    const userRisk = (current: string) => ({ [USER_RISK]: { subject: user(), current_level: current, previous_level: 'none' } });
    expect(check([userRisk('high'), deviceRisk({ current_level: 'medium' }), userRisk('low')]).leftAt).to.deep.equal([
      { type: 'user-risk-change', level: 'low' },
      { type: 'device-risk-change', level: 'medium' },
    ]);
  });

  it('names no level left behind when each risk change ends at none', () => {
    expect(check([deviceRisk(), deviceRisk({ current_level: 'none', previous_level: 'low' })]).leftAt).to.deep.equal([]);
  });

  it('counts every event of a SET that holds several', () => {
    const both = { ...deviceRisk(), [SESSION_REVOKED]: { subject: user(), event_timestamp: 1765022400 } };
    expect(check([both]).expectedEventCount).to.equal(2);
  });

  it('gives an event without event_timestamp the run’s time, in seconds', () => {
    const { events } = check([{ [SESSION_REVOKED]: { subject: user() } }]);
    expect(events[0]![SESSION_REVOKED]!.event_timestamp).to.equal(NOW_MS / 1000);
  });

  it('keeps an event_timestamp the file gives', () => {
    expect(check([deviceRisk({ event_timestamp: 1700000000 })]).events[0]![DEVICE_RISK]!.event_timestamp).to.equal(1700000000);
  });

  it('matches the subject’s email without regard to case', () => {
    expect(check([{ [SESSION_REVOKED]: { subject: user('Test.User@ACME.com') } }]).expectedEventCount).to.equal(1);
  });

  it('pushes an event about a device alone without counting it (Okta logs only events about a user)', () => {
    const deviceOnly = { [SESSION_REVOKED]: { subject: { device: { format: 'opaque', id: 'd-1' } } } };
    expect(check([deviceRisk(), deviceOnly])).to.deep.include({ expectedEventCount: 1 });
  });

  it(`takes exactly ${MAX_SETS_PER_RUN} SETs`, () => {
    expect(check(Array.from({ length: MAX_SETS_PER_RUN }, () => deviceRisk())).events).to.have.length(MAX_SETS_PER_RUN);
  });

  it(`refuses more than ${MAX_SETS_PER_RUN} SETs`, () => {
    expect(failure(Array.from({ length: MAX_SETS_PER_RUN + 1 }, () => deviceRisk()))).to.deep.equal(refusal(`--events: the array: holds ${MAX_SETS_PER_RUN + 1} SETs; a run pushes at most ${MAX_SETS_PER_RUN}.`));
  });

  it('refuses a file that is no JSON array', () => {
    expect(failure(deviceRisk())).to.deep.equal(refusal('--events: the file: must hold a JSON array, one events object per SET.'));
  });

  it('refuses an empty array', () => {
    expect(failure([])).to.deep.equal(refusal('--events: the array: must hold at least one SET.'));
  });

  it('refuses an element that is no object, and one with no event', () => {
    expect(failure([[deviceRisk()], {}])).to.deep.equal(refusal('--events: [0]: must be an object from event type URI to the event; [1]: must hold at least one event.'));
  });

  it('refuses an event type Okta’s receiver does not take, naming the six it does', () => {
    const uri = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
    const { message } = failure([{ [uri]: { subject: user() } }]);
    expect(message).to.equal(
      `--events: [0]["${uri}"]: is not an event type Okta's SSF receiver takes; it takes https://schemas.okta.com/secevent/okta/event-type/user-risk-change, https://schemas.okta.com/secevent/okta/event-type/device-risk-change, https://schemas.okta.com/secevent/okta/event-type/ip-change, https://schemas.openid.net/secevent/caep/event-type/device-compliance-change, https://schemas.openid.net/secevent/caep/event-type/session-revoked, https://schemas.openid.net/secevent/risc/event-type/identifier-changed.`,
    );
  });

  it('refuses a claim the contract refuses, with Okta’s path and text', () => {
    expect(failure([deviceRisk({ current_level: 'severe' })])).to.deep.equal(refusal('--events: [0] events.mediationDeviceRiskChangeEvent.currentRiskLevel: Not one of the allowed values.'));
  });

  it('refuses an event with no subject, with Okta’s path and text', () => {
    expect(failure([{ [USER_RISK]: { current_level: 'low', previous_level: 'none' } }])).to.deep.equal(refusal('--events: [0] events.mediationUserRiskChangeEvent.subject: The field cannot be left blank.'));
  });

  it('refuses an event about another user, naming --subject-email', () => {
    expect(failure([{ [SESSION_REVOKED]: { subject: user('someone.else@acme.com') } }])).to.deep.equal(
      refusal(`--events: [0] events.mediationSessionRevokedEvent.subject.user.email: names someone.else@acme.com, not the run's subject ${SUBJECT} (--subject-email): the System Log check confirms events about that one user.`),
    );
  });

  it('refuses a file with no event about the subject: the run could confirm none', () => {
    expect(failure([{ [SESSION_REVOKED]: { subject: { device: { format: 'opaque', id: 'd-1' } } } }])).to.deep.equal(
      refusal(`--events: the file: has no event about the run's subject ${SUBJECT} ("subject": {"user": {"format": "email", "email": …}}); Okta logs only events about a user, so the run could confirm none.`),
    );
  });

  it('takes the README’s example file', () => {
    const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Your own SET events'));
    const example = /```json\n([\s\S]*?)```/.exec(section)![1]!;
    expect(check(JSON.parse(example)).expectedEventCount).to.equal(2);
  });

  it('refuses a file that is not JSON, naming it', () => {
    const file = join(tmp('set-events'), 'events.json');
    writeFileSync(file, '[{');
    const error = harnessErrorOf(() => loadSetEvents(file, { subjectEmail: SUBJECT, nowMs: NOW_MS }));
    expect({ code: error.code, setting: error.setting, starts: error.message.startsWith(`--events ${file} is not valid JSON: `) }).to.deep.equal({ code: 'ERR_EVENTS_INVALID', setting: '--events', starts: true });
  });

  it('refuses a file over 16 MiB before reading it, as an --events file of risk events is', () => {
    const file = join(tmp('set-events'), 'too-big.json');
    writeFileSync(file, ' '.repeat(MAX_EVENTS_FILE_BYTES + 1));
    const error = harnessErrorOf(() => loadSetEvents(file, { subjectEmail: SUBJECT, nowMs: NOW_MS }));
    expect({ code: error.code, message: error.message }).to.deep.equal({ code: 'ERR_EVENTS_INVALID', message: `--events ${file} is 16,777,217 bytes; an events file may hold at most 16 MiB (16,777,216 bytes).` });
  });

  it('refuses a file that cannot be read, naming it', () => {
    const file = join(tmp('set-events'), 'missing.json');
    const error = harnessErrorOf(() => loadSetEvents(file, { subjectEmail: SUBJECT, nowMs: NOW_MS }));
    expect({ code: error.code, message: error.message, exitCode: error.exitCode }).to.deep.equal({ code: 'ERR_FILE_UNREADABLE', message: `--events ${file} cannot be read.`, exitCode: 2 });
  });
});
