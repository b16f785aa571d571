/**
 * Risk events to send: the guide's sample by default, or a file. Checked here against Okta's documented rules
 * (so a bad file is refused before anything is created on the org) and split into calls of at most 20 events.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { HarnessError } from '../errors.ts';

export interface RiskEventSubject {
  ip: string;
  riskLevel: 'LOW' | 'MEDIUM' | 'HIGH';
  message?: string;
}

export interface RiskEvent {
  timestamp?: string;
  expiresAt?: string;
  subjects: RiskEventSubject[];
}

/** One events call's body. */
export type RiskEventBatch = RiskEvent[];

/** Okta's limits (Risk Events API reference). */
export const MAX_EVENTS_PER_CALL = 20;
export const MAX_SUBJECTS_PER_EVENT = 50;
const MESSAGE_PATTERN = /^[a-zA-Z0-9 .\-_]*$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** The guide's sample payload ("Send a risk event to Okta"). */
export const GUIDE_SAMPLE_EVENTS: RiskEvent[] = [
  {
    timestamp: '2021-01-20T00:00:00.001Z',
    subjects: [
      { ip: '6.7.6.7', riskLevel: 'LOW', message: 'none' },
      { ip: '1.1.1.1', riskLevel: 'HIGH', message: 'Detected Attack tooling and suspicious activity' },
    ],
  },
];

function fail(setting: string, path: string, problem: string): never {
  throw new HarnessError('ERR_EVENTS_INVALID', `${setting}: ${path} ${problem}.`, {
    setting,
    fix: `correct ${path} in the events file; see the README's "Risk events" section for the format.`,
  });
}

function checkTimestamp(value: unknown, setting: string, path: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    fail(setting, path, 'must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z');
  }
}

/** Checks a parsed payload against Okta's rules; the events of any number of calls may be given. */
export function checkRiskEvents(payload: unknown, setting = '--events'): RiskEvent[] {
  if (!Array.isArray(payload)) fail(setting, 'the file', 'must hold a JSON array of risk events');
  if (payload.length === 0) fail(setting, 'the array', 'must hold at least one event');
  payload.forEach((event: unknown, i) => {
    const at = `[${i}]`;
    if (!event || typeof event !== 'object' || Array.isArray(event)) fail(setting, at, 'must be an object');
    for (const key of Object.keys(event)) {
      if (!['timestamp', 'expiresAt', 'subjects'].includes(key)) fail(setting, `${at}.${key}`, 'is not a risk event field (timestamp, expiresAt, subjects)');
    }
    const { timestamp, expiresAt, subjects } = event as Record<string, unknown>;
    checkTimestamp(timestamp, setting, `${at}.timestamp`);
    checkTimestamp(expiresAt, setting, `${at}.expiresAt`);
    if (!Array.isArray(subjects) || subjects.length < 1 || subjects.length > MAX_SUBJECTS_PER_EVENT) {
      fail(setting, `${at}.subjects`, `must be an array of 1 to ${MAX_SUBJECTS_PER_EVENT} subjects`);
    }
    subjects.forEach((subject: unknown, j) => {
      const sat = `${at}.subjects[${j}]`;
      if (!subject || typeof subject !== 'object' || Array.isArray(subject)) fail(setting, sat, 'must be an object');
      for (const key of Object.keys(subject)) {
        if (!['ip', 'riskLevel', 'message'].includes(key)) fail(setting, `${sat}.${key}`, 'is not a subject field (ip, riskLevel, message)');
      }
      const { ip, riskLevel, message } = subject as Record<string, unknown>;
      if (typeof ip !== 'string' || isIP(ip) === 0) fail(setting, `${sat}.ip`, 'must be an IPv4 or IPv6 address');
      if (riskLevel !== 'LOW' && riskLevel !== 'MEDIUM' && riskLevel !== 'HIGH') fail(setting, `${sat}.riskLevel`, 'must be LOW, MEDIUM or HIGH');
      if (message !== undefined && (typeof message !== 'string' || message.length > 512 || !MESSAGE_PATTERN.test(message))) {
        fail(setting, `${sat}.message`, 'must be at most 512 letters, digits, spaces, dots, hyphens or underscores');
      }
    });
  });
  return payload as RiskEvent[];
}

/** Reads and checks an events file. */
export function loadRiskEvents(file: string | undefined, setting = '--events'): RiskEvent[] {
  if (file === undefined) return structuredClone(GUIDE_SAMPLE_EVENTS);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new HarnessError('ERR_FILE_UNREADABLE', `${setting} ${file} cannot be read.`, { setting, fix: `point ${setting} at a readable JSON file.` });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new HarnessError('ERR_EVENTS_INVALID', `${setting} ${file} is not valid JSON: ${(error as Error).message}.`, {
      setting,
      fix: 'fix the JSON syntax (a JSON array of risk events, as in the guide).',
    });
  }
  return checkRiskEvents(payload, setting);
}

/** Splits events into call bodies of at most 20 events, in order. */
export function batchRiskEvents(events: RiskEvent[]): RiskEventBatch[] {
  const batches: RiskEventBatch[] = [];
  for (let i = 0; i < events.length; i += MAX_EVENTS_PER_CALL) batches.push(events.slice(i, i + MAX_EVENTS_PER_CALL));
  return batches;
}

/** How many signals (subjects) the events carry: what the System Log must account for. */
export function countSignals(events: RiskEvent[]): number {
  return events.reduce((n, e) => n + e.subjects.length, 0);
}
