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

/** The SET `events` claim for one signal. */
export function userRiskChangeEvents(signal: Signal, options: { email: string; now: () => number }): Record<string, Record<string, unknown>> {
  const at = signal.timestamp === undefined ? options.now() : Date.parse(signal.timestamp);
  const reason = signal.message ? `${signal.message} (IP ${signal.ip})` : `IP ${signal.ip} is ${signal.riskLevel} risk`;
  return {
    [USER_RISK_CHANGE]: {
      event_timestamp: Math.floor(at / 1000),
      subject: { user: { format: 'email', email: options.email } },
      current_level: signal.riskLevel.toLowerCase(),
      previous_level: PREVIOUS_LEVEL,
      initiating_entity: 'system',
      reason_admin: { en: reason },
    },
  };
}
