/**
 * Writes System Log events in Okta's `LogEvent` shape. Every field the schema marks non-null (`uuid`,
 * `published`, `eventType`, `version`, `severity`) is always set; the rest follows Okta's published examples.
 */
import { randomUUID } from 'node:crypto';
import { clipText, LOG_OUTCOME_REASON_MAX, LOG_TEXT_MAX, LOG_URL_MAX, USER_AGENT_MAX } from '../okta/limits.ts';
import { isoNow } from './clock.ts';
import type { EmulatorRequest } from './http.ts';
import type { Org } from './org.ts';
import { ADMIN_USER, type LogEventRecord } from './store.ts';
import type { Principal } from './auth.ts';

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: Record<string, unknown> | null;
}

export interface LogTarget {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry?: Record<string, unknown> | null;
}

export interface LogInput {
  eventType: string;
  displayMessage: string;
  severity?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  outcome?: { result: string; reason?: string | null };
  /** Who acted; defaults to the caller. `null` for events the catalog gives no actor (risk signals). */
  actor?: LogActor | null;
  target?: LogTarget[];
  /** Extra `debugContext.debugData` entries. Okta's values are strings. */
  debugData?: Record<string, string>;
  legacyEventType?: string | null;
}

/** The actor for a caller: the admin who owns the API token, or the OAuth client of a bearer token. */
export function actorFor(principal: Principal | undefined, org: Org): LogActor {
  if (principal?.kind === 'bearer') {
    const app = org.store.apps.get(principal.clientId);
    const name = app?.metadata.client_name ?? principal.clientId;
    return { id: principal.clientId, type: 'PublicClientApp', alternateId: name, displayName: name, detailEntry: null };
  }
  return { ...ADMIN_USER, detailEntry: null };
}

/**
 * Drops `null` members, recursively. Okta's System Log docs say most members may be null, but its OpenAPI
 * declares them non-nullable; leaving them out satisfies both readings.
 */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  ) as T;
}

/** `debugData` with every value cut to `LOG_TEXT_MAX`: the caller-controlled text an event keeps. */
function clippedDebugData(debugData: Record<string, string> | undefined): Record<string, string> {
  if (!debugData) return {};
  return Object.fromEntries(Object.entries(debugData).map(([key, value]) => [key, clipText(value, LOG_TEXT_MAX)]));
}

/**
 * Records an event. What the event needs is captured now (the actor's name, the request's details, the time);
 * the full `LogEvent` object is built the first time someone reads it, so a busy events sender does not pay
 * for building and keeping kilobytes of log per call that nobody may ever query. Request data is cut to the
 * contract's limits (`src/okta/limits.ts`) before it is kept, so every event is bounded whatever the request.
 */
export function recordEvent(org: Org, req: EmulatorRequest, input: LogInput, principal?: Principal): void {
  const published = isoNow(org.clock);
  const userAgent = clipText(String(req.headers['user-agent'] ?? 'UNKNOWN'), USER_AGENT_MAX);
  const { ip, requestId } = req;
  const fullUrl = req.rawQuery ? `${req.path}?${req.rawQuery}` : req.path;
  const url = clipText(fullUrl, LOG_URL_MAX);
  // The path is a slice of the request target: past the limit it is copied, so the long target is not kept alive.
  const requestUri = url === fullUrl ? req.path : (JSON.parse(JSON.stringify(clipText(req.path, LOG_URL_MAX))) as string);
  const reason = input.outcome?.reason == null ? null : clipText(input.outcome.reason, LOG_OUTCOME_REASON_MAX);
  const debugData = clippedDebugData(input.debugData);
  // Only what the event needs is captured: the closure below must not keep the caller's unclipped input alive.
  const { eventType, displayMessage, severity = 'INFO', legacyEventType = null, target = [] } = input;
  const result = input.outcome?.result ?? 'SUCCESS';
  const actor = input.actor === undefined ? actorFor(principal, org) : input.actor;
  const uuid = randomUUID();
  let built: LogEventRecord['event'] | undefined;
  const build = (): LogEventRecord['event'] =>
    withoutNulls({
      uuid,
      published,
      eventType,
      version: '0',
      severity,
      legacyEventType,
      displayMessage,
      actor,
      client: {
        userAgent: { rawUserAgent: userAgent, os: 'Unknown', browser: 'UNKNOWN' },
        zone: 'null',
        device: 'Unknown',
        id: principal?.kind === 'bearer' ? principal.clientId : null,
        ipAddress: ip,
        geographicalContext: null,
      },
      device: null,
      authenticationContext: {
        authenticationProvider: null,
        credentialProvider: null,
        credentialType: null,
        issuer: null,
        interface: null,
        authenticationStep: 0,
        externalSessionId: principal?.kind === 'bearer' ? 'trs' + requestId.slice(0, 20) : null,
      },
      securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
      outcome: { result, reason },
      target,
      transaction: { type: 'WEB', id: requestId, detail: principal?.kind === 'ssws' ? { requestApiTokenId: principal.tokenId } : {} },
      debugContext: {
        debugData: {
          requestId,
          requestUri,
          url,
          ...debugData,
        },
      },
      request: { ipChain: [{ ip, geographicalContext: null, version: ip.includes(':') ? 'V6' : 'V4', source: null }] },
    });
  org.store.appendLog({
    seq: org.store.nextLogSeq(),
    persistedAt: org.clock.now(),
    get event() {
      return (built ??= build());
    },
  });
}
