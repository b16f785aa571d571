/**
 * The harness and the emulator apply one contract (`src/okta/risk-events.ts`): for every generated events file,
 * valid or broken, `verify`'s check, `send`'s check and the emulator answering `POST /api/v1/risk/events/ip`
 * over HTTP agree on accept or refuse, and on every cause text. Whatever the harness accepts also matches
 * Okta's OpenAPI `RiskEvent` schema.
 *
 * Deterministic: a fixed seed (EVENTS_AGREEMENT_SEED and EVENTS_AGREEMENT_RUNS explore further).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { HarnessError } from '../../src/errors.ts';
import { batchRiskEvents, checkRiskEvents, riskEventsCauses } from '../../src/events/risk-events.ts';
import type { Cause } from '../../src/okta/issues.ts';
import { MAX_EVENTS_PER_CALL } from '../../src/okta/risk-events.ts';
import { validateRecord } from '../../src/send/validate-signal.ts';
import { startRiskEventsOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSchema } from '../helpers/openapi.ts';

const SEED = Number(process.env.EVENTS_AGREEMENT_SEED ?? 20261204);
const RUNS = Number(process.env.EVENTS_AGREEMENT_RUNS ?? 400);

// ---- generators: every part of an event, valid or broken ----

const DAY = 86_400_000;
/** Years 0000–9999, what RFC 3339 can write; never an invalid Date (toISOString would throw). */
const instant = fc.date({ noInvalidDate: true, min: new Date('0000-01-02T00:00:00.000Z'), max: new Date('9999-12-30T23:59:59.999Z') });
/** Any Date JavaScript can hold: mostly six-digit years (`+012345-…`), which RFC 3339 cannot write. */
const farInstant = fc.date({ noInvalidDate: true, min: new Date(-8.64e15 + DAY), max: new Date(8.64e15 - DAY) });

const OFFSETS = ['+00:00', '+05:30', '-08:00', '+23:59', '-23:59', '+24:00', '+05:60'] as const;
type Rendering = 'iso' | 'seconds' | 'nanos' | 'ten-digits' | 'offset' | 'lower-case' | 'space' | 'no-zone' | 'date-only';
const rendering = fc.constantFrom<Rendering>('iso', 'iso', 'seconds', 'nanos', 'offset', 'offset', 'ten-digits', 'lower-case', 'space', 'no-zone', 'date-only');

/** `time` written the way `how` says (for an offset, the same instant in that zone's wall-clock time). */
function render(time: number, how: Rendering, offset: string): string {
  const iso = new Date(time).toISOString();
  switch (how) {
    case 'iso':
      return iso;
    case 'seconds':
      return iso.replace(/\.\d{3}Z$/, 'Z');
    case 'nanos':
      return iso.replace('Z', '123456Z');
    case 'ten-digits':
      return iso.replace('Z', '1234567Z');
    case 'offset': {
      const sign = offset.startsWith('-') ? -1 : 1;
      const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
      return new Date(time + minutes * 60_000).toISOString().replace('Z', offset);
    }
    case 'lower-case':
      return iso.toLowerCase();
    case 'space':
      return iso.replace('T', ' ');
    case 'no-zone':
      return iso.slice(0, -1);
    case 'date-only':
      return iso.slice(0, 10);
  }
}

const dateTime = fc.tuple(instant, rendering, fc.constantFrom(...OFFSETS)).map(([d, how, offset]) => render(d.getTime(), how, offset));
const brokenDateTime = fc.oneof(
  fc.constantFrom('2021-02-29T00:00:00Z', '2020-02-29T00:00:00Z', '2021-04-31T00:00:00Z', '2016-12-31T23:59:60Z', '2021-01-20T24:00:00Z', '2021-01-20T00:60:00Z', 'yesterday', ''),
  farInstant.map((d) => d.toISOString()),
  fc.string({ maxLength: 12 }),
  fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.constant({})),
);

/** `timestamp` and `expiresAt`: absent, alone, or an ordered, equal or reversed pair, each in any rendering. */
const times = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 2, arbitrary: dateTime.map((timestamp) => ({ timestamp })) },
  { weight: 1, arbitrary: dateTime.map((expiresAt) => ({ expiresAt })) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(instant, fc.constantFrom(-DAY, -1, 0, 1, 3_600_000, DAY), rendering, rendering, fc.constantFrom(...OFFSETS))
      .map(([d, delta, a, b, offset]) => ({ timestamp: render(d.getTime(), a, offset), expiresAt: render(d.getTime() + delta, b, offset) })),
  },
  { weight: 1, arbitrary: brokenDateTime.map((timestamp) => ({ timestamp })) },
  { weight: 1, arbitrary: brokenDateTime.map((expiresAt) => ({ expiresAt })) },
);

const validIp = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('::ffff:1.2.3.4', 'fe80::1', '::1', '0.0.0.0'));
const ip = fc.oneof(
  { weight: 8, arbitrary: validIp },
  { weight: 1, arbitrary: fc.ipV4Extended() },
  { weight: 1, arbitrary: fc.tuple(fc.ipV6(), fc.constantFrom('eth0', '1', 'en0', '')).map(([a, zone]) => `${a}%${zone}`) },
  { weight: 1, arbitrary: fc.constantFrom('1.1.1', '300.1.1.1', ' 1.1.1.1', '1.1.1.1 ', '01.1.1.1', '1.1.1.1/32', '[::1]', 'localhost', '', '2001:db8::g') },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.string({ maxLength: 12 })) },
);
const riskLevel = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('LOW', 'MEDIUM', 'HIGH') },
  { weight: 1, arbitrary: fc.constantFrom('low', 'High', 'SEVERE', 'NONE', '', ' HIGH') },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant(['HIGH'])) },
);
const message = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 .\-_]{0,40}$/) },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(512), 'b'.repeat(513), 'attack!', 'comma, here', 'é', 'line\nbreak', ' ') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)) },
);
const extraField = fc.tuple(fc.constantFrom('score', 'severity', 'IP', 'Subjects', '__proto__', 'constructor', ''), fc.jsonValue({ maxDepth: 1 }));

/** Sets `key` as an own member even when it is `__proto__`, as JSON.parse would. */
function withField(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

const subject = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record({ ip, riskLevel, message, drop: fc.constantFrom(undefined, undefined, undefined, undefined, 'ip', 'riskLevel'), extra: fc.option(extraField, { freq: 8, nil: undefined }) })
      .map(({ ip, riskLevel, message, drop, extra }) => {
        const s: Record<string, unknown> = { ip, riskLevel, ...(message !== undefined && { message }) };
        if (drop) delete s[drop];
        return extra ? withField(s, extra[0], extra[1]) : s;
      }),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null), fc.constant([])) },
);
const smallValidSubject = fc.record({ ip: validIp, riskLevel: fc.constantFrom('LOW', 'MEDIUM', 'HIGH') });
const subjects = fc.oneof(
  { weight: 10, arbitrary: fc.array(subject, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.tuple(smallValidSubject, fc.constantFrom(50, 51)).map(([s, n]) => Array.from({ length: n }, () => s)) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 'subjects', { ip: '1.1.1.1', riskLevel: 'LOW' }, 7) },
);
const event = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({ times, subjects, extra: fc.option(extraField, { freq: 10, nil: undefined }) }).map(({ times, subjects, extra }) => {
      const e: Record<string, unknown> = { ...times, ...(subjects !== undefined && { subjects }) };
      return extra ? withField(e, extra[0], extra[1]) : e;
    }),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null), fc.constant([])) },
);
const validEvent = fc.record({ subjects: fc.array(smallValidSubject, { minLength: 1, maxLength: 3 }) });

/** Events every rule allows, in all their forms: offsets, nanoseconds, IPv6, 512-character messages, 50 subjects. */
const goodRendering = fc.constantFrom<Rendering>('iso', 'seconds', 'nanos', 'offset');
const goodOffset = fc.constantFrom('+00:00', '+05:30', '-08:00', '+23:59', '-23:59');
const goodDateTime = fc.tuple(instant, goodRendering, goodOffset).map(([d, how, offset]) => render(d.getTime(), how, offset));
const goodTimes = fc.oneof(
  fc.constant({}),
  goodDateTime.map((timestamp) => ({ timestamp })),
  goodDateTime.map((expiresAt) => ({ expiresAt })),
  fc
    .tuple(instant, fc.constantFrom(1, 1000, 3_600_000, DAY), goodRendering, goodRendering, goodOffset)
    // `seconds` drops the milliseconds, so the later instant is rounded up to keep the order.
    .map(([d, delta, a, b, offset]) => ({ timestamp: render(d.getTime() - (d.getTime() % 1000), a, offset), expiresAt: render(d.getTime() - (d.getTime() % 1000) + 1000 + delta, b, offset) })),
);
const goodSubject = fc
  .record({ ip: validIp, riskLevel: fc.constantFrom('LOW', 'MEDIUM', 'HIGH'), message: fc.oneof(fc.constant(undefined), fc.stringMatching(/^[a-zA-Z0-9 .\-_]{0,40}$/), fc.constant('z'.repeat(512))) })
  .map(({ message, ...rest }) => ({ ...rest, ...(message !== undefined && { message }) }));
const goodEvent = fc.record({
  times: goodTimes,
  subjects: fc.oneof({ weight: 9, arbitrary: fc.array(goodSubject, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: smallValidSubject.map((s) => Array.from({ length: 50 }, () => s)) }),
}).map(({ times, subjects }) => ({ ...times, subjects }));

/** A whole events file: mostly 1–4 events; empty, not an array, or more than one call's 20 events. */
const payload = fc.oneof(
  { weight: 6, arbitrary: fc.array(goodEvent, { minLength: 1, maxLength: 4 }) },
  { weight: 8, arbitrary: fc.array(event, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(validEvent, { minLength: 18, maxLength: 45 }), fc.option(event, { nil: undefined }), fc.nat())
      .map(([events, odd, at]) => (odd === undefined ? events : [...events.slice(0, at % (events.length + 1)), odd, ...events.slice(at % (events.length + 1))])),
  },
  { weight: 1, arbitrary: fc.oneof(fc.constant({ subjects: [{ ip: '1.1.1.1', riskLevel: 'LOW' }] }), fc.constant(null), fc.string({ maxLength: 6 }), fc.integer()) },
);

// ---- the three checkers ----

function harnessAccepts(parsed: unknown): boolean {
  try {
    checkRiskEvents(parsed);
    return true;
  } catch (error) {
    if (!(error instanceof HarnessError) || error.code !== 'ERR_EVENTS_INVALID') throw error;
    return false;
  }
}

/** The event index a harness cause names (`[12].subjects[0].ip` → 12). */
function eventIndex(cause: Cause): number {
  return Number(/^\[(\d+)\]/.exec(cause.field)?.[1] ?? -1);
}

/** The harness's causes for the events of call `k`, with paths from that call's body, as Okta's errorCauses. */
function expectedCallCauses(causes: Cause[], k: number): string[] {
  const first = k * MAX_EVENTS_PER_CALL;
  return causes
    .filter((c) => eventIndex(c) >= first && eventIndex(c) < first + MAX_EVENTS_PER_CALL)
    .map((c) => `${c.field.replace(/^\[(\d+)\]/, (_, i: string) => `[${Number(i) - first}]`)}: ${c.message}`);
}

describe('the events contract: harness and emulator agree', function () {
  this.timeout(300_000);
  let org: TestOrg;
  let postEvents: (body: unknown) => Promise<CallResult>;

  before(async () => {
    ({ org, postEvents } = await startRiskEventsOrg());
  });
  after(() => org.close());

  async function emulatorCall(body: unknown): Promise<{ status: number; causes: string[] }> {
    const res = await postEvents(body);
    if (res.status === 202) return { status: 202, causes: [] };
    expect(res.status, res.text).to.equal(400);
    expect(res.body.errorCode).to.equal('E0000001');
    return { status: 400, causes: (res.body.errorCauses as Array<{ errorSummary: string }>).map((c) => c.errorSummary) };
  }

  it(`agree on accept or refuse, and on every cause, for ${RUNS} generated events files (seed ${SEED})`, async () => {
    const tally = { agreed: 0, accepted: 0, refused: 0, oversize: 0 };
    await fc.assert(
      fc.asyncProperty(payload, async (generated) => {
        // What verify reads from a file, and what goes over the wire, is the JSON text.
        const parsed: unknown = JSON.parse(JSON.stringify(generated));
        const causes = riskEventsCauses(parsed);
        const accepted = harnessAccepts(parsed);
        expect(accepted, 'checkRiskEvents throws exactly when riskEventsCauses finds a cause').to.equal(causes.length === 0);

        const events = Array.isArray(parsed) && parsed.length > 0 ? parsed : undefined;
        const calls: unknown[] = events ? batchRiskEvents(events) : [parsed];
        let emulatorAccepts = true;
        for (const [k, body] of calls.entries()) {
          const answer = await emulatorCall(body);
          if (answer.status !== 202) emulatorAccepts = false;
          // The same texts: the org's causes for each call are the harness's for that call's events.
          if (events) expect(answer.causes, `call ${k + 1}`).to.deep.equal(expectedCallCauses(causes, k));
        }
        expect(emulatorAccepts, 'the emulator accepts every call exactly when the harness accepts the file').to.equal(accepted);

        // send's check of a JSON input gives the same issues, event by event.
        events?.forEach((value, index) => {
          const checked = validateRecord({ kind: 'event', line: 1, index, value });
          const issues = 'issues' in checked ? checked.issues.map(({ field, message }) => ({ field, message })) : [];
          expect(issues, `send, event ${index}`).to.deep.equal(causes.filter((c) => eventIndex(c) === index));
        });

        // The contract is never looser than Okta's published schema.
        if (accepted) for (const e of events!) assertMatchesSchema('management', 'RiskEvent', e);

        tally.agreed++;
        tally[accepted ? 'accepted' : 'refused']++;
        if (calls.length > 1) tally.oversize++;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.log(`      harness and emulator agree on ${tally.agreed}/${RUNS} events files (${tally.accepted} accepted, ${tally.refused} refused, ${tally.oversize} over 20 events)`);
    expect(tally.agreed).to.equal(RUNS);
    // The generator must exercise both verdicts, or agreement would mean little.
    expect(tally.accepted).to.be.at.least(RUNS / 5);
    expect(tally.refused).to.be.at.least(RUNS / 5);
    expect(tally.oversize).to.be.at.least(RUNS / 50);
  });

  it('accepts the largest batch the rules allow, under the emulator body limit', async () => {
    const longestIp = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
    const batch = Array.from({ length: MAX_EVENTS_PER_CALL }, () => ({
      timestamp: '2021-01-20T00:00:00.123456789+05:30',
      expiresAt: '2021-01-21T00:00:00.123456789+05:30',
      subjects: Array.from({ length: 50 }, () => ({ ip: longestIp, riskLevel: 'MEDIUM', message: 'm'.repeat(512) })),
    }));
    expect(harnessAccepts(batch)).to.equal(true);
    expect((await emulatorCall(batch)).status).to.equal(202);
  });

  it('refuses a batch one subject over the limit on both sides', async () => {
    const batch = [{ subjects: Array.from({ length: 51 }, () => ({ ip: '1.1.1.1', riskLevel: 'LOW' })) }];
    expect(harnessAccepts(batch)).to.equal(false);
    expect(await emulatorCall(batch)).to.deep.equal({ status: 400, causes: ['[0].subjects: must contain at most 50 subjects, got 51'] });
  });
});
