/**
 * Okta's rules for `POST /api/v1/risk/events/ip` (management OpenAPI 2025.08.0, `RiskEvent` and
 * `RiskEventSubject`), held once: the emulator answers a request that breaks them with 400 E0000001 and these
 * causes, and the harness refuses an events file or a signal feed that breaks them before anything touches
 * the org, with the same texts. Neutral: imports neither side.
 *
 * Okta documents the shape and the limits but no error texts; the texts below are the emulator's, one per
 * rule, in Okta's `<field>: <message>` cause convention. Nothing is coerced: a number where a string belongs
 * is an error. Every rule is checked, so a caller sees every problem at once.
 *
 * Paths are JavaScript-style accessors from the checked value's root: `[0].subjects[1].ip` for a batch,
 * `subjects[1].ip` for one event; a rule about a whole batch uses `body`.
 */
import { isIpAddress, IP_MESSAGE } from './ip.ts';
import { fieldPath, isJsonObject, unknownFieldCauses, type Cause } from './issues.ts';
import { RISK_EVENTS_PER_CALL_MAX, RISK_MESSAGE_MAX, RISK_SUBJECTS_PER_EVENT_MAX } from './limits.ts';
import { compareRfc3339Instants, DATE_TIME_MESSAGE, parseRfc3339Instant, type Rfc3339Instant } from './time.ts';

export const RISK_EVENTS_PATH = '/api/v1/risk/events/ip';
export const RISK_EVENTS_SCOPE = 'okta.riskEvents.manage';

/** `RiskEventSubjectRiskLevel`. */
export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** A risk event subject as accepted: `message` only when the sender gave one. */
export interface RiskEventSubject {
  ip: string;
  riskLevel: RiskLevel;
  message?: string;
}

/** A risk event as accepted: `timestamp` and `expiresAt` only when the sender gave them. */
export interface RiskEvent {
  timestamp?: string;
  expiresAt?: string;
  subjects: RiskEventSubject[];
}

/** One events call's body. */
export type RiskEventBatch = RiskEvent[];

/** Okta's documented limits: events per call, subjects per event, characters per message. */
export const MAX_EVENTS_PER_CALL = RISK_EVENTS_PER_CALL_MAX;
export const MAX_SUBJECTS_PER_EVENT = RISK_SUBJECTS_PER_EVENT_MAX;
export const MAX_MESSAGE_LENGTH = RISK_MESSAGE_MAX;
/** The spec's `RiskEventSubject.message` pattern: spaces allowed, as every official example uses them. */
export const MESSAGE_PATTERN = /^[a-zA-Z0-9 .\-_]*$/;

export const EVENT_FIELDS = ['timestamp', 'expiresAt', 'subjects'] as const;
export const SUBJECT_FIELDS = ['ip', 'riskLevel', 'message'] as const;

/** The cause texts, one per rule. */
export const RISK_EVENT_MESSAGES = {
  required: 'is required',
  notString: 'must be a string',
  event: 'must be a JSON object with subjects and an optional timestamp and expiresAt',
  subject: 'must be a JSON object with ip, riskLevel and an optional message',
  ip: IP_MESSAGE,
  riskLevel: `must be one of ${RISK_LEVELS.join(', ')}`,
  messageLength: `must be at most ${MAX_MESSAGE_LENGTH} characters`,
  messagePattern: "may contain only letters, digits, spaces, '.', '-' and '_'",
  dateTime: DATE_TIME_MESSAGE,
  expiresAtOrder: 'must be after timestamp',
  subjectsType: `must be an array of 1 to ${MAX_SUBJECTS_PER_EVENT} subjects`,
  subjectsEmpty: 'must contain at least 1 subject',
  subjectsTooMany: (n: number) => `must contain at most ${MAX_SUBJECTS_PER_EVENT} subjects, got ${n}`,
  bodyType: `must be a JSON array of 1 to ${MAX_EVENTS_PER_CALL} risk events`,
  bodyEmpty: 'must contain at least 1 risk event',
  bodyTooMany: (n: number) => `must contain at most ${MAX_EVENTS_PER_CALL} risk events, got ${n}`,
} as const;

const M = RISK_EVENT_MESSAGES;

/** Every rule a subject breaks; `path` names the subject (`[0].subjects[1]`). */
export function riskEventSubjectCauses(subject: unknown, path: string): Cause[] {
  if (!isJsonObject(subject)) return [{ field: path, message: M.subject }];
  const causes = unknownFieldCauses(subject, SUBJECT_FIELDS, path);
  const { ip, riskLevel, message } = subject;
  const at = (key: string) => fieldPath(path, key);
  if (ip === undefined) causes.push({ field: at('ip'), message: M.required });
  else if (typeof ip !== 'string') causes.push({ field: at('ip'), message: M.notString });
  else if (!isIpAddress(ip)) causes.push({ field: at('ip'), message: M.ip });
  if (riskLevel === undefined) causes.push({ field: at('riskLevel'), message: M.required });
  else if (typeof riskLevel !== 'string' || !(RISK_LEVELS as readonly string[]).includes(riskLevel)) causes.push({ field: at('riskLevel'), message: M.riskLevel });
  if (message !== undefined) {
    if (typeof message !== 'string') causes.push({ field: at('message'), message: M.notString });
    else if (message.length > MAX_MESSAGE_LENGTH) causes.push({ field: at('message'), message: M.messageLength });
    else if (!MESSAGE_PATTERN.test(message)) causes.push({ field: at('message'), message: M.messagePattern });
  }
  return causes;
}

/** Every rule an event breaks; `path` names the event (`[0]`, or `''` when the event is the root). */
export function riskEventCauses(event: unknown, path: string): Cause[] {
  if (!isJsonObject(event)) return [{ field: path, message: M.event }];
  const causes = unknownFieldCauses(event, EVENT_FIELDS, path);
  const instants: Partial<Record<'timestamp' | 'expiresAt', Rfc3339Instant>> = {};
  for (const field of ['timestamp', 'expiresAt'] as const) {
    const value = event[field];
    if (value === undefined) continue;
    const instant = typeof value === 'string' ? parseRfc3339Instant(value) : undefined;
    if (instant === undefined) causes.push({ field: fieldPath(path, field), message: M.dateTime });
    else instants[field] = instant;
  }
  // An event that expires before (or as) it happens could never be in force; Okta documents no order, the stricter reading is taken.
  // Compared to the nanosecond, as Okta keeps 9 fraction digits.
  if (instants.timestamp !== undefined && instants.expiresAt !== undefined && compareRfc3339Instants(instants.expiresAt, instants.timestamp) <= 0) {
    causes.push({ field: fieldPath(path, 'expiresAt'), message: M.expiresAtOrder });
  }
  const { subjects } = event;
  const at = fieldPath(path, 'subjects');
  if (subjects === undefined) causes.push({ field: at, message: M.required });
  else if (!Array.isArray(subjects)) causes.push({ field: at, message: M.subjectsType });
  else if (subjects.length === 0) causes.push({ field: at, message: M.subjectsEmpty });
  else if (subjects.length > MAX_SUBJECTS_PER_EVENT) causes.push({ field: at, message: M.subjectsTooMany(subjects.length) });
  else subjects.forEach((subject: unknown, j) => causes.push(...riskEventSubjectCauses(subject, `${at}[${j}]`)));
  return causes;
}

/**
 * Every rule one events call's body breaks (empty when it is a valid batch): a JSON array of 1 to 20 events,
 * each valid. A body-level problem is reported alone, as Okta reads no further.
 */
export function riskEventBatchCauses(body: unknown): Cause[] {
  if (!Array.isArray(body)) return [{ field: 'body', message: M.bodyType }];
  if (body.length === 0) return [{ field: 'body', message: M.bodyEmpty }];
  if (body.length > MAX_EVENTS_PER_CALL) return [{ field: 'body', message: M.bodyTooMany(body.length) }];
  return body.flatMap((event: unknown, i) => riskEventCauses(event, `[${i}]`));
}

/** A checked event with only the fields the sender gave (call only on an event with no causes). */
export function toRiskEvent(event: Record<string, unknown>): RiskEvent {
  return {
    ...(event.timestamp !== undefined && { timestamp: event.timestamp as string }),
    ...(event.expiresAt !== undefined && { expiresAt: event.expiresAt as string }),
    subjects: (event.subjects as Array<Record<string, unknown>>).map((s) => ({
      ip: s.ip as string,
      riskLevel: s.riskLevel as RiskLevel,
      ...(s.message !== undefined && { message: s.message as string }),
    })),
  };
}
