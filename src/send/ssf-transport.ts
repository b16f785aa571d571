/**
 * The SSF transport (`send --via ssf`): one planned call is one signal, sent as one Security Event Token to
 * `POST /security/api/v1/security-events` (`application/secevent+jwt`, no auth header: the signature is the
 * authentication). The signal becomes a `user-risk-change` event about the run's user (`src/ssf/signal-events.ts`).
 *
 * Every call keeps one `jti` for all its attempts; each attempt is signed anew (a fresh `iat`, so a SET that
 * waited for a rate-limit window is not too old), and Okta ignores a `jti` it has seen. A resend is therefore
 * the same message to the org (`replaySafe`): a lost answer is resent once instead of being set aside.
 *
 * Answers (RFC 8935 §2.3-2.4, as Okta documents them): 202 is acceptance (204, which one Okta demo expects, is
 * taken as acceptance too); 400 carries `{"err", "description"}`. `invalid_request` is about this SET's claims,
 * and the run goes on; `invalid_issuer`, `invalid_key`, `authentication_failed` and `invalid_audience` would
 * refuse every SET the same way (a wrong `--issuer`, `--key` or org), so the run stops there.
 */
import { randomUUID } from 'node:crypto';
import type { ProviderKeyPair } from '../keys/index.ts';
import { SET_MEDIA_TYPE, SET_PATH, type SetErrorCode } from '../okta/ssf.ts';
import { parseRfc3339Instant } from '../okta/time.ts';
import { mintSecurityEventToken } from '../ssf/mint-security-event-token.ts';
import { userRiskChangeEvents } from '../ssf/signal-events.ts';
import type { SendClock } from './pace.ts';
import type { PlannedCall, Signal } from './signal.ts';
import type { DeliveryAttempt, OktaError, SignalTransport } from './transport.ts';

/** The `err` values that say the org would refuse every SET of the run, not just this one. */
export const RUN_STOPPING_ERRS: readonly SetErrorCode[] = ['authentication_failed', 'invalid_audience', 'invalid_issuer', 'invalid_key'];

export interface SsfTransportOptions {
  /** The org URL, scheme and host: the SETs' `aud`. */
  orgUrl: string;
  /** The provider's registered issuer: the SETs' `iss`. */
  issuer: string;
  /** The RSA key the provider's JWKS publishes (its `kid` goes in the header). */
  keys: ProviderKeyPair;
  /** The sign-in email of the user a SET names when its signal names none (`email`). */
  subjectEmail?: string;
  clock: SendClock;
  /** Prefix of every `jti` (`<prefix>.<call index>`). Default: a random UUID, so no two runs share a `jti`. */
  jtiPrefix?: string;
  /** Per-request timeout; past it the answer counts as lost. Default 60 000 ms. */
  timeoutMs?: number;
}

export class SsfTransport implements SignalTransport {
  readonly name = `POST ${SET_PATH}`;
  readonly limits = { eventsPerCall: 1, subjectsPerEvent: 1 };
  readonly replaySafe = true;
  readonly #o: SsfTransportOptions;
  readonly #prefix: string;

  constructor(options: SsfTransportOptions) {
    this.#o = options;
    this.#prefix = options.jtiPrefix ?? randomUUID();
  }

  /** The `jti` of a call: the same for every attempt at it. */
  jtiOf(call: PlannedCall): string {
    return `${this.#prefix}.${call.index}`;
  }

  /** SETs carry no credentials but their signature; there is nothing to renew. */
  async renewCredentials(): Promise<void> {}

  async deliver(call: PlannedCall): Promise<DeliveryAttempt> {
    const { orgUrl, issuer, keys, subjectEmail, clock } = this.#o;
    const signal = signalOf(call);
    const email = signal.email ?? subjectEmail;
    if (email === undefined) throw new TypeError(`SsfTransport: call ${call.index} names no user and there is no subjectEmail`);
    const { token } = await mintSecurityEventToken({
      issuer,
      orgUrl,
      privateJwk: keys.privateJwk,
      kid: keys.kid,
      events: userRiskChangeEvents(signal, { email, now: clock.now }),
      currentDate: new Date(clock.now()),
      jti: this.jtiOf(call),
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(orgUrl + SET_PATH, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': SET_MEDIA_TYPE },
        body: token,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 60_000),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { outcome: { kind: 'lost', reason: cause ?? (error as Error).message } };
    }
    const { headers, status } = response;
    if (status === 202 || status === 204) return { outcome: { kind: 'accepted' }, headers };
    if (status === 429) return { outcome: { kind: 'rate-limited' }, headers };
    const error = setError(text);
    if (status >= 500) {
      // Only the org's own error body says it failed the SET; a bare 5xx may be a proxy's word.
      return error.errorCode ? { outcome: { kind: 'failed', status }, headers } : { outcome: { kind: 'lost', reason: `HTTP ${status} without an error body` }, headers };
    }
    const stopsRun = status === 400 && (RUN_STOPPING_ERRS as readonly string[]).includes(error.errorCode ?? '');
    return { outcome: { kind: 'rejected', status, error, ...(stopsRun && { stopsRun }) }, headers };
  }
}

/** The one signal of a call packed one subject a call. */
export function signalOf(call: PlannedCall): Signal {
  const event = call.events[0];
  const subject = event?.subjects[0];
  if (call.events.length !== 1 || !subject || event.subjects.length !== 1) throw new TypeError(`SsfTransport: call ${call.index} must hold exactly one signal`);
  return {
    ip: subject.ip,
    riskLevel: subject.riskLevel,
    ...(subject.message !== undefined && { message: subject.message }),
    ...(subject.email !== undefined && { email: subject.email }),
    ...(event.timestamp !== undefined && { timestamp: event.timestamp }),
    ...(event.expiresAt !== undefined && { expiresAt: event.expiresAt }),
  };
}

/** RFC 8935's `{"err", "description"}` as the delivery loop's error shape; Okta's error object when that is what came. */
function setError(text: string): OktaError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text ? { errorSummary: text.slice(0, 200) } : {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const { err, description, errorCode, errorSummary } = body as Record<string, unknown>;
  if (typeof err === 'string') return { errorCode: err, ...(typeof description === 'string' && { errorSummary: description.slice(0, 1000) }) };
  return { ...(typeof errorCode === 'string' && { errorCode }), ...(typeof errorSummary === 'string' && { errorSummary }) };
}

/** What a SET cannot carry of a signal that Okta's Risk Events rules allow (checked before anything is sent). */
export function ssfSignalProblem(signal: Signal): { field: 'timestamp' | 'expiresAt'; message: string } | undefined {
  if (signal.expiresAt !== undefined) {
    return {
      field: 'expiresAt',
      message: "has no place in a Security Event Token with --via ssf (Okta keeps a user's risk level until a later SET changes it); leave it out, or send with --via risk",
    };
  }
  if (signal.timestamp !== undefined) {
    const instant = parseRfc3339Instant(signal.timestamp);
    if (instant && instant.seconds < 0) {
      return { field: 'timestamp', message: "must be 1970-01-01T00:00:00Z or later with --via ssf (a SET's event_timestamp counts seconds since the epoch)" };
    }
  }
  return undefined;
}
