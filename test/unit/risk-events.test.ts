import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { HarnessError } from '../../src/errors.ts';
import { batchRiskEvents, checkRiskEvents, countSignals, GUIDE_SAMPLE_EVENTS, loadRiskEvents, MAX_EVENTS_FILE_BYTES } from '../../src/events/risk-events.ts';
import { tmp } from '../integration/harness.ts';
import { harnessErrorOf } from '../helpers/errors.ts';

const refusal = (payload: unknown): HarnessError => harnessErrorOf(() => checkRiskEvents(payload));

const subject = { ip: '1.1.1.1', riskLevel: 'HIGH' };

describe('risk events input', () => {
  it("uses the guide's sample payload when no file is given", () => {
    expect(loadRiskEvents(undefined)).to.deep.equal(GUIDE_SAMPLE_EVENTS);
    expect(countSignals(GUIDE_SAMPLE_EVENTS)).to.equal(2);
  });

  it('accepts IPv6 subjects, every risk level and a message with spaces', () => {
    expect(() => checkRiskEvents([{ subjects: [{ ip: '2001:db8::1', riskLevel: 'MEDIUM', message: 'Known bad ASN 64500' }, { ...subject, riskLevel: 'LOW' }] }])).to.not.throw();
  });

  it('refuses a payload that is not an array', () => {
    expect(refusal({ subjects: [subject] }).message).to.equal('--events: the file must hold a JSON array of risk events.');
  });

  it('refuses an empty array', () => {
    expect(refusal([]).message).to.equal('--events: the array must hold at least one event.');
  });

  it('refuses an unknown event field, naming its path', () => {
    expect(refusal([{ subjects: [subject], severity: 'HIGH' }]).message).to.equal('--events: [0].severity is not a recognized field; allowed fields are timestamp, expiresAt, subjects.');
  });

  it('refuses an event with no subjects or more than 50', () => {
    expect(refusal([{ subjects: [] }]).message).to.equal('--events: [0].subjects must contain at least 1 subject.');
    expect(refusal([{ subjects: Array.from({ length: 51 }, () => subject) }]).message).to.equal('--events: [0].subjects must contain at most 50 subjects, got 51.');
    expect(() => checkRiskEvents([{ subjects: Array.from({ length: 50 }, () => subject) }])).to.not.throw();
  });

  it('refuses an ip that is not IPv4 or IPv6', () => {
    expect(refusal([{ subjects: [subject, { ip: '1.1.1', riskLevel: 'LOW' }] }]).message).to.equal('--events: [0].subjects[1].ip must be an IPv4 or IPv6 address.');
  });

  it('refuses a risk level outside LOW, MEDIUM and HIGH, case included', () => {
    expect(refusal([{ subjects: [{ ip: '1.1.1.1', riskLevel: 'high' }] }]).message).to.equal('--events: [0].subjects[0].riskLevel must be one of LOW, MEDIUM, HIGH.');
  });

  it("refuses a message outside Okta's pattern or over 512 characters", () => {
    expect(refusal([{ subjects: [{ ...subject, message: 'bad!' }] }]).message).to.equal("--events: [0].subjects[0].message may contain only letters, digits, spaces, '.', '-' and '_'.");
    expect(refusal([{ subjects: [{ ...subject, message: 'a'.repeat(513) }] }]).message).to.equal('--events: [0].subjects[0].message must be at most 512 characters.');
    expect(() => checkRiskEvents([{ subjects: [{ ...subject, message: 'a'.repeat(512) }] }])).to.not.throw();
  });

  it('refuses a timestamp that is not an ISO 8601 date-time', () => {
    expect(refusal([{ timestamp: '2021-01-20', subjects: [subject] }]).message).to.equal('--events: [0].timestamp must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
    expect(refusal([{ expiresAt: 'tomorrow', subjects: [subject] }]).message).to.equal('--events: [0].expiresAt must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
  });

  it('refuses an expiresAt before its timestamp, as the org would', () => {
    expect(refusal([{ timestamp: '2021-01-20T00:00:00.001Z', expiresAt: '2021-01-19T00:00:00.000Z', subjects: [subject] }]).message).to.equal(
      '--events: [0].expiresAt must be after timestamp.',
    );
  });

  it('accepts an expiresAt after its timestamp, comparing instants across offsets', () => {
    expect(() => checkRiskEvents([{ timestamp: '2021-01-20T01:00:00+02:00', expiresAt: '2021-01-19T23:00:00.001Z', subjects: [subject] }])).to.not.throw();
  });

  it('refuses an IPv6 address with a zone index, as the org would', () => {
    expect(refusal([{ subjects: [{ ip: 'fe80::1%eth0', riskLevel: 'LOW' }] }]).message).to.equal('--events: [0].subjects[0].ip must be an IPv4 or IPv6 address.');
  });

  it('refuses a date-time the org refuses: an impossible date, a leap second, more than 9 fraction digits', () => {
    expect(refusal([{ timestamp: '2021-02-29T00:00:00Z', subjects: [subject] }]).message).to.equal('--events: [0].timestamp must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
    expect(refusal([{ timestamp: '2016-12-31T23:59:60Z', subjects: [subject] }]).message).to.equal('--events: [0].timestamp must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
    expect(refusal([{ timestamp: '2021-01-20T00:00:00.0000000001Z', subjects: [subject] }]).message).to.equal('--events: [0].timestamp must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
    expect(() => checkRiskEvents([{ timestamp: '2020-02-29T00:00:00.000000001Z', subjects: [subject] }])).to.not.throw();
  });

  it('names every problem of a file at once', () => {
    expect(refusal([{ timestamp: 'yesterday', subjects: [subject] }, { subjects: [{ ip: '300.1.1.1', riskLevel: 'low' }] }]).message).to.equal(
      '--events: [0].timestamp must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z; [1].subjects[0].ip must be an IPv4 or IPv6 address; [1].subjects[0].riskLevel must be one of LOW, MEDIUM, HIGH.',
    );
  });

  it('lists at most 10 problems and counts the rest', () => {
    const events = Array.from({ length: 12 }, () => ({ subjects: [{ ip: 'x', riskLevel: 'LOW' }] }));
    const message = refusal(events).message;
    expect(message).to.match(/^--events: \[0\]\.subjects\[0\]\.ip must be an IPv4 or IPv6 address; .*\[9\]\.subjects\[0\]\.ip must be an IPv4 or IPv6 address; and 2 more\.$/);
    expect(message).to.not.contain('[10]');
  });

  it('refuses a bad event after the 20th, which goes out in a later call', () => {
    const events = Array.from({ length: 25 }, (_, i) => ({ subjects: [{ ip: i === 24 ? 'fe80::1%1' : '1.1.1.1', riskLevel: 'LOW' }] }));
    expect(refusal(events).message).to.equal('--events: [24].subjects[0].ip must be an IPv4 or IPv6 address.');
  });

  it('refuses a file that is not JSON, with exit code 2', () => {
    const file = join(tmp('events'), 'events.json');
    writeFileSync(file, '[{"subjects": [}]');
    let error: HarnessError | undefined;
    try {
      loadRiskEvents(file);
    } catch (e) {
      error = e as HarnessError;
    }
    expect(error?.code).to.equal('ERR_EVENTS_INVALID');
    expect(error?.exitCode).to.equal(2);
    expect(error?.message).to.match(/^--events .*events\.json is not valid JSON: /);
  });

  it('refuses a file that does not exist', () => {
    let error: HarnessError | undefined;
    try {
      loadRiskEvents('/nonexistent/events.json');
    } catch (e) {
      error = e as HarnessError;
    }
    expect(error?.code).to.equal('ERR_FILE_UNREADABLE');
  });

  it('takes a file of exactly 16 MiB (whitespace is JSON too)', () => {
    const file = join(tmp('events'), 'big.json');
    const body = JSON.stringify([{ subjects: [{ ip: '1.1.1.1', riskLevel: 'LOW' }] }]);
    writeFileSync(file, body + ' '.repeat(MAX_EVENTS_FILE_BYTES - body.length));
    expect(loadRiskEvents(file)).to.have.length(1);
  });

  it('refuses a file over 16 MiB before reading it, naming --events, with exit code 2', () => {
    const file = join(tmp('events'), 'too-big.json');
    writeFileSync(file, ' '.repeat(MAX_EVENTS_FILE_BYTES + 1));
    const error = harnessErrorOf(() => loadRiskEvents(file));
    expect({ code: error.code, setting: error.setting, message: error.message, exitCode: error.exitCode }).to.deep.equal({
      code: 'ERR_EVENTS_INVALID',
      setting: '--events',
      message: `--events ${file} is 16,777,217 bytes; an events file may hold at most 16 MiB (16,777,216 bytes).`,
      exitCode: 2,
    });
  });

  it('refuses a folder as an events file, as unreadable', () => {
    expect(harnessErrorOf(() => loadRiskEvents(tmp('events'))).code).to.equal('ERR_FILE_UNREADABLE');
  });

  it('splits events into calls of at most 20, keeping their order', () => {
    const events = Array.from({ length: 45 }, (_, i) => ({ subjects: [{ ip: `10.0.0.${i}`, riskLevel: 'LOW' as const }] }));
    const batches = batchRiskEvents(events);
    expect(batches.map((b) => b.length)).to.deep.equal([20, 20, 5]);
    expect(batches.flat()).to.deep.equal(events);
  });
});
