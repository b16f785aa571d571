/**
 * The Risk Events API: `POST /api/v1/risk/events/ip`, where a linked provider's service app sends IP risk
 * signals. The route charges its own rate limit, per provider, so the order of checks is fixed:
 * authenticate → attribute to a provider → charge its bucket → parse and validate → consume.
 * Every answer after the charge carries the provider's `X-Rate-Limit-*` headers.
 */
import { RISK_EVENTS_PATH, RISK_EVENTS_SCOPE } from '../okta/risk-events.ts';
import { authenticate, type Principal } from './auth.ts';
import { OktaApiError } from './errors.ts';
import { errorReply, jsonBody, type EmulatorRequest, type Reply, type Route } from './http.ts';
import { recordEvent } from './log-writer.ts';
import type { Org } from './org.ts';
import { readRiskEventBatch, type RiskEvent } from './risk-validation.ts';
import type { ConsumedSignal, RiskProviderRecord } from './store.ts';

export const SIGNAL_CONSUME_EVENT = 'security.risk.signal.consume';
/** The first sentence of the catalog's description of `security.risk.signal.consume` (release 2025.06.1). */
const SIGNAL_CONSUME_MESSAGE = 'Fired when a 3rd party risk provider submits risk signals';

/**
 * The provider a caller sends for: the one whose `clientId` is the token's `cid`. An API token, or a
 * client no provider links, gets the spec's documented 403 E0000006.
 */
function senderProvider(principal: Principal, org: Org): RiskProviderRecord {
  if (principal.kind === 'bearer') {
    for (const provider of org.store.providers.values()) {
      if (provider.clientId === principal.clientId) return provider;
    }
  }
  throw new OktaApiError('E0000006');
}

/** Okta's Java `toString` rendering of the signals, e.g. `[{ip=1.2.3.4, riskLevel=HIGH}, …]`. */
function riskSignalList(events: RiskEvent[]): string {
  const items = events.flatMap((event) =>
    event.subjects.map((s) => `{ip=${s.ip}, riskLevel=${s.riskLevel}${s.message === undefined ? '' : `, message=${s.message}`}}`),
  );
  return `[${items.join(', ')}]`;
}

function consume(req: EmulatorRequest, org: Org, principal: Principal, provider: RiskProviderRecord, events: RiskEvent[]): void {
  const signals: ConsumedSignal[] = events.flatMap((event) =>
    event.subjects.map((subject) => ({
      providerId: provider.id,
      ...subject,
      ...(event.timestamp !== undefined && { timestamp: event.timestamp }),
      ...(event.expiresAt !== undefined && { expiresAt: event.expiresAt }),
    })),
  );
  org.store.addSignals(signals);
  // `none` means "no action": the signals are accepted but neither used nor logged.
  if (provider.action === 'none') return;
  recordEvent(
    org,
    req,
    {
      eventType: SIGNAL_CONSUME_EVENT,
      displayMessage: SIGNAL_CONSUME_MESSAGE,
      actor: null,
      target: [{ id: provider.id, type: 'RiskProvider', alternateId: provider.clientId, displayName: provider.name, detailEntry: null }],
      debugData: {
        riskSignalList: riskSignalList(events),
        riskSignalSize: String(signals.length),
        riskSignalProviderAction: provider.action.toUpperCase(),
        riskSignalProviderName: provider.name,
        riskSignalProviderId: provider.id,
      },
    },
    principal,
  );
}

export const riskEventsRoutes: Route[] = [
  {
    method: 'POST',
    path: RISK_EVENTS_PATH,
    rateLimit: 'handler',
    async handler(req, org): Promise<Reply> {
      const principal = await authenticate(req, org, RISK_EVENTS_SCOPE);
      const provider = senderProvider(principal, org);
      const limitHeaders = org.rateLimits.charge(`risk-events:${provider.id}`, org.settings.eventsRateLimit);
      try {
        const events = readRiskEventBatch(jsonBody(req));
        consume(req, org, principal, provider, events);
        return { status: 202, headers: limitHeaders };
      } catch (error) {
        const reply = errorReply(error);
        return { ...reply, headers: { ...limitHeaders, ...reply.headers } };
      }
    },
  },
];
