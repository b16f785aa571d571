/**
 * Okta's rules for what `send` reads, applied before anything is sent: a JSON input's events, or an NDJSON or
 * CSV line's subject, each turned into the signals it carries or the issues that name its line and field.
 *
 * The rules and their texts are the shared Okta contract for `POST /api/v1/risk/events/ip`
 * (`src/okta/risk-events.ts`, which the emulator answers with too); this module only maps the input's shapes onto it.
 */
import { riskEventCauses } from '../okta/risk-events.ts';
import type { InputRecord } from './read-signals.ts';
import { SIGN_IN_EMAIL } from '../config/send-settings.ts';
import type { InputIssue, Signal } from './signal.ts';

const SIGNAL_FIELDS = ['ip', 'riskLevel', 'message', 'timestamp', 'expiresAt'];

export type Checked = { signals: Signal[] } | { issues: InputIssue[] };

export interface ValidateOptions {
  /**
   * `--via ssf`: a line may name its user in `email`. `optional` when `--subject-email` gives the rest a
   * user, `required` when nothing does (an org with no `--subject-email`). Unset: `email` is refused.
   */
  email?: 'optional' | 'required';
}

/** Checks one record; a record that breaks a rule gives no signals at all. */
export function validateRecord(record: Exclude<InputRecord, { kind: 'issue' }>, options: ValidateOptions = {}): Checked {
  if (record.kind === 'event') {
    if (options.email === 'required') {
      return { issues: [{ line: record.line, field: `[${record.index}]`, message: 'names no user: a JSON array of risk events has no place for one, so --via ssf to an org needs --subject-email (or NDJSON or CSV with an email field)' }] };
    }
    // Paths from the input's root (`[3].subjects[1].ip`), as verify names them.
    const causes = riskEventCauses(record.value, `[${record.index}]`);
    if (causes.length > 0) return { issues: causes.map((c) => ({ line: record.line, ...c })) };
    const event = record.value as { timestamp?: string; expiresAt?: string; subjects: Array<Omit<Signal, 'timestamp' | 'expiresAt'>> };
    return {
      signals: event.subjects.map((s) => ({
        ...s,
        ...(event.timestamp !== undefined && { timestamp: event.timestamp }),
        ...(event.expiresAt !== undefined && { expiresAt: event.expiresAt }),
      })),
    };
  }
  const value = record.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { issues: [{ line: record.line, field: 'line', message: `must be a JSON object with ${SIGNAL_FIELDS.join(', ')}` }] };
  }
  const { email, ...fields } = value as Record<string, unknown>;
  if (email !== undefined && options.email === undefined) {
    return { issues: [{ line: record.line, field: 'email', message: 'applies to --via ssf only (a Security Event Token is about a user; the Risk Events API reports IPs); leave it out, or send with --via ssf' }] };
  }
  const unknown = Object.keys(fields).filter((k) => !SIGNAL_FIELDS.includes(k));
  if (unknown.length > 0) {
    const names = [...SIGNAL_FIELDS, ...(options.email ? ['email'] : [])].join(', ');
    return { issues: unknown.map((k) => ({ line: record.line, field: k, message: `is not a signal field; the fields are ${names}` })) };
  }
  const emailIssue = emailProblem(email, options.email);
  if (emailIssue !== undefined) return { issues: [{ line: record.line, field: 'email', message: emailIssue }] };
  const { timestamp, expiresAt, ...subject } = fields;
  const event = { ...(timestamp !== undefined && { timestamp }), ...(expiresAt !== undefined && { expiresAt }), subjects: [subject] };
  const causes = riskEventCauses(event, '');
  if (causes.length > 0) {
    return { issues: causes.map((c) => ({ line: record.line, field: c.field.replace(/^subjects\[0\]\./, ''), message: c.message })) };
  }
  return { signals: [{ ...(fields as unknown as Signal), ...(typeof email === 'string' && { email }) }] };
}

function emailProblem(email: unknown, rule: ValidateOptions['email']): string | undefined {
  if (email === undefined) {
    return rule === 'required' ? 'is required: nothing else names the user of this signal; give each line an email, or pass --subject-email for the lines without one' : undefined;
  }
  if (typeof email !== 'string' || !SIGN_IN_EMAIL.test(email)) return 'must be a sign-in email such as jane.doe@example.com';
  return undefined;
}
