/**
 * The unit `send` works in: one risk signal (a subject with the event fields it travels with), the problems
 * found in an input, and what a planned call carries. Input formats, packing and transports all speak these.
 */

export const RISK_LEVELS = ['HIGH', 'MEDIUM', 'LOW'] as const;
/** In sending order: HIGH first. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** One subject to report, with the `timestamp`/`expiresAt` of the event it will travel in. */
export interface Signal {
  ip: string;
  riskLevel: RiskLevel;
  message?: string;
  timestamp?: string;
  expiresAt?: string;
}

/** One problem of the input: the line it starts on, the field at fault (a path), and what is wrong. */
export interface InputIssue {
  line: number;
  field: string;
  message: string;
}

/** A subject of an event in the Risk Events API's body. */
export interface EventSubject {
  ip: string;
  riskLevel: RiskLevel;
  message?: string;
}

/** One event of the Risk Events API's body. */
export interface RiskEventBody {
  timestamp?: string;
  expiresAt?: string;
  subjects: EventSubject[];
}

/** One planned call: its body, and how many signals of each level it carries. */
export interface PlannedCall {
  /** 1-based, in sending order. */
  index: number;
  events: RiskEventBody[];
  signals: number;
  levels: Record<RiskLevel, number>;
}

/** Okta's documented limits for `POST /api/v1/risk/events/ip`. */
export const MAX_EVENTS_PER_CALL = 20;
export const MAX_SUBJECTS_PER_EVENT = 50;
export const MAX_SIGNALS_PER_CALL = MAX_EVENTS_PER_CALL * MAX_SUBJECTS_PER_EVENT;

export function formatIssue(issue: InputIssue): string {
  return `line ${issue.line}, ${issue.field}: ${issue.message}`;
}
