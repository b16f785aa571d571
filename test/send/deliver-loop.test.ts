import { expect } from 'chai';
import { ManualClock } from '../../src/emulator/index.ts';
import { deliverCalls, MAX_REPLAY_DELAY_MS, type AcceptanceCheck, type DeliveryReport } from '../../src/send/deliver-calls.ts';
import { RateLimitPacer, RESET_MARGIN_MS } from '../../src/send/pace.ts';
import type { PlannedCall } from '../../src/send/signal.ts';
import type { DeliveryAttempt, DeliveryOutcome, SignalTransport } from '../../src/send/transport.ts';
import { manualSendClock } from './helpers.ts';

function plannedCalls(n: number, signals = 1000): PlannedCall[] {
  return Array.from({ length: n }, (_, i) => ({ index: i + 1, events: [], signals, levels: { HIGH: signals, MEDIUM: 0, LOW: 0 } }));
}

/** A transport that answers from a script, one outcome per attempt, and records what it was sent. */
function scripted(outcomes: Array<DeliveryOutcome | DeliveryAttempt>): SignalTransport & { sent: number[]; renewals: number } {
  const transport = {
    name: 'scripted',
    limits: { eventsPerCall: 20, subjectsPerEvent: 50 },
    sent: [] as number[],
    renewals: 0,
    async deliver(call: PlannedCall): Promise<DeliveryAttempt> {
      transport.sent.push(call.index);
      const next = outcomes.shift() ?? { kind: 'accepted' };
      return 'outcome' in next ? next : { outcome: next };
    },
    async renewCredentials() {
      transport.renewals++;
    },
  };
  return transport;
}

async function deliver(transport: SignalTransport, calls: PlannedCall[], confirm?: AcceptanceCheck): Promise<{ report: DeliveryReport; clock: ManualClock; unconfirmed: number[] }> {
  const clock = new ManualClock(Date.UTC(2026, 11, 3));
  const sendClock = manualSendClock(clock);
  const unconfirmed: number[] = [];
  const report = await deliverCalls({
    calls: (async function* () {
      yield* calls;
    })(),
    transport,
    pacer: new RateLimitPacer(sendClock),
    clock: sendClock,
    ...(confirm && { confirm }),
    onUnconfirmed: async (call) => void unconfirmed.push(call.index),
  });
  return { report, clock, unconfirmed };
}

const limitHeaders = (remaining: number, resetSeconds: number): Headers =>
  new Headers({ 'x-rate-limit-limit': '3', 'x-rate-limit-remaining': String(remaining), 'x-rate-limit-reset': String(resetSeconds) });

describe('send delivery loop', () => {
  it('renews the credentials once after a 401 and resends the call', async () => {
    const transport = scripted([{ kind: 'unauthorized', error: { errorCode: 'E0000011' } }]);
    const { report } = await deliver(transport, plannedCalls(2));
    expect(transport.renewals).to.equal(1);
    expect(transport.sent).to.deep.equal([1, 1, 2]);
    expect(report.acceptedCalls).to.equal(2);
  });

  it('stops when a renewed token is refused too, counting the rest as not sent', async () => {
    const refused: DeliveryOutcome = { kind: 'unauthorized', error: { errorCode: 'E0000011', errorSummary: 'Invalid token provided' } };
    const { report } = await deliver(scripted([refused, refused]), plannedCalls(3));
    expect(report.stopped).to.deep.equal({ reason: 'refused', status: 401, error: refused.error });
    expect(report.notSentSignals).to.equal(3000);
  });

  it('reports a 400 with Okta\'s error and goes on with the next call', async () => {
    const error = { errorCode: 'E0000001', errorSummary: 'Api validation failed: [0].subjects[0].ip' };
    const { report } = await deliver(scripted([{ kind: 'rejected', status: 400, error }]), plannedCalls(2));
    expect(report.rejections).to.deep.equal([{ call: 1, signals: 1000, status: 400, error }]);
    expect(report.acceptedCalls).to.equal(1);
    expect(report.stopped).to.equal(undefined);
  });

  it('stops at a 403, which every later call would meet too', async () => {
    const { report } = await deliver(scripted([{ kind: 'rejected', status: 403, error: { errorCode: 'E0000006' } }]), plannedCalls(2));
    expect(report.stopped).to.deep.include({ reason: 'refused', status: 403 });
    expect(report.notSentSignals).to.equal(1000);
  });

  it('resends after a 5xx with Okta\'s error body when nobody can check, and gives up after five attempts', async () => {
    const failed: DeliveryOutcome = { kind: 'failed', status: 500 };
    const once = await deliver(scripted([failed]), plannedCalls(1));
    expect(once.report.acceptedCalls).to.equal(1);
    expect(once.report.resent).to.equal(1);
    const always = await deliver(scripted([failed, failed, failed, failed, failed]), plannedCalls(1));
    expect(always.report.stopped).to.deep.equal({ reason: 'broken', message: 'call 1 failed 5 times, the last with HTTP 500' });
  });

  it('sets a lost answer aside, unsent, when nobody can check', async () => {
    const transport = scripted([{ kind: 'lost', reason: 'ECONNRESET' }]);
    const { report, unconfirmed } = await deliver(transport, plannedCalls(2));
    expect(transport.sent).to.deep.equal([1, 2]);
    expect(unconfirmed).to.deep.equal([1]);
    expect(report).to.deep.include({ unconfirmedCalls: 1, unconfirmedSignals: 1000, acceptedCalls: 1 });
  });

  it('adopts a lost answer the check finds taken, and resends one it finds missing', async () => {
    const taken = await deliver(scripted([{ kind: 'lost', reason: 'ECONNRESET' }]), plannedCalls(1), async () => true);
    expect(taken.report).to.deep.include({ adopted: 1, resent: 0, requests: 1, acceptedCalls: 1 });
    const missing = await deliver(scripted([{ kind: 'lost', reason: 'ECONNRESET' }]), plannedCalls(1), async () => false);
    expect(missing.report).to.deep.include({ adopted: 0, resent: 1, requests: 2, acceptedCalls: 1 });
  });

  it('waits until the reset when the headers say the budget is spent, and not otherwise', async () => {
    const start = Date.UTC(2026, 11, 3);
    const reset = start / 1000 + 60;
    const transport = scripted([
      { outcome: { kind: 'accepted' }, headers: limitHeaders(1, reset) },
      { outcome: { kind: 'accepted' }, headers: limitHeaders(0, reset) },
      { outcome: { kind: 'accepted' }, headers: limitHeaders(2, reset + 60) },
    ]);
    const { report, clock } = await deliver(transport, plannedCalls(3));
    expect(report.waitedMs).to.equal(60_000 + RESET_MARGIN_MS);
    expect(clock.now()).to.equal(start + 60_000 + RESET_MARGIN_MS);
  });

  it('after a 429 waits for its reset and sends the same call again', async () => {
    const start = Date.UTC(2026, 11, 3);
    const transport = scripted([{ outcome: { kind: 'rate-limited' }, headers: limitHeaders(0, start / 1000 + 30) }]);
    const { report } = await deliver(transport, plannedCalls(1));
    expect(transport.sent).to.deep.equal([1, 1]);
    expect(report).to.deep.include({ rateLimited: 1, waitedMs: 30_000 + RESET_MARGIN_MS, acceptedCalls: 1 });
  });

  it('after a 429 without rate-limit headers backs off from one second, doubling', async () => {
    const transport = scripted([{ kind: 'rate-limited' }, { kind: 'rate-limited' }]);
    const { report } = await deliver(transport, plannedCalls(1));
    expect(report.waitedMs).to.equal(1000 + 2000);
  });

  describe('with a replay-safe transport (SSF: a resend keeps its jti)', () => {
    const replaySafe = (outcomes: Array<DeliveryOutcome | DeliveryAttempt>) => Object.assign(scripted(outcomes), { replaySafe: true });

    it('resends a lost answer nobody can check once, as the same message, and counts the call once', async () => {
      const transport = replaySafe([{ kind: 'lost', reason: 'ECONNRESET' }]);
      const { report, unconfirmed } = await deliver(transport, plannedCalls(1, 1));
      expect(transport.sent).to.deep.equal([1, 1]);
      expect(unconfirmed).to.deep.equal([]);
      expect(report).to.deep.include({ replayResent: 1, acceptedCalls: 1, acceptedSignals: 1, unconfirmedCalls: 0 });
    });

    it('sets the call aside when the resend is lost too, never sending it a third time', async () => {
      const transport = replaySafe([
        { kind: 'lost', reason: 'ECONNRESET' },
        { kind: 'lost', reason: 'ECONNRESET' },
      ]);
      const { report, unconfirmed } = await deliver(transport, plannedCalls(2, 1));
      expect(transport.sent).to.deep.equal([1, 1, 2]);
      expect(unconfirmed).to.deep.equal([1]);
      expect(report).to.deep.include({ replayResent: 1, unconfirmedCalls: 1, acceptedCalls: 1 });
    });

    it(`sets the call aside instead of resending it more than ${MAX_REPLAY_DELAY_MS / 1000} s after the lost answer`, async () => {
      const now = Date.UTC(2026, 11, 3) / 1000;
      const transport = replaySafe([
        { kind: 'lost', reason: 'ECONNRESET' },
        { outcome: { kind: 'rate-limited' }, headers: limitHeaders(0, now + 120) },
      ]);
      const { report, unconfirmed } = await deliver(transport, plannedCalls(1, 1));
      expect(transport.sent).to.deep.equal([1, 1]);
      expect(unconfirmed).to.deep.equal([1]);
      expect(report).to.deep.include({ replayResent: 1, unconfirmedCalls: 1, acceptedCalls: 0 });
    });

    it('still resends a replay after a short rate-limit wait inside the window', async () => {
      const now = Date.UTC(2026, 11, 3) / 1000;
      const transport = replaySafe([
        { kind: 'lost', reason: 'ECONNRESET' },
        { outcome: { kind: 'rate-limited' }, headers: limitHeaders(0, now + 30) },
      ]);
      const { report } = await deliver(transport, plannedCalls(1, 1));
      expect(transport.sent).to.deep.equal([1, 1, 1]);
      expect(report).to.deep.include({ replayResent: 1, acceptedCalls: 1, unconfirmedCalls: 0 });
    });

    it('stops the run on a 400 the transport marks as refusing every call', async () => {
      const transport = replaySafe([{ kind: 'rejected', status: 400, error: { errorCode: 'invalid_issuer' }, stopsRun: true }]);
      const { report } = await deliver(transport, plannedCalls(3, 1));
      expect(transport.sent).to.deep.equal([1]);
      expect(report.stopped).to.deep.equal({ reason: 'refused', status: 400, error: { errorCode: 'invalid_issuer' } });
      expect(report.notSentSignals).to.equal(2);
    });

    it('goes on after a 400 that is about the call alone', async () => {
      const transport = replaySafe([{ kind: 'rejected', status: 400, error: { errorCode: 'invalid_request' } }]);
      const { report } = await deliver(transport, plannedCalls(3, 1));
      expect(transport.sent).to.deep.equal([1, 2, 3]);
      expect(report.stopped).to.equal(undefined);
      expect(report.acceptedCalls).to.equal(2);
    });
  });
});
