/**
 * Packs spooled signals into the fewest events calls Okta's limits allow (50 subjects an event, 20 events a
 * call: 1,000 signals), HIGH first, then MEDIUM, then LOW. Subjects share an event only when they share
 * `timestamp` and `expiresAt`; an event may mix risk levels (each subject carries its own).
 *
 * Events form a queue in the order they are opened; a subject joins the open event of its (timestamp,
 * expiresAt) pair, or opens a new one at the back. Calls are cut from the front, 20 events at a time, once
 * those 20 are full. Because every level is read only after the one above it, an event holding a HIGH subject
 * is always ahead of every event opened for MEDIUM, so no MEDIUM signal goes out in an earlier call than a
 * HIGH one; the last HIGH event of a pair is topped up with MEDIUM subjects of the same pair instead of going
 * out half empty.
 *
 * Memory is bounded by {@link MAX_QUEUED_EVENTS}: when the queue is longer, the front 20 events go out as
 * they are. The packing is the fewest calls whenever no more than that many (timestamp, expiresAt) pairs are
 * open at once, and close to it beyond.
 */
import { MAX_EVENTS_PER_CALL, MAX_SUBJECTS_PER_EVENT, RISK_LEVELS, type PlannedCall, type RiskEventBody, type RiskLevel, type Signal } from './signal.ts';

export const MAX_QUEUED_EVENTS = 120;

/** Where each level's signals come from (a spool file; in tests an array). */
export type LevelSource = (level: RiskLevel) => AsyncIterable<Signal>;

export interface PackLimits {
  /** Default 20, Okta's. */
  eventsPerCall?: number;
  /** Default 50, Okta's. */
  subjectsPerEvent?: number;
}

interface QueuedEvent {
  body: RiskEventBody;
  levels: Record<RiskLevel, number>;
}

/** The planned calls, in sending order. */
export async function* packCalls(source: LevelSource, limits: PackLimits = {}): AsyncGenerator<PlannedCall> {
  const perCall = limits.eventsPerCall ?? MAX_EVENTS_PER_CALL;
  const perEvent = limits.subjectsPerEvent ?? MAX_SUBJECTS_PER_EVENT;
  const queue: QueuedEvent[] = [];
  const open = new Map<string, QueuedEvent>();
  let index = 0;
  const cut = (): PlannedCall => {
    const taken = queue.splice(0, perCall);
    const levels = { HIGH: 0, MEDIUM: 0, LOW: 0 };
    for (const event of taken) {
      for (const level of RISK_LEVELS) levels[level] += event.levels[level];
      // Frozen: an event that went out takes no more subjects.
      if (event.body.subjects.length < perEvent) open.delete(keyOf(event.body));
    }
    return { index: ++index, events: taken.map((e) => e.body), signals: taken.reduce((n, e) => n + e.body.subjects.length, 0), levels };
  };
  const frontIsFull = (): boolean => queue.length >= perCall && queue.slice(0, perCall).every((e) => e.body.subjects.length === perEvent);

  for (const level of RISK_LEVELS) {
    for await (const signal of source(level)) {
      const key = `${signal.timestamp ?? ''}|${signal.expiresAt ?? ''}`;
      let event = open.get(key);
      if (!event) {
        event = {
          body: {
            ...(signal.timestamp !== undefined && { timestamp: signal.timestamp }),
            ...(signal.expiresAt !== undefined && { expiresAt: signal.expiresAt }),
            subjects: [],
          },
          levels: { HIGH: 0, MEDIUM: 0, LOW: 0 },
        };
        queue.push(event);
        open.set(key, event);
      }
      event.body.subjects.push({
        ip: signal.ip,
        riskLevel: signal.riskLevel,
        ...(signal.message !== undefined && { message: signal.message }),
        ...(signal.email !== undefined && { email: signal.email }),
      });
      event.levels[level]++;
      if (event.body.subjects.length === perEvent) open.delete(key);
      while (frontIsFull() || queue.length > MAX_QUEUED_EVENTS) yield cut();
    }
  }
  while (queue.length > 0) yield cut();
}

function keyOf(event: RiskEventBody): string {
  return `${event.timestamp ?? ''}|${event.expiresAt ?? ''}`;
}
