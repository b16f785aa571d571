/**
 * The Risk Events API transport: one planned call is one `POST /api/v1/risk/events/ip` with the provider's
 * access token (Bearer, or DPoP with a fresh proof per attempt for a DPoP-bound token), the call's events as
 * the body. 202 is acceptance; the rest is classified for the
 * delivery loop (see `transport.ts`).
 */
import type { AccessTokens } from './access-token.ts';
import { MAX_EVENTS_PER_CALL, MAX_SUBJECTS_PER_EVENT, type PlannedCall } from './signal.ts';
import type { DeliveryAttempt, OktaError, SignalTransport } from './transport.ts';

export const EVENTS_PATH = '/api/v1/risk/events/ip';

export interface EventsApiTransportOptions {
  orgUrl: string;
  tokens: AccessTokens;
  /** Per-request timeout; past it the answer counts as lost. Default 60 000 ms. */
  timeoutMs?: number;
}

export class EventsApiTransport implements SignalTransport {
  readonly name = `POST ${EVENTS_PATH}`;
  readonly limits = { eventsPerCall: MAX_EVENTS_PER_CALL, subjectsPerEvent: MAX_SUBJECTS_PER_EVENT };
  readonly #o: EventsApiTransportOptions;

  constructor(options: EventsApiTransportOptions) {
    this.#o = options;
  }

  async renewCredentials(): Promise<void> {
    await this.#o.tokens.renew();
  }

  async deliver(call: PlannedCall): Promise<DeliveryAttempt> {
    const url = this.#o.orgUrl + EVENTS_PATH;
    const authorization = await this.#o.tokens.authorize('POST', url);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', ...authorization },
        body: JSON.stringify(call.events),
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 60_000),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { outcome: { kind: 'lost', reason: cause ?? (error as Error).message } };
    }
    const headers = response.headers;
    const status = response.status;
    if (status === 202 || status === 200 || status === 204) return { outcome: { kind: 'accepted' }, headers };
    if (status === 429) return { outcome: { kind: 'rate-limited' }, headers };
    const error = oktaError(text);
    if (status >= 500) {
      // Okta's own error object says the API failed the call. A bare 502/504 is a proxy's word: the call may
      // have reached the org, so it counts as a lost answer.
      return error.errorCode ? { outcome: { kind: 'failed', status }, headers } : { outcome: { kind: 'lost', reason: `HTTP ${status} without Okta's error body` }, headers };
    }
    if (status === 401) return { outcome: { kind: 'unauthorized', error }, headers };
    return { outcome: { kind: 'rejected', status, error }, headers };
  }
}

function oktaError(text: string): OktaError {
  try {
    const body = JSON.parse(text) as OktaError;
    return typeof body === 'object' && body !== null ? body : {};
  } catch {
    return text ? { errorSummary: text.slice(0, 200) } : {};
  }
}
