/**
 * `verify --flow ssf --events <file>`: the SETs a run pushes, from a file of the transmitter's own events
 * instead of the run's two `user-risk-change` events. The file is a JSON array with one element per SET: that
 * SET's `events` claim, an object from event type URI to the event's claims, as the transmitter would send it:
 *
 *   [{ "https://schemas.okta.com/secevent/okta/event-type/device-risk-change": {
 *        "subject": { "user": { "format": "email", "email": "test.user@acme.com" }, "device": { "format": "opaque", "id": "d-1" } },
 *        "current_level": "low", "previous_level": "none", "reason_admin": { "en": "a test" } } }]
 *
 * Every event is checked against the shared SSF contract (`src/okta/ssf.ts`, which the emulator answers
 * with), with Okta's texts and paths, before anything is created. Choices where Okta is silent:
 * - an event without `event_timestamp` gets the run's time (seconds), so a file need not be rewritten per run;
 * - every event that names a user names the run's subject (`--subject-email`): the collection's System Log
 *   check confirms events about that one user; an event that names no user (a device alone) is pushed and
 *   not counted, since Okta logs only events about a known user;
 * - at most {@link MAX_SETS_PER_RUN} SETs, in a file of at most 16 MiB (`MAX_EVENTS_FILE_BYTES`).
 */
import { HarnessError } from '../errors.ts';
import { MAX_LISTED_PROBLEMS, readEventsJson } from '../events/risk-events.ts';
import { EVENT_TYPES, eventProblems, eventTypeRule, subjectEmail } from '../okta/ssf.ts';
import type { SetEvents } from './mint-security-event-token.ts';

/** The most SETs one run pushes from a file (our bound: one run's Newman pass and System Log check). */
export const MAX_SETS_PER_RUN = 100;

export interface LoadedSetEvents {
  /** Each SET's `events` claim, in the file's order, `event_timestamp` filled in where it was absent. */
  events: SetEvents[];
  /** How many events name the run's subject: the receive events the System Log must show. */
  expectedEventCount: number;
  /**
   * The risk levels the file leaves behind for the subject: the last `current_level` of each risk-change
   * event type about it, where that is not `none`. Okta keeps a level until a later SET changes it, and the
   * run does not set it back (unlike its own pair, which ends at none).
   */
  leftAt: Array<{ type: string; level: string }>;
}

/** The event types that set a risk level Okta keeps (`current_level`). */
const RISK_CHANGE_TYPES = ['user-risk-change', 'device-risk-change'];

export interface LoadSetEventsOptions {
  /** The run's subject (`--subject-email`). */
  subjectEmail: string;
  /** The run's clock: the `event_timestamp` of an event that has none. */
  nowMs: number;
  /** How the setting is named in messages. Default `--events`. */
  setting?: string;
}

interface Problem {
  path: string;
  message: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads and checks the file; HarnessError `ERR_FILE_UNREADABLE` or `ERR_EVENTS_INVALID` (exit code 2) naming the setting. */
export function loadSetEvents(file: string, options: LoadSetEventsOptions): LoadedSetEvents {
  const setting = options.setting ?? '--events';
  return checkSetEvents(readEventsJson(file, setting, 'a JSON array with one events object per SET; see the README, "verify --flow ssf --events"'), options);
}

/** Checks a parsed file; see {@link loadSetEvents}. */
export function checkSetEvents(payload: unknown, options: LoadSetEventsOptions): LoadedSetEvents {
  const setting = options.setting ?? '--events';
  const subject = options.subjectEmail.toLowerCase();
  const problems: Problem[] = [];
  const events: SetEvents[] = [];
  let expectedEventCount = 0;
  const lastLevel = new Map<string, string>();
  if (!Array.isArray(payload)) {
    problems.push({ path: 'the file', message: 'must hold a JSON array, one events object per SET' });
  } else if (payload.length === 0) {
    problems.push({ path: 'the array', message: 'must hold at least one SET' });
  } else if (payload.length > MAX_SETS_PER_RUN) {
    problems.push({ path: 'the array', message: `holds ${payload.length} SETs; a run pushes at most ${MAX_SETS_PER_RUN}` });
  } else {
    payload.forEach((set: unknown, i) => {
      if (!isObject(set)) return void problems.push({ path: `[${i}]`, message: 'must be an object from event type URI to the event' });
      const uris = Object.keys(set);
      if (uris.length === 0) return void problems.push({ path: `[${i}]`, message: 'must hold at least one event' });
      const filled: SetEvents = {};
      for (const uri of uris) {
        const rule = eventTypeRule(uri);
        if (!rule) {
          problems.push({ path: `[${i}][${JSON.stringify(uri)}]`, message: `is not an event type Okta's SSF receiver takes; it takes ${EVENT_TYPES.map((t) => t.uri).join(', ')}` });
          continue;
        }
        const given = set[uri];
        const event = isObject(given) && given.event_timestamp === undefined ? { ...given, event_timestamp: Math.floor(options.nowMs / 1000) } : given;
        const found = eventProblems(rule, event);
        problems.push(...found.map((p) => ({ path: `[${i}] ${p.path}`, message: p.message })));
        if (found.length > 0) continue;
        const claims = event as Record<string, unknown>;
        const email = subjectEmail(claims);
        if (email !== undefined && email.toLowerCase() !== subject) {
          problems.push({
            path: `[${i}] events.${rule.display}.subject.user.email`,
            message: `names ${email}, not the run's subject ${options.subjectEmail} (--subject-email): the System Log check confirms events about that one user`,
          });
          continue;
        }
        if (email !== undefined) {
          expectedEventCount++;
          if (RISK_CHANGE_TYPES.includes(rule.name)) lastLevel.set(rule.name, claims.current_level as string);
        }
        filled[uri] = claims;
      }
      events.push(filled);
    });
    if (problems.length === 0 && expectedEventCount === 0) {
      problems.push({
        path: 'the file',
        message: `has no event about the run's subject ${options.subjectEmail} ("subject": {"user": {"format": "email", "email": …}}); Okta logs only events about a user, so the run could confirm none`,
      });
    }
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${p.path}: ${p.message}`);
    const more = problems.length > MAX_LISTED_PROBLEMS ? `; and ${problems.length - MAX_LISTED_PROBLEMS} more` : '';
    throw new HarnessError('ERR_EVENTS_INVALID', `${setting}: ${listed.join('; ')}${more}.`, {
      setting,
      fix: `correct ${problems.length === 1 ? problems[0]!.path : 'those paths'} in the events file; see the README, "verify --flow ssf --events", for the format.`,
    });
  }
  const leftAt = [...lastLevel].filter(([, level]) => level !== 'none').map(([type, level]) => ({ type, level }));
  return { events, expectedEventCount, leftAt };
}
