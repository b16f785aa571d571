/**
 * The org's state: everything a request can read or change. Handlers validate first and mutate last, so a
 * rejected request never changes anything here.
 */
import {
  APPS_MAX,
  APPS_METADATA_BYTES_MAX,
  ASSERTION_JTIS_MAX,
  CONSUMED_SIGNALS_MAX,
  DPOP_JTIS_MAX,
  RECEIVED_SECURITY_EVENTS_MAX,
  SET_JTIS_MAX,
  SYSTEM_LOG_EVENTS_MAX,
  SYSTEM_LOG_RETENTION_DAYS,
} from '../okta/limits.ts';
import type { RiskProviderAction } from '../okta/risk-providers.ts';
import type { Clock } from './clock.ts';
import { isoNow } from './clock.ts';
import { oktaId } from './ids.ts';
import { ReplayMarkers } from './replay-markers.ts';
import { TokenCutoffs } from './token-cutoff.ts';

/** A public JWK as the client registered it (Okta echoes `use: null` when it was not given). */
export type StoredJwk = Record<string, unknown> & { kty: string; kid?: string | null };

/** The client metadata that Dynamic Client Registration stores and echoes back. */
export interface ClientMetadata {
  client_name: string;
  client_uri: string | null;
  logo_uri: string | null;
  redirect_uris: string[];
  response_types: string[];
  grant_types: string[];
  token_endpoint_auth_method: string;
  application_type: string;
  jwks?: { keys: StoredJwk[] };
  jwks_uri?: string;
  [extra: string]: unknown;
}

/** An app registered through `/oauth2/v1/clients`: its `client_id` is the app id. */
export interface AppRecord {
  id: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
  /** `client_id_issued_at`, seconds since the epoch. */
  issuedAt: number;
  metadata: ClientMetadata;
}

/** A scope grant (`OAuth2ScopeConsentGrant`). */
export interface GrantRecord {
  id: string;
  appId: string;
  issuer: string;
  scopeId: string;
  status: 'ACTIVE';
  source: 'ADMIN';
  created: string;
  lastUpdated: string;
  createdBy: { id: string; type: string };
}

export type { RiskProviderAction };

export interface RiskProviderRecord {
  id: string;
  name: string;
  clientId: string;
  action: RiskProviderAction;
  created: string;
  lastUpdated: string;
}

/** A Security Events Provider (SSF receiver stream). `wellKnownUrl` is null for issuer + JWKS registrations. */
export interface SecurityEventsProviderRecord {
  id: string;
  name: string;
  type: string;
  status: 'ACTIVE' | 'INACTIVE';
  issuer: string;
  jwksUrl: string;
  wellKnownUrl: string | null;
  created: string;
  lastUpdated: string;
}

/** One SET event as the org accepted it, for tests that count what arrived. */
export interface ReceivedSecurityEvent {
  providerId: string;
  jti: string;
  eventType: string;
  userId: string;
}

/** A System Log event, already in `LogEvent` shape; `seq` orders events persisted in the same millisecond. */
export interface LogEventRecord {
  seq: number;
  /** When the event was persisted (milliseconds); polling queries filter on it. */
  persistedAt: number;
  event: Record<string, unknown> & { uuid: string; published: string; eventType: string };
}

/** One risk event subject as the org consumed it, for tests that count what arrived. */
export interface ConsumedSignal {
  providerId: string;
  ip: string;
  riskLevel: string;
  message?: string;
  timestamp?: string;
  expiresAt?: string;
}

/** The super admin who owns the API token. */
export const ADMIN_USER = {
  id: '00uadminEmulator0001',
  type: 'User',
  alternateId: 'admin@example.com',
  displayName: 'Emulator Admin',
} as const;

const RETENTION_MS = SYSTEM_LOG_RETENTION_DAYS * 24 * 60 * 60 * 1000;

/** The size an app's metadata counts against `APPS_METADATA_BYTES_MAX`: its bytes as JSON. */
export function metadataBytes(metadata: ClientMetadata): number {
  return Buffer.byteLength(JSON.stringify(metadata), 'utf8');
}

function metadataFull(): string {
  return `The org's apps would hold more than the emulator's maximum of ${APPS_METADATA_BYTES_MAX / 1024 / 1024} MiB of client metadata; delete an app or send less metadata.`;
}

/** Drops the oldest entries of `list` beyond `max`. */
function keepNewest<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * Every history the org keeps is bounded (the maxima are `src/okta/limits.ts`'s): the System Log and the lists
 * tests count drop their oldest entries first, as a real org's retention would; the replay markers forget only
 * what has expired and refuse newcomers when full (`ReplayMarkers`).
 */
export class OrgStore {
  readonly #apps = new Map<string, AppRecord>();
  /** Each app's metadata, in bytes of JSON, and their sum: bounded by `APPS_METADATA_BYTES_MAX`. */
  readonly #appBytes = new Map<string, number>();
  #appBytesTotal = 0;
  /** The org's apps by id. Written only through `addApp`, `replaceAppMetadata` and `deleteApp`, which keep them bounded. */
  readonly apps: ReadonlyMap<string, AppRecord> = this.#apps;
  readonly grants = new Map<string, GrantRecord>();
  readonly providers = new Map<string, RiskProviderRecord>();
  readonly securityEventsProviders = new Map<string, SecurityEventsProviderRecord>();
  /** SET `jti`s seen, per provider issuer, until their window ends. */
  readonly setJtis = new ReplayMarkers(SET_JTIS_MAX);
  /** The SET events accepted for a known user, in order: the newest `RECEIVED_SECURITY_EVENTS_MAX` (`addSecurityEvent`). */
  readonly securityEvents: ReceivedSecurityEvent[] = [];
  /** The System Log, oldest first: at most `SYSTEM_LOG_EVENTS_MAX` events within retention (`appendLog`). */
  readonly logs: LogEventRecord[] = [];
  /** The risk signals accepted, in order: the newest `CONSUMED_SIGNALS_MAX` (`addSignals`). */
  readonly signals: ConsumedSignal[] = [];
  /** Client-assertion `jti`s seen, per client, until the assertion's expiry. */
  readonly usedJtis = new ReplayMarkers(ASSERTION_JTIS_MAX);
  /** When access tokens were cut off before their expiry: deactivations and revoked grants (token-cutoff.ts). */
  readonly tokenCutoffs: TokenCutoffs;
  /** DPoP proof `jti`s seen, per key thumbprint, until the proof is too old to pass. */
  readonly dpopJtis = new ReplayMarkers(DPOP_JTIS_MAX);
  #logSeq = 0;
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.tokenCutoffs = new TokenCutoffs(clock);
    this.seed();
  }

  /** Back to a fresh org: one default risk provider, nothing else. */
  reset(): void {
    this.#apps.clear();
    this.#appBytes.clear();
    this.#appBytesTotal = 0;
    this.grants.clear();
    this.providers.clear();
    this.securityEventsProviders.clear();
    this.setJtis.clear();
    this.securityEvents.length = 0;
    this.logs.length = 0;
    this.signals.length = 0;
    this.usedJtis.clear();
    this.tokenCutoffs.clear();
    this.dpopJtis.clear();
    this.#logSeq = 0;
    this.seed();
  }

  nextLogSeq(): number {
    return ++this.#logSeq;
  }

  /**
   * Appends a System Log event, then drops the oldest events past retention (90 days) or beyond
   * `SYSTEM_LOG_EVENTS_MAX`. Cursors are positions (time and sequence), not indexes, so a poller following its
   * `next` link never sees an event twice or skips one that is still kept.
   */
  appendLog(record: LogEventRecord): void {
    this.logs.push(record);
    const oldest = this.#clock.now() - RETENTION_MS;
    let expired = 0;
    while (expired < this.logs.length && this.logs[expired]!.persistedAt < oldest) expired += 1;
    if (expired > 0) this.logs.splice(0, expired);
    keepNewest(this.logs, SYSTEM_LOG_EVENTS_MAX);
  }

  /**
   * Stores a new app, or answers why the org cannot hold it (at `APPS_MAX` apps, or past
   * `APPS_METADATA_BYTES_MAX` of metadata in all) and stores nothing.
   */
  addApp(app: AppRecord): string | undefined {
    if (this.#apps.size >= APPS_MAX) return `The org has the emulator's maximum of ${APPS_MAX.toLocaleString('en-US')} apps; delete one first.`;
    const bytes = metadataBytes(app.metadata);
    if (this.#appBytesTotal + bytes > APPS_METADATA_BYTES_MAX) return metadataFull();
    this.#apps.set(app.id, app);
    this.#appBytes.set(app.id, bytes);
    this.#appBytesTotal += bytes;
    return undefined;
  }

  /** Gives a stored app new metadata, or answers why the org cannot hold it (as `addApp`) and changes nothing. */
  replaceAppMetadata(app: AppRecord, metadata: ClientMetadata): string | undefined {
    const bytes = metadataBytes(metadata);
    const total = this.#appBytesTotal - (this.#appBytes.get(app.id) ?? 0) + bytes;
    if (total > APPS_METADATA_BYTES_MAX) return metadataFull();
    app.metadata = metadata;
    this.#appBytes.set(app.id, bytes);
    this.#appBytesTotal = total;
    return undefined;
  }

  /** The apps' metadata in all, in bytes of JSON: what `APPS_METADATA_BYTES_MAX` bounds. */
  get appMetadataBytes(): number {
    return this.#appBytesTotal;
  }

  /** Forgets an app (its grants and token cutoffs are the caller's: `removeApp`). */
  deleteApp(id: string): void {
    if (!this.#apps.delete(id)) return;
    this.#appBytesTotal -= this.#appBytes.get(id) ?? 0;
    this.#appBytes.delete(id);
  }

  addSignals(signals: ConsumedSignal[]): void {
    // One at a time: a spread of a huge batch would be bounded by the call stack, not by us.
    for (const signal of signals) this.signals.push(signal);
    keepNewest(this.signals, CONSUMED_SIGNALS_MAX);
  }

  addSecurityEvent(event: ReceivedSecurityEvent): void {
    this.securityEvents.push(event);
    keepNewest(this.securityEvents, RECEIVED_SECURITY_EVENTS_MAX);
  }

  /**
   * A JSON copy of the configuration an org admin would compare before and after a run: apps, grants and
   * providers, field for field. (Logs and consumed signals are history, not configuration.)
   */
  snapshot(): {
    apps: AppRecord[];
    grants: GrantRecord[];
    providers: RiskProviderRecord[];
    securityEventsProviders: SecurityEventsProviderRecord[];
  } {
    return structuredClone({
      apps: [...this.apps.values()],
      grants: [...this.grants.values()],
      providers: [...this.providers.values()],
      securityEventsProviders: [...this.securityEventsProviders.values()],
    });
  }

  /** The default provider, shaped as the guide shows it: name `"Default "`, clientId the string `"null"`. */
  private seed(): void {
    const now = isoNow(this.#clock);
    const id = oktaId('rkp');
    this.providers.set(id, { id, name: 'Default ', clientId: 'null', action: 'log_only', created: now, lastUpdated: now });
  }
}
