/**
 * The emulator's side of the risk events contract: a `POST /api/v1/risk/events/ip` body checked against
 * `src/okta/risk-events.ts` (the rules and texts the harness checks its input with too), answered as Okta's
 * 400 E0000001 naming every failing path.
 */
import { riskEventBatchCauses, toRiskEvent, type RiskEvent } from '../okta/risk-events.ts';
import { validationFailed } from './errors.ts';

export type { RiskEvent, RiskEventSubject, RiskLevel } from '../okta/risk-events.ts';

/** Throws 400 E0000001 naming every failing path, or returns the batch with only the fields the sender gave. */
export function readRiskEventBatch(body: unknown): RiskEvent[] {
  const causes = riskEventBatchCauses(body);
  if (causes.length > 0) throw validationFailed(causes);
  // Every entry passed the checks above, so these reads are of the validated shapes.
  return (body as Array<Record<string, unknown>>).map(toRiskEvent);
}
