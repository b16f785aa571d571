/**
 * Okta's rules for what `send` reads, applied before anything is sent: a JSON input's events, or an NDJSON or
 * CSV line's subject, each turned into the signals it carries or the issues that name its line and field.
 *
 * The rules and their texts are the shared Okta contract for `POST /api/v1/risk/events/ip`
 * (`src/okta/risk-events.ts`, which the emulator answers with too); this module only maps the input's shapes onto it.
 */
import { riskEventCauses } from '../okta/risk-events.ts';
import type { InputRecord } from './read-signals.ts';
import type { InputIssue, Signal } from './signal.ts';

const SIGNAL_FIELDS = ['ip', 'riskLevel', 'message', 'timestamp', 'expiresAt'];

export type Checked = { signals: Signal[] } | { issues: InputIssue[] };

/** Checks one record; a record that breaks a rule gives no signals at all. */
export function validateRecord(record: Exclude<InputRecord, { kind: 'issue' }>): Checked {
  if (record.kind === 'event') {
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
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !SIGNAL_FIELDS.includes(k));
  if (unknown.length > 0) {
    return { issues: unknown.map((k) => ({ line: record.line, field: k, message: `is not a signal field; the fields are ${SIGNAL_FIELDS.join(', ')}` })) };
  }
  const { timestamp, expiresAt, ...subject } = fields;
  const event = { ...(timestamp !== undefined && { timestamp }), ...(expiresAt !== undefined && { expiresAt }), subjects: [subject] };
  const causes = riskEventCauses(event, '');
  if (causes.length > 0) {
    return { issues: causes.map((c) => ({ line: record.line, field: c.field.replace(/^subjects\[0\]\./, ''), message: c.message })) };
  }
  return { signals: [fields as unknown as Signal] };
}
