/**
 * The unit `send` works in: one risk signal (a subject with the event fields it travels with), the problems
 * found in an input, and what a planned call carries. Input formats, packing and transports all speak these.
 */
import { MAX_EVENTS_PER_CALL, MAX_SUBJECTS_PER_EVENT, type RiskEvent, type RiskEventSubject, type RiskLevel } from '../okta/risk-events.ts';

export type { RiskLevel };
export { MAX_EVENTS_PER_CALL, MAX_SUBJECTS_PER_EVENT };

/** Okta's risk levels in sending order: HIGH first. */
export const RISK_LEVELS = ['HIGH', 'MEDIUM', 'LOW'] as const satisfies readonly RiskLevel[];

/** One subject to report, with the `timestamp`/`expiresAt` of the event it will travel in. */
export interface Signal {
  ip: string;
  riskLevel: RiskLevel;
  message?: string;
  timestamp?: string;
  expiresAt?: string;
  /** `--via ssf` only: the sign-in email of the user the signal is about (default `--subject-email`). */
  email?: string;
}


/** One problem of the input: the line it starts on, the field at fault (a path), and what is wrong. */
export interface InputIssue {
  line: number;
  field: string;
  message: string;
}

/**
 * A subject of an event in the Risk Events API's body; with `--via ssf` (one subject a call) also the
 * signal's user. `email` never reaches the Risk Events API: its records are refused with one.
 */
export type EventSubject = RiskEventSubject & { email?: string };

/** One event of the Risk Events API's body. */
export type RiskEventBody = Omit<RiskEvent, 'subjects'> & { subjects: EventSubject[] };

/** One planned call: its body, and how many signals of each level it carries. */
export interface PlannedCall {
  /** 1-based, in sending order. */
  index: number;
  events: RiskEventBody[];
  signals: number;
  levels: Record<RiskLevel, number>;
}

/** Okta's documented limits for `POST /api/v1/risk/events/ip` make at most 1,000 signals a call. */
export const MAX_SIGNALS_PER_CALL = MAX_EVENTS_PER_CALL * MAX_SUBJECTS_PER_EVENT;

export function formatIssue(issue: InputIssue): string {
  return `line ${issue.line}, ${issue.field}: ${issue.message}`;
}
