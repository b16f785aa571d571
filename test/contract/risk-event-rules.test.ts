/**
 * Every rule of the risk events contract (`src/okta/risk-events.ts`), positive and negative, on both sides:
 * `verify --events` refuses the broken event with exit-2's ERR_EVENTS_INVALID and the exact text, and the
 * emulator answers the same event with 400 E0000001 and the same cause; each fixed event is accepted by both.
 */
import { expect } from 'chai';
import type { HarnessError } from '../../src/errors.ts';
import { checkRiskEvents } from '../../src/events/risk-events.ts';
import { startRiskEventsOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { harnessErrorOf } from '../helpers/errors.ts';

const ok = { ip: '1.1.1.1', riskLevel: 'HIGH' };
const DATE_TIME = 'must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z';

interface Rule {
  /** What the rule is, as the test titles read. */
  name: string;
  broken: unknown;
  field: string;
  message: string;
  /** The nearest event the rule allows. */
  fixed: unknown;
}

/** One broken and one fixed event per rule, each breaking exactly that rule. */
const RULES: Rule[] = [
  { name: 'an event is a JSON object', broken: 'event', field: '[0]', message: 'must be a JSON object with subjects and an optional timestamp and expiresAt', fixed: { subjects: [ok] } },
  { name: 'an event has only timestamp, expiresAt and subjects', broken: { subjects: [ok], score: 1 }, field: '[0].score', message: 'is not a recognized field; allowed fields are timestamp, expiresAt, subjects', fixed: { subjects: [ok] } },
  { name: 'subjects is required', broken: {}, field: '[0].subjects', message: 'is required', fixed: { subjects: [ok] } },
  { name: 'subjects is an array', broken: { subjects: ok }, field: '[0].subjects', message: 'must be an array of 1 to 50 subjects', fixed: { subjects: [ok] } },
  { name: 'subjects has at least 1 subject', broken: { subjects: [] }, field: '[0].subjects', message: 'must contain at least 1 subject', fixed: { subjects: [ok] } },
  { name: 'subjects has at most 50 subjects', broken: { subjects: Array.from({ length: 51 }, () => ok) }, field: '[0].subjects', message: 'must contain at most 50 subjects, got 51', fixed: { subjects: Array.from({ length: 50 }, () => ok) } },
  { name: 'a subject is a JSON object', broken: { subjects: ['1.1.1.1'] }, field: '[0].subjects[0]', message: 'must be a JSON object with ip, riskLevel and an optional message', fixed: { subjects: [ok] } },
  { name: 'a subject has only ip, riskLevel and message', broken: { subjects: [{ ...ok, score: 9 }] }, field: '[0].subjects[0].score', message: 'is not a recognized field; allowed fields are ip, riskLevel, message', fixed: { subjects: [ok] } },
  { name: 'ip is required', broken: { subjects: [{ riskLevel: 'HIGH' }] }, field: '[0].subjects[0].ip', message: 'is required', fixed: { subjects: [ok] } },
  { name: 'ip is a string', broken: { subjects: [{ ip: 16843009, riskLevel: 'HIGH' }] }, field: '[0].subjects[0].ip', message: 'must be a string', fixed: { subjects: [ok] } },
  { name: 'ip is an IPv4 address', broken: { subjects: [{ ip: '1.1.1', riskLevel: 'HIGH' }] }, field: '[0].subjects[0].ip', message: 'must be an IPv4 or IPv6 address', fixed: { subjects: [{ ip: '1.1.1.0', riskLevel: 'HIGH' }] } },
  { name: 'ip is an IPv6 address without a zone index', broken: { subjects: [{ ip: 'fe80::1%eth0', riskLevel: 'HIGH' }] }, field: '[0].subjects[0].ip', message: 'must be an IPv4 or IPv6 address', fixed: { subjects: [{ ip: 'fe80::1', riskLevel: 'HIGH' }] } },
  { name: 'riskLevel is required', broken: { subjects: [{ ip: '1.1.1.1' }] }, field: '[0].subjects[0].riskLevel', message: 'is required', fixed: { subjects: [ok] } },
  { name: 'riskLevel is LOW, MEDIUM or HIGH in upper case', broken: { subjects: [{ ip: '1.1.1.1', riskLevel: 'medium' }] }, field: '[0].subjects[0].riskLevel', message: 'must be one of LOW, MEDIUM, HIGH', fixed: { subjects: [{ ip: '1.1.1.1', riskLevel: 'MEDIUM' }] } },
  { name: 'message is a string', broken: { subjects: [{ ...ok, message: 42 }] }, field: '[0].subjects[0].message', message: 'must be a string', fixed: { subjects: [{ ...ok, message: '42' }] } },
  { name: 'message is at most 512 characters', broken: { subjects: [{ ...ok, message: 'm'.repeat(513) }] }, field: '[0].subjects[0].message', message: 'must be at most 512 characters', fixed: { subjects: [{ ...ok, message: 'm'.repeat(512) }] } },
  { name: "message holds only letters, digits, spaces, '.', '-' and '_'", broken: { subjects: [{ ...ok, message: 'bad ASN!' }] }, field: '[0].subjects[0].message', message: "may contain only letters, digits, spaces, '.', '-' and '_'", fixed: { subjects: [{ ...ok, message: 'bad ASN 64500 known-bad_list.v2' }] } },
  { name: 'timestamp is a string', broken: { timestamp: 1611100800001, subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2021-01-20T00:00:00.001Z', subjects: [ok] } },
  { name: 'timestamp has a zone', broken: { timestamp: '2021-01-20T00:00:00.001', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2021-01-20T00:00:00.001Z', subjects: [ok] } },
  { name: 'timestamp has a fraction of 1 to 9 digits after its dot', broken: { timestamp: '2021-01-20T00:00:00.Z', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2021-01-20T00:00:00.1Z', subjects: [ok] } },
  { name: 'timestamp has at most 9 fraction digits', broken: { timestamp: '2021-01-20T00:00:00.1234567890Z', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2021-01-20T00:00:00.123456789Z', subjects: [ok] } },
  { name: 'timestamp writes T and Z in upper case', broken: { timestamp: '2021-01-20t00:00:00.001z', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2021-01-20T00:00:00.001Z', subjects: [ok] } },
  { name: 'timestamp has an offset of at most 23:59', broken: { timestamp: '2021-01-20T00:00:00+24:00', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2021-01-20T00:00:00.5-23:59', subjects: [ok] } },
  { name: 'timestamp is a real calendar date', broken: { timestamp: '2021-02-29T00:00:00Z', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2020-02-29T00:00:00Z', subjects: [ok] } },
  { name: 'timestamp has no leap second', broken: { timestamp: '2016-12-31T23:59:60Z', subjects: [ok] }, field: '[0].timestamp', message: DATE_TIME, fixed: { timestamp: '2016-12-31T23:59:59.999999999Z', subjects: [ok] } },
  { name: 'expiresAt is an RFC 3339 date-time', broken: { expiresAt: '2021-01-21', subjects: [ok] }, field: '[0].expiresAt', message: DATE_TIME, fixed: { expiresAt: '2021-01-21T00:00:00+05:30', subjects: [ok] } },
  {
    name: 'expiresAt comes after timestamp, by instant and not by text',
    broken: { timestamp: '2021-01-20T00:00:00.000Z', expiresAt: '2021-01-20T01:00:00+01:00', subjects: [ok] },
    field: '[0].expiresAt',
    message: 'must be after timestamp',
    fixed: { timestamp: '2021-01-20T00:00:00.000Z', expiresAt: '2021-01-20T01:00:00.001+01:00', subjects: [ok] },
  },
];

const harnessRefusal = (events: unknown[]): HarnessError => harnessErrorOf(() => checkRiskEvents(events));

describe('the risk events rules, rule by rule, on both sides', function () {
  this.timeout(60_000);
  let org: TestOrg;
  let postEvents: (body: unknown) => Promise<CallResult>;

  before(async () => {
    ({ org, postEvents } = await startRiskEventsOrg());
  });
  after(() => org.close());


  for (const rule of RULES) {
    describe(rule.name, () => {
      it('verify refuses the broken event with ERR_EVENTS_INVALID, naming the path', () => {
        const error = harnessRefusal([rule.broken]);
        expect(error.code).to.equal('ERR_EVENTS_INVALID');
        expect(error.message).to.equal(`--events: ${rule.field} ${rule.message}.`);
      });

      it('the emulator answers the broken event with 400 E0000001 and the same cause', async () => {
        const res = await postEvents([rule.broken]);
        expect(res.status).to.equal(400);
        expect(res.body).to.include({ errorCode: 'E0000001', errorSummary: `Api validation failed: ${rule.field}` });
        expect(res.body.errorCauses).to.deep.equal([{ errorSummary: `${rule.field}: ${rule.message}` }]);
      });

      it('verify accepts the fixed event', () => {
        expect(checkRiskEvents([rule.fixed])).to.deep.equal([rule.fixed]);
      });

      it('the emulator accepts the fixed event with 202', async () => {
        expect((await postEvents([rule.fixed])).status).to.equal(202);
      });
    });
  }
});
