/**
 * Risk events to send: the guide's sample by default, or a file. Checked here against Okta's rules, the shared
 * contract in `src/okta/risk-events.ts` that the emulator answers with too (so a bad file is refused before
 * anything is created on the org, with the texts the org would use), and split into calls of at most 20 events.
 */
import { readFileSync, statSync } from 'node:fs';
import { HarnessError } from '../errors.ts';
import type { Cause } from '../okta/issues.ts';
import { MAX_EVENTS_PER_CALL, riskEventCauses, type RiskEvent, type RiskEventBatch } from '../okta/risk-events.ts';

export { MAX_EVENTS_PER_CALL, MAX_SUBJECTS_PER_EVENT } from '../okta/risk-events.ts';
export type { RiskEvent, RiskEventBatch, RiskEventSubject } from '../okta/risk-events.ts';

/** How many problems an error message lists; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 10;

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

/**
 * Every rule a payload breaks: a non-empty JSON array of any number of events (they are sent 20 a call), each
 * event checked by the contract. Paths are from the payload's root (`[0].subjects[1].ip`).
 */
export function riskEventsCauses(payload: unknown): Cause[] {
  if (!Array.isArray(payload)) return [{ field: 'the file', message: 'must hold a JSON array of risk events' }];
  if (payload.length === 0) return [{ field: 'the array', message: 'must hold at least one event' }];
  return payload.flatMap((event: unknown, i) => riskEventCauses(event, `[${i}]`));
}

/** Checks a parsed payload against Okta's rules; the events of any number of calls may be given. */
export function checkRiskEvents(payload: unknown, setting = '--events'): RiskEvent[] {
  const causes = riskEventsCauses(payload);
  if (causes.length === 0) return payload as RiskEvent[];
  const listed = causes.slice(0, MAX_LISTED_PROBLEMS).map((c) => `${c.field} ${c.message}`);
  const more = causes.length > MAX_LISTED_PROBLEMS ? `; and ${causes.length - MAX_LISTED_PROBLEMS} more` : '';
  const first = causes[0]!.field;
  throw new HarnessError('ERR_EVENTS_INVALID', `${setting}: ${listed.join('; ')}${more}.`, {
    setting,
    fix: `correct ${causes.length === 1 ? first : 'those paths'} in the events file; see the README's "Risk events" section for the format.`,
  });
}

/**
 * The most an events file may hold (verify's and env's `--events`, of risk events or SET events): 16 MiB is
 * about 100,000 risk events, a day of calls at the guide's rate limit. Our bound; `send` streams its input.
 */
export const MAX_EVENTS_FILE_BYTES = 16 * 1024 * 1024;

/**
 * An events file, read whole and parsed: ERR_FILE_UNREADABLE when it cannot be read, ERR_EVENTS_INVALID when
 * it is over the bound or not JSON (`shape` says in the fix line what the file should hold).
 */
export function readEventsJson(file: string, setting: string, shape: string): unknown {
  const text = readEventsFile(file, setting);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HarnessError('ERR_EVENTS_INVALID', `${setting} ${file} is not valid JSON: ${(error as Error).message}.`, { setting, fix: `fix the JSON syntax (${shape}).` });
  }
}

function readEventsFile(file: string, setting: string): string {
  const unreadable = (): HarnessError => new HarnessError('ERR_FILE_UNREADABLE', `${setting} ${file} cannot be read.`, { setting, fix: `point ${setting} at a readable JSON file.` });
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw unreadable();
    size = stat.size;
  } catch {
    throw unreadable();
  }
  if (size > MAX_EVENTS_FILE_BYTES) {
    throw new HarnessError('ERR_EVENTS_INVALID', `${setting} ${file} is ${size.toLocaleString('en-US')} bytes; an events file may hold at most 16 MiB (${MAX_EVENTS_FILE_BYTES.toLocaleString('en-US')} bytes).`, {
      setting,
      fix: 'split it, or send a feed of that size with okta-risk send, which streams its input.',
    });
  }
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw unreadable();
  }
}

/** Reads and checks an events file. */
export function loadRiskEvents(file: string | undefined, setting = '--events'): RiskEvent[] {
  if (file === undefined) return structuredClone(GUIDE_SAMPLE_EVENTS);
  return checkRiskEvents(readEventsJson(file, setting, 'a JSON array of risk events, as in the guide'), setting);
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
