/**
 * RFC 3339 date-times as Okta's APIs take them (`2021-01-20T00:00:00.001Z`, `…+02:00`). Neutral: imports
 * neither side.
 *
 * Okta documents `format: date-time` and writes `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`; it documents no edge cases.
 * The strict reading is taken: upper-case `T` and `Z` only, real calendar dates, no leap second (`:60`),
 * offsets up to ±23:59, and at most 9 fraction digits (nanoseconds, what Okta's Java `Instant` holds).
 */

/** The cause text for a value that is not such a date-time. */
export const DATE_TIME_MESSAGE = 'must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * An instant to the nanosecond: whole seconds since the epoch and the nanoseconds past them (0–999 999 999).
 * Both are exact integers (years 0000–9999 stay far below 2^53 seconds), so two instants compare exactly.
 */
export interface Rfc3339Instant {
  readonly seconds: number;
  readonly nanos: number;
}

/** The instant of an RFC 3339 date-time to the nanosecond, or undefined when `value` is not one. */
export function parseRfc3339Instant(value: string): Rfc3339Instant | undefined {
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
  // Date.UTC reads years 0–99 as 1900–1999; set the year afterwards so 0001 stays year 1.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  // The fraction's digits, right-padded to 9, are its nanoseconds as an integer: no floating point, nothing dropped.
  const nanos = m[7] ? Number(m[7].slice(1).padEnd(9, '0')) : 0;
  return { seconds: date.getTime() / 1000 - offsetMinutes * 60, nanos };
}

/** Negative when `a` is before `b`, zero when they are the same instant, positive when `a` is after `b`. */
export function compareRfc3339Instants(a: Rfc3339Instant, b: Rfc3339Instant): number {
  return a.seconds - b.seconds || a.nanos - b.nanos;
}

/**
 * The instant of an RFC 3339 date-time in whole milliseconds since the epoch (finer digits dropped), or
 * undefined when `value` is not one. Never order two instants by this; use compareRfc3339Instants.
 */
export function parseRfc3339(value: string): number | undefined {
  const instant = parseRfc3339Instant(value);
  return instant && instant.seconds * 1000 + Math.floor(instant.nanos / 1_000_000);
}
