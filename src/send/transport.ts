/**
 * The seam between the sending machinery (input, validation, packing, pacing, progress, exactly-once) and the
 * wire. A transport turns one planned call into one request and classifies the answer; everything else
 * (waiting for the window, resending, confirming a lost answer, reporting) is the delivery loop's.
 *
 * The Risk Events API (`events-api-transport.ts`) is the first transport. Another (SSF Security Event Tokens,
 * one per subject) declares its own `limits` so calls are packed to its shape, and its own credentials.
 */
import type { PlannedCall } from './signal.ts';

/** Okta's error object, as an error answer carries it. */
export interface OktaError {
  errorCode?: string;
  errorSummary?: string;
  errorCauses?: Array<{ errorSummary?: string }>;
}

/** What became of one attempt at a call. */
export type DeliveryOutcome =
  /** The org took the call (202). */
  | { kind: 'accepted' }
  /** 429: the org did nothing; send again after the reset. */
  | { kind: 'rate-limited' }
  /** 401: the credentials were refused and nothing happened; renew them and send again. */
  | { kind: 'unauthorized'; error: OktaError }
  /** A 5xx answer: the org says it failed, so nothing was taken; send again after a backoff. */
  | { kind: 'failed'; status: number }
  /**
   * A 4xx other than 401 and 429: the org refused the call; sending it again would not change that. A 400 is
   * about the call's content and the run goes on, unless `stopsRun` says the org would refuse every call the
   * same way (an SSF receiver's `invalid_issuer`, `invalid_key`, `authentication_failed`, `invalid_audience`).
   */
  | { kind: 'rejected'; status: number; error: OktaError; stopsRun?: boolean }
  /** No answer (a dropped connection, a timeout): the org may or may not have taken the call. */
  | { kind: 'lost'; reason: string };

export interface DeliveryAttempt {
  outcome: DeliveryOutcome;
  /** The answer's headers, for pacing; absent when no answer came. */
  headers?: Headers;
}

export interface SignalTransport {
  /** Shown in progress lines and the summary, e.g. `POST /api/v1/risk/events/ip`. */
  readonly name: string;
  /** The shape of one call: events per call, subjects per event. */
  readonly limits: { eventsPerCall: number; subjectsPerEvent: number };
  /**
   * True when a resend of a call is the same message to the org, which takes it at most once (an SSF SET keeps
   * its `jti`, and Okta ignores a `jti` it has seen). A lost answer nobody can check is then resent once
   * instead of being set aside. Default false (the Risk Events API cannot tell a resend from a new call).
   */
  readonly replaySafe?: boolean;
  /** Sends one call once. Never throws for what the org answers; throws a HarnessError for bad credentials. */
  deliver(call: PlannedCall): Promise<DeliveryAttempt>;
  /** Replaces credentials the org refused (a 401). */
  renewCredentials(): Promise<void>;
}
