/**
 * Every retry of a run, of any kind (a 429, a 5xx, a lost answer), as data: the summary names them, and a
 * report can show them. Retried requests appear once in the reports, with their final attempt; this is
 * where the earlier attempts are accounted for.
 */
import { describeCause, type RetryCause } from './retry.ts';
import type { PhaseReport } from './step-runner.ts';

export interface RetryRecord {
  /** The collection request's name, or the harness's own call (`GET /api/v1/risk/providers`). */
  call: string;
  /** `collection`: a request of the shared collection; `harness`: the harness's own call to the org. */
  source: 'collection' | 'harness';
  /** Why each earlier attempt was not kept, in order: "HTTP 429", "HTTP 500; the org had done it", "connection refused: …". */
  reasons: string[];
  /** The same causes, as data. */
  causes: RetryCause[];
}

export function collectRetries(phases: readonly PhaseReport<string>[], harnessRetries: ReadonlyArray<{ call: string; cause: RetryCause }>): RetryRecord[] {
  const records: RetryRecord[] = [];
  for (const request of phases.flatMap((p) => p.requests)) {
    if (request.causes.length > 0) records.push({ call: request.name, source: 'collection', reasons: request.causes.map(describeCause), causes: [...request.causes] });
  }
  for (const { call, cause } of harnessRetries) {
    const last = records.at(-1);
    // Consecutive retries of one harness call are one record.
    if (last?.source === 'harness' && last.call === call) {
      last.reasons.push(describeCause(cause));
      last.causes.push(cause);
    } else records.push({ call, source: 'harness', reasons: [describeCause(cause)], causes: [cause] });
  }
  return records;
}
