/**
 * Turns one of `send`'s IP risk signals into the SSF event Okta's receiver takes for it: a
 * `user-risk-change` about the user seen at that IP. Okta's receiver has no event for an IP on its own (its six
 * types are about users, devices and sessions), so the user comes from the run (`--subject-email`), the
 * signal's level becomes `current_level`, and the IP and message go into `reason_admin`, which admins read in
 * the System Log.
 */
import { RISK_LEVELS as SSF_RISK_LEVELS } from '../okta/ssf.ts';
import type { Signal } from '../send/signal.ts';

export const USER_RISK_CHANGE = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';

/** What a signal does not say: the level the user had before. SSF's `none` ("no risk known"). */
export const PREVIOUS_LEVEL: (typeof SSF_RISK_LEVELS)[number] = 'none';

/** One `user-risk-change` event about a user, as Okta's receiver takes it. */
export interface UserRiskChange {
  /** The user's sign-in email (the subject, format `email`). */
  email: string;
  /** The level the user has now. */
  current: (typeof SSF_RISK_LEVELS)[number];
  /** The level the user had before. */
  previous: (typeof SSF_RISK_LEVELS)[number];
  /** `reason_admin.en`: what admins read in the System Log. */
  reason: string;
  /** When the change happened, milliseconds since the epoch (the event's `event_timestamp`, in seconds). */
  atMs: number;
}

/** The SET `events` claim for one `user-risk-change`, initiated by the system. */
export function userRiskChange(change: UserRiskChange): Record<string, Record<string, unknown>> {
  return {
    [USER_RISK_CHANGE]: {
      event_timestamp: Math.floor(change.atMs / 1000),
      subject: { user: { format: 'email', email: change.email } },
      current_level: change.current,
      previous_level: change.previous,
      initiating_entity: 'system',
      reason_admin: { en: change.reason },
    },
  };
}

/** The SET `events` claim for one signal. */
export function userRiskChangeEvents(signal: Signal, options: { email: string; now: () => number }): Record<string, Record<string, unknown>> {
  const at = signal.timestamp === undefined ? options.now() : Date.parse(signal.timestamp);
  const reason = signal.message ? `${signal.message} (IP ${signal.ip})` : `IP ${signal.ip} is ${signal.riskLevel} risk`;
  return userRiskChange({ email: options.email, current: signal.riskLevel.toLowerCase() as UserRiskChange['current'], previous: PREVIOUS_LEVEL, reason, atMs: at });
}
