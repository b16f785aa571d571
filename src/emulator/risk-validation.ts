/**
 * Strict validation of risk provider and risk event bodies, shared by `risk-providers.ts` and `risk-events.ts`.
 *
 * Every rule reports a `{field, message}` cause; handlers collect all of them and throw one
 * `validationFailed()` (400 E0000001), so a caller sees every problem of a request at once. Nothing is
 * coerced: a number where a string belongs is an error, not a string.
 *
 * Cause paths in a risk event batch are JavaScript-style accessors from the body's root, which is the array
 * itself: `[0].subjects[1].ip`; a rule about the whole body uses `body`.
 */
import { isIP } from 'node:net';
import { validationFailed } from './errors.ts';

/** One failing rule: the field (or path) at fault and what is wrong with it. */
export interface Cause {
  field: string;
  message: string;
}

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

/** Okta's documented limits for `POST /api/v1/risk/events/ip`. */
export const MAX_EVENTS_PER_REQUEST = 20;
export const MAX_SUBJECTS_PER_EVENT = 50;
export const MAX_MESSAGE_LENGTH = 512;
/** The spec's `RiskEventSubject.message` pattern (2025.08.0): spaces allowed, as every official example uses them. */
const MESSAGE_PATTERN = /^[a-zA-Z0-9 .\-_]*$/;

const EVENT_FIELDS = ['timestamp', 'expiresAt', 'subjects'] as const;
const SUBJECT_FIELDS = ['ip', 'riskLevel', 'message'] as const;

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One cause per key of `object` outside `allowed`, named `<prefix><key>`. */
export function unknownFieldCauses(object: Record<string, unknown>, allowed: readonly string[], prefix = ''): Cause[] {
  return Object.keys(object)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ field: `${prefix}${key}`, message: `is not a recognized field; allowed fields are ${allowed.join(', ')}` }));
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The instant of an RFC 3339 date-time (`2021-01-20T00:00:00.001Z`, `…+02:00`) in milliseconds, or
 * undefined when `value` is not one. Upper-case `T` and `Z` only, as Okta writes them; no leap seconds.
 */
export function parseRfc3339(value: string): number | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // Fractions finer than a millisecond are allowed by RFC 3339 but cannot change the order of two instants here.
  const millis = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

function subjectCauses(subject: unknown, path: string): Cause[] {
  if (!isJsonObject(subject)) {
    return [{ field: path, message: 'must be a JSON object with ip, riskLevel and an optional message' }];
  }
  const causes = unknownFieldCauses(subject, SUBJECT_FIELDS, `${path}.`);
  const { ip, riskLevel, message } = subject;
  if (ip === undefined) causes.push({ field: `${path}.ip`, message: 'is required' });
  else if (typeof ip !== 'string') causes.push({ field: `${path}.ip`, message: 'must be a string' });
  // A zone index (`fe80::1%eth0`) names an interface of the sender's host, never a routable subject.
  else if (isIP(ip) === 0 || ip.includes('%')) causes.push({ field: `${path}.ip`, message: 'must be an IPv4 or IPv6 address' });
  if (riskLevel === undefined) causes.push({ field: `${path}.riskLevel`, message: 'is required' });
  else if (typeof riskLevel !== 'string' || !(RISK_LEVELS as readonly string[]).includes(riskLevel)) {
    causes.push({ field: `${path}.riskLevel`, message: `must be one of ${RISK_LEVELS.join(', ')}` });
  }
  if (message !== undefined) {
    if (typeof message !== 'string') causes.push({ field: `${path}.message`, message: 'must be a string' });
    else if (message.length > MAX_MESSAGE_LENGTH) {
      causes.push({ field: `${path}.message`, message: `must be at most ${MAX_MESSAGE_LENGTH} characters` });
    } else if (!MESSAGE_PATTERN.test(message)) {
      causes.push({ field: `${path}.message`, message: "may contain only letters, digits, spaces, '.', '-' and '_'" });
    }
  }
  return causes;
}

function eventCauses(event: unknown, path: string): Cause[] {
  if (!isJsonObject(event)) {
    return [{ field: path, message: 'must be a JSON object with subjects and an optional timestamp and expiresAt' }];
  }
  const causes = unknownFieldCauses(event, EVENT_FIELDS, `${path}.`);
  const instants: Partial<Record<'timestamp' | 'expiresAt', number>> = {};
  for (const field of ['timestamp', 'expiresAt'] as const) {
    const value = event[field];
    if (value === undefined) continue;
    const instant = typeof value === 'string' ? parseRfc3339(value) : undefined;
    if (instant === undefined) {
      causes.push({ field: `${path}.${field}`, message: 'must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z' });
    } else {
      instants[field] = instant;
    }
  }
  if (instants.timestamp !== undefined && instants.expiresAt !== undefined && instants.expiresAt <= instants.timestamp) {
    causes.push({ field: `${path}.expiresAt`, message: 'must be after timestamp' });
  }
  const { subjects } = event;
  if (subjects === undefined) {
    causes.push({ field: `${path}.subjects`, message: 'is required' });
  } else if (!Array.isArray(subjects)) {
    causes.push({ field: `${path}.subjects`, message: `must be an array of 1 to ${MAX_SUBJECTS_PER_EVENT} subjects` });
  } else if (subjects.length === 0) {
    causes.push({ field: `${path}.subjects`, message: 'must contain at least 1 subject' });
  } else if (subjects.length > MAX_SUBJECTS_PER_EVENT) {
    causes.push({ field: `${path}.subjects`, message: `must contain at most ${MAX_SUBJECTS_PER_EVENT} subjects, got ${subjects.length}` });
  } else {
    subjects.forEach((subject: unknown, j) => causes.push(...subjectCauses(subject, `${path}.subjects[${j}]`)));
  }
  return causes;
}

/**
 * A `POST /api/v1/risk/events/ip` body, checked against every rule; throws 400 E0000001 naming every failing
 * path, or returns the batch with only the fields the sender gave.
 */
export function readRiskEventBatch(body: unknown): RiskEvent[] {
  if (!Array.isArray(body)) {
    throw validationFailed([{ field: 'body', message: `must be a JSON array of 1 to ${MAX_EVENTS_PER_REQUEST} risk events` }]);
  }
  if (body.length === 0) throw validationFailed([{ field: 'body', message: 'must contain at least 1 risk event' }]);
  if (body.length > MAX_EVENTS_PER_REQUEST) {
    throw validationFailed([{ field: 'body', message: `must contain at most ${MAX_EVENTS_PER_REQUEST} risk events, got ${body.length}` }]);
  }
  const causes = body.flatMap((event: unknown, i) => eventCauses(event, `[${i}]`));
  if (causes.length > 0) throw validationFailed(causes);
  // Every entry passed the checks above, so these reads are of the validated shapes.
  return (body as Array<Record<string, unknown>>).map((event) => ({
    ...(event.timestamp !== undefined && { timestamp: event.timestamp as string }),
    ...(event.expiresAt !== undefined && { expiresAt: event.expiresAt as string }),
    subjects: (event.subjects as Array<Record<string, unknown>>).map((s) => ({
      ip: s.ip as string,
      riskLevel: s.riskLevel as RiskLevel,
      ...(s.message !== undefined && { message: s.message as string }),
    })),
  }));
}
