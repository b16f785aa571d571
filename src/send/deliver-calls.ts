/**
 * The delivery loop: every planned call goes out exactly once, in order, paced to the org's budget.
 *
 * - 429: the org did nothing; wait for the reset and send the same call again.
 * - 401: renew the credentials once and send again.
 * - a 5xx with Okta's error body: the org failed the call; back off and send again.
 * - no answer: the org may have taken the call. When a `confirm` check can ask the org (the emulator's System
 *   Log), its answer decides between adopting and resending. When it cannot (a real org with no admin token),
 *   the call is neither resent nor dropped: it is handed to `onUnconfirmed` (written to a file to check and
 *   send by hand) and the run goes on with the next call. A transport whose resend is the same message to the
 *   org (`replaySafe`: an SSF SET keeps its `jti`) resends it once first; only a second lost answer is set aside.
 * - a 400: the org refused the call's content; reported, and the run goes on. Another 4xx (403: no provider
 *   links this client) would refuse every call: the run stops there.
 */
import type { RateLimitPacer, SendClock } from './pace.ts';
import { RISK_LEVELS, type PlannedCall, type RiskLevel } from './signal.ts';
import type { OktaError, SignalTransport } from './transport.ts';

/** Did the org take `call`, given that `acceptedBefore` signals were taken before it? */
export type AcceptanceCheck = (call: PlannedCall, acceptedBefore: number) => Promise<boolean | 'unknown'>;

export interface Rejection {
  call: number;
  signals: number;
  status: number;
  error: OktaError;
}

export interface DeliveryEvents {
  /** Before a wait for the rate-limit window. */
  waiting?(ms: number): void;
  /** After each call's fate is known. */
  settled?(call: PlannedCall, fate: 'accepted' | 'adopted' | 'rejected' | 'unconfirmed', report: DeliveryReport): void;
  /** After an attempt that will be repeated, with why. */
  retrying?(call: PlannedCall, reason: string): void;
}

export interface DeliverOptions {
  calls: AsyncIterable<PlannedCall>;
  transport: SignalTransport;
  pacer: RateLimitPacer;
  clock: SendClock;
  confirm?: AcceptanceCheck;
  /** Called with a call whose answer was lost and could not be confirmed; it was not resent. */
  onUnconfirmed?(call: PlannedCall): Promise<void>;
  events?: DeliveryEvents;
  /** Aborting stops before the next attempt; the rest is counted as not sent. */
  signal?: AbortSignal;
  /** Attempts per call after 5xx answers and lost answers the check denies. Default 5. */
  maxAttempts?: number;
  /** 429s tolerated on one call before the run stops. Default 100. */
  maxRateLimited?: number;
}

export interface DeliveryReport {
  accepted: Record<RiskLevel, number>;
  acceptedSignals: number;
  acceptedCalls: number;
  /** Requests sent, first attempts and resends. */
  requests: number;
  rateLimited: number;
  /** Calls whose answer was lost and the org confirmed they were taken. */
  adopted: number;
  /** 5xx answers and denied lost answers, each followed by a resend. */
  resent: number;
  /**
   * Lost answers nobody could check, resent as the same message (`replaySafe` transports): the org takes it at
   * most once, so an acceptance of the resend counts the call once, whether the first attempt was taken or not.
   */
  replayResent: number;
  rejections: Rejection[];
  rejectedSignals: number;
  unconfirmedCalls: number;
  unconfirmedSignals: number;
  /** Signals never sent: the run stopped or was interrupted first. */
  notSentSignals: number;
  /** Why the run stopped early, when it did. */
  stopped?: { reason: 'interrupted' } | { reason: 'refused'; status: number; error: OktaError } | { reason: 'broken'; message: string };
  /** Virtual or real milliseconds waited for the rate-limit window. */
  waitedMs: number;
  /** The last answer's window reset (ms since the epoch), to measure the share of the budget used. */
  lastResetAt?: number;
}

/**
 * A replay-safe resend goes out at most this long after the lost answer, or the call is set aside instead: the
 * org forgets a `jti` after a window Okta does not publish (the emulator keeps it five minutes past `iat`), and
 * a resend after it would be taken a second time.
 */
export const MAX_REPLAY_DELAY_MS = 60_000;

export async function deliverCalls(options: DeliverOptions): Promise<DeliveryReport> {
  const { transport, pacer, events } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const maxRateLimited = options.maxRateLimited ?? 100;
  const report: DeliveryReport = {
    accepted: { HIGH: 0, MEDIUM: 0, LOW: 0 },
    acceptedSignals: 0,
    acceptedCalls: 0,
    requests: 0,
    rateLimited: 0,
    adopted: 0,
    resent: 0,
    replayResent: 0,
    rejections: [],
    rejectedSignals: 0,
    unconfirmedCalls: 0,
    unconfirmedSignals: 0,
    notSentSignals: 0,
    waitedMs: 0,
  };
  const accept = (call: PlannedCall, fate: 'accepted' | 'adopted'): void => {
    for (const level of RISK_LEVELS) report.accepted[level] += call.levels[level];
    report.acceptedSignals += call.signals;
    report.acceptedCalls++;
    if (fate === 'adopted') report.adopted++;
    events?.settled?.(call, fate, report);
  };

  const unconfirm = async (call: PlannedCall): Promise<void> => {
    report.unconfirmedCalls++;
    report.unconfirmedSignals += call.signals;
    await options.onUnconfirmed?.(call);
    events?.settled?.(call, 'unconfirmed', report);
  };

  for await (const call of options.calls) {
    if (report.stopped) {
      report.notSentSignals += call.signals;
      continue;
    }
    let failures = 0;
    let rateLimited = 0;
    let renewed = false;
    let replayedAt: number | undefined;
    for (;;) {
      await pacer.ready((ms) => events?.waiting?.(ms));
      report.waitedMs = pacer.waitedMs;
      if (replayedAt !== undefined && options.clock.now() - replayedAt > MAX_REPLAY_DELAY_MS) {
        // Too late for the org to still know the message: set aside, as if it could not be resent at all.
        await unconfirm(call);
        break;
      }
      if (options.signal?.aborted) {
        report.stopped = { reason: 'interrupted' };
        report.notSentSignals += call.signals;
        break;
      }
      report.requests++;
      const { outcome, headers } = await transport.deliver(call);
      pacer.observe(headers);
      if (pacer.state.resetAt !== undefined) report.lastResetAt = pacer.state.resetAt;
      if (outcome.kind === 'accepted') {
        accept(call, 'accepted');
        break;
      }
      if (outcome.kind === 'rate-limited') {
        report.rateLimited++;
        pacer.rateLimited(headers);
        if (++rateLimited > maxRateLimited) {
          report.stopped = { reason: 'broken', message: `call ${call.index} was answered 429 ${rateLimited} times in a row` };
          report.notSentSignals += call.signals;
          break;
        }
        events?.retrying?.(call, 'HTTP 429');
        continue;
      }
      if (outcome.kind === 'unauthorized') {
        if (renewed) {
          report.stopped = { reason: 'refused', status: 401, error: outcome.error };
          report.notSentSignals += call.signals;
          break;
        }
        renewed = true;
        await transport.renewCredentials();
        events?.retrying?.(call, 'HTTP 401: new token');
        continue;
      }
      if (outcome.kind === 'rejected') {
        report.rejections.push({ call: call.index, signals: call.signals, status: outcome.status, error: outcome.error });
        report.rejectedSignals += call.signals;
        events?.settled?.(call, 'rejected', report);
        if (outcome.status !== 400 || outcome.stopsRun) report.stopped = { reason: 'refused', status: outcome.status, error: outcome.error };
        break;
      }
      if (outcome.kind === 'lost' || options.confirm) {
        // The org may have taken it (a 5xx is only trusted as "not taken" when nobody can check).
        const taken = options.confirm ? await options.confirm(call, report.acceptedSignals) : 'unknown';
        if (taken === true) {
          accept(call, 'adopted');
          break;
        }
        if (taken === 'unknown' && transport.replaySafe && replayedAt === undefined) {
          // The same message again: the org takes it at most once, so a resend cannot double it.
          replayedAt = options.clock.now();
          report.replayResent++;
          events?.retrying?.(call, `no answer (${outcome.kind === 'lost' ? outcome.reason : `HTTP ${outcome.status}`}), the same message (same jti)`);
          await options.clock.sleep(500);
          continue;
        }
        if (taken === 'unknown') {
          await unconfirm(call);
          break;
        }
      }
      const reason = outcome.kind === 'lost' ? `no answer (${outcome.reason})` : `HTTP ${outcome.status}`;
      if (++failures >= maxAttempts) {
        report.stopped = { reason: 'broken', message: `call ${call.index} failed ${failures} times, the last with ${reason}` };
        report.notSentSignals += call.signals;
        break;
      }
      report.resent++;
      events?.retrying?.(call, reason);
      await options.clock.sleep(Math.min(500 * 2 ** (failures - 1), 8000));
    }
  }
  report.waitedMs = pacer.waitedMs;
  return report;
}

