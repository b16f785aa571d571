import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { HarnessError } from '../../src/errors.ts';
import { batchRiskEvents, checkRiskEvents, countSignals, GUIDE_SAMPLE_EVENTS, loadRiskEvents } from '../../src/events/risk-events.ts';
import { tmp } from '../integration/harness.ts';

function refusal(payload: unknown): HarnessError {
  try {
    checkRiskEvents(payload);
  } catch (error) {
    expect(error).to.be.instanceOf(HarnessError);
    return error as HarnessError;
  }
  throw new Error('expected the payload to be refused');
}

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
    expect(refusal([{ subjects: [subject], severity: 'HIGH' }]).message).to.equal('--events: [0].severity is not a risk event field (timestamp, expiresAt, subjects).');
  });

  it('refuses an event with no subjects or more than 50', () => {
    expect(refusal([{ subjects: [] }]).message).to.equal('--events: [0].subjects must be an array of 1 to 50 subjects.');
    expect(refusal([{ subjects: Array.from({ length: 51 }, () => subject) }]).message).to.equal('--events: [0].subjects must be an array of 1 to 50 subjects.');
    expect(() => checkRiskEvents([{ subjects: Array.from({ length: 50 }, () => subject) }])).to.not.throw();
  });

  it('refuses an ip that is not IPv4 or IPv6', () => {
    expect(refusal([{ subjects: [subject, { ip: '1.1.1', riskLevel: 'LOW' }] }]).message).to.equal('--events: [0].subjects[1].ip must be an IPv4 or IPv6 address.');
  });

  it('refuses a risk level outside LOW, MEDIUM and HIGH, case included', () => {
    expect(refusal([{ subjects: [{ ip: '1.1.1.1', riskLevel: 'high' }] }]).message).to.equal('--events: [0].subjects[0].riskLevel must be LOW, MEDIUM or HIGH.');
  });

  it("refuses a message outside Okta's pattern or over 512 characters", () => {
    expect(refusal([{ subjects: [{ ...subject, message: 'bad!' }] }]).message).to.equal('--events: [0].subjects[0].message must be at most 512 letters, digits, spaces, dots, hyphens or underscores.');
    expect(refusal([{ subjects: [{ ...subject, message: 'a'.repeat(513) }] }]).code).to.equal('ERR_EVENTS_INVALID');
    expect(() => checkRiskEvents([{ subjects: [{ ...subject, message: 'a'.repeat(512) }] }])).to.not.throw();
  });

  it('refuses a timestamp that is not an ISO 8601 date-time', () => {
    expect(refusal([{ timestamp: '2021-01-20', subjects: [subject] }]).message).to.equal('--events: [0].timestamp must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
    expect(refusal([{ expiresAt: 'tomorrow', subjects: [subject] }]).message).to.equal('--events: [0].expiresAt must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z.');
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

  it('splits events into calls of at most 20, keeping their order', () => {
    const events = Array.from({ length: 45 }, (_, i) => ({ subjects: [{ ip: `10.0.0.${i}`, riskLevel: 'LOW' as const }] }));
    const batches = batchRiskEvents(events);
    expect(batches.map((b) => b.length)).to.deep.equal([20, 20, 5]);
    expect(batches.flat()).to.deep.equal(events);
  });
});
