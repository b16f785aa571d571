/**
 * The Security Events Providers API (Okta's SSF receiver streams): `GET/POST /api/v1/security-events-providers`,
 * `GET/PUT/DELETE /api/v1/security-events-providers/:id`, and `POST …/:id/lifecycle/activate|deactivate`.
 *
 * Okta documents the shapes, the limits (name ≤ 100, type ≤ 255, issuer ≤ 700, URLs ≤ 1000), create 200 (not
 * 201), delete 204, the scopes and the generic errors; not the cause texts, which follow Okta's
 * `<field>: <message>` convention. A well-known registration is resolved at create (and replace) time: the
 * org fetches the document and stores its `issuer` and `jwks_uri`, as Okta's example response shows them.
 * Every change is logged under its `security.events.provider.*` event type.
 */
import { isDeepStrictEqual } from 'node:util';
import { SSF_LIMITS, SSF_MANAGE_SCOPE, SSF_READ_SCOPE, PROVIDERS_PATH } from '../okta/ssf.ts';
import { authenticate, type Principal } from './auth.ts';
import { isoNow } from './clock.ts';
import { resourceNotFound, validationFailed } from './errors.ts';
import { jsonBody, type EmulatorRequest, type Route } from './http.ts';
import { oktaId } from './ids.ts';
import { recordEvent, type LogTarget } from './log-writer.ts';
import type { Org } from './org.ts';
import { fetchableUrl, fetchJsonObject, FetchProblem } from './outbound.ts';
import { isJsonObject, unknownFieldCauses, type Cause } from '../okta/issues.ts';
import type { SecurityEventsProviderRecord } from './store.ts';

/** Okta publishes no cap; the emulator keeps at most this many, so its memory stays bounded. */
export const MAX_SECURITY_EVENTS_PROVIDERS = 50;

const WRITABLE_FIELDS = ['name', 'type', 'settings'] as const;
const READ_ONLY_FIELDS = ['id', 'status', '_links'] as const;
const RESOURCE_TYPE = 'SecurityEventsProvider';

type Link = { href: string; hints: { allow: string[] } };

export interface SecurityEventsProviderResource {
  id: string;
  name: string;
  type: string;
  status: 'ACTIVE' | 'INACTIVE';
  settings: { issuer: string; jwks_url: string; well_known_url: string | null };
  _links: { self: Link; activate?: Link; deactivate?: Link };
}

function toResource(provider: SecurityEventsProviderRecord, org: Org): SecurityEventsProviderResource {
  const self = `${org.orgUrl}${PROVIDERS_PATH}/${provider.id}`;
  const lifecycle = provider.status === 'ACTIVE' ? 'deactivate' : 'activate';
  return {
    id: provider.id,
    name: provider.name,
    type: provider.type,
    status: provider.status,
    settings: { issuer: provider.issuer, jwks_url: provider.jwksUrl, well_known_url: provider.wellKnownUrl },
    _links: {
      self: { href: self, hints: { allow: ['GET', 'PUT', 'DELETE'] } },
      [lifecycle]: { href: `${self}/lifecycle/${lifecycle}`, hints: { allow: ['POST'] } },
    },
  };
}

function findProvider(org: Org, id: string): SecurityEventsProviderRecord {
  const provider = org.store.securityEventsProviders.get(id);
  if (!provider) throw resourceNotFound(id, RESOURCE_TYPE);
  return provider;
}

/** The System Log target Okta's catalog gives these events (`SecurityEventsProviderResourceDetails`). */
function providerTarget(provider: SecurityEventsProviderRecord): LogTarget {
  return {
    id: provider.id,
    type: RESOURCE_TYPE,
    alternateId: provider.name,
    displayName: provider.name,
    detailEntry: {
      issuer: provider.issuer,
      jwks_url: provider.jwksUrl,
      well_known_url: provider.wellKnownUrl,
      provider_type: provider.type,
      provider_name: provider.name,
    },
  };
}

const MESSAGES = {
  create: 'Create a security events provider',
  update: 'Update a security events provider',
  delete: 'Delete a security events provider',
  activate: 'Activate a security events provider',
  deactivate: 'Deactivate a security events provider',
} as const;

function logChange(org: Org, req: EmulatorRequest, principal: Principal, action: keyof typeof MESSAGES, provider: SecurityEventsProviderRecord): void {
  recordEvent(org, req, { eventType: `security.events.provider.${action}`, displayMessage: MESSAGES[action], target: [providerTarget(provider)] }, principal);
}

function boundedString(value: unknown, field: string, max: number): Cause[] {
  if (value === undefined || value === null) return [{ field, message: "The field can't be left blank." }];
  if (typeof value !== 'string') return [{ field, message: 'The field must be a string.' }];
  if (value.trim() === '') return [{ field, message: "The field can't be left blank." }];
  // Counted in code points, as JSON Schema's maxLength counts them.
  if ([...value].length > max) return [{ field, message: `The field must be at most ${max} characters.` }];
  return [];
}

function urlCauses(value: unknown, field: string): Cause[] {
  const causes = boundedString(value, field, SSF_LIMITS.url);
  if (causes.length > 0) return causes;
  if (!fetchableUrl(value as string)) return [{ field, message: 'The field must be an https URL (http only to loopback), with no credentials or fragment.' }];
  return [];
}

interface ProviderInput {
  name: string;
  type: string;
  issuer?: string;
  jwksUrl?: string;
  wellKnownUrl?: string;
}

/**
 * The settings, in one of the two documented shapes. A GET → edit → PUT round trip sends back what the org
 * showed: `well_known_url: null` beside an issuer and JWKS URL, or a well-known URL beside the issuer and JWKS
 * URL the org resolved from it; those echoes are accepted, and only them.
 */
function normalizedSettings(settings: Record<string, unknown>, current: SecurityEventsProviderRecord | undefined): Record<string, unknown> {
  const copy = { ...settings };
  if (copy.well_known_url === null) delete copy.well_known_url;
  else if (copy.well_known_url !== undefined && current?.wellKnownUrl != null) {
    if (copy.issuer === current.issuer) delete copy.issuer;
    if (copy.jwks_url === current.jwksUrl) delete copy.jwks_url;
  }
  return copy;
}

function settingsCauses(raw: unknown, current: SecurityEventsProviderRecord | undefined): Cause[] {
  if (raw === undefined || raw === null) return [{ field: 'settings', message: "The field can't be left blank." }];
  if (!isJsonObject(raw)) return [{ field: 'settings', message: 'The field must be an object.' }];
  const settings = normalizedSettings(raw, current);
  const hasWellKnown = settings.well_known_url !== undefined;
  const hasPair = settings.issuer !== undefined || settings.jwks_url !== undefined;
  if (hasWellKnown === hasPair) {
    return [{ field: 'settings', message: 'Send either well_known_url, or issuer and jwks_url, not both and not neither.' }];
  }
  if (hasWellKnown) {
    return [...unknownFieldCauses(settings, ['well_known_url'], 'settings'), ...urlCauses(settings.well_known_url, 'settings.well_known_url')];
  }
  return [
    ...unknownFieldCauses(settings, ['issuer', 'jwks_url'], 'settings'),
    ...boundedString(settings.issuer, 'settings.issuer', SSF_LIMITS.issuer),
    ...urlCauses(settings.jwks_url, 'settings.jwks_url'),
  ];
}

/** Read-only fields may come back only as the org sent them (a GET → edit → PUT round trip). */
function readOnlyCauses(body: Record<string, unknown>, current: SecurityEventsProviderResource | undefined): Cause[] {
  const causes: Cause[] = [];
  for (const field of READ_ONLY_FIELDS) {
    if (body[field] === undefined) continue;
    if (!current) causes.push({ field, message: 'The field is read-only; omit it when creating a security events provider.' });
    else if (!isDeepStrictEqual(body[field], current[field])) causes.push({ field, message: 'The field is read-only; omit it or send the value the org returned.' });
  }
  return causes;
}

function readProviderBody(body: unknown, org: Org, current?: SecurityEventsProviderRecord): ProviderInput {
  if (!isJsonObject(body)) throw validationFailed([{ field: 'body', message: 'must be a JSON object with name, type and settings' }]);
  const causes = [
    ...unknownFieldCauses(body, [...WRITABLE_FIELDS, ...READ_ONLY_FIELDS]),
    ...readOnlyCauses(body, current && toResource(current, org)),
    ...boundedString(body.name, 'name', SSF_LIMITS.name),
    ...boundedString(body.type, 'type', SSF_LIMITS.type),
    ...settingsCauses(body.settings, current),
  ];
  if (causes.length > 0) throw validationFailed(causes);
  const settings = normalizedSettings(body.settings as Record<string, unknown>, current) as Record<string, string>;
  return {
    name: body.name as string,
    type: body.type as string,
    ...(settings.well_known_url !== undefined
      ? { wellKnownUrl: settings.well_known_url }
      : { issuer: settings.issuer, jwksUrl: settings.jwks_url }),
  };
}

/** Resolves a well-known registration: the document's `issuer` and `jwks_uri` (SSF §7.1), fetched now. */
async function resolveWellKnown(org: Org, url: string): Promise<{ issuer: string; jwksUrl: string }> {
  const field = 'settings.well_known_url';
  let doc: Record<string, unknown>;
  try {
    doc = await fetchJsonObject(url, org.settings.ssfFetch);
  } catch (error) {
    const reason = error instanceof FetchProblem ? error.reason : 'the fetch failed';
    throw validationFailed([{ field, message: `The well-known document could not be read: ${reason}.` }]);
  }
  const causes = [
    ...boundedString(doc.issuer, 'issuer', SSF_LIMITS.issuer),
    ...urlCauses(doc.jwks_uri, 'jwks_uri'),
  ].map((c) => ({ field, message: `The well-known document's ${c.field} is not usable: ${c.message}` }));
  if (causes.length > 0) throw validationFailed(causes);
  return { issuer: doc.issuer as string, jwksUrl: doc.jwks_uri as string };
}

/** The issuer routes SETs to one provider, so two providers cannot share it. */
function issuerClash(org: Org, issuer: string, selfId: string | undefined): void {
  const clash = [...org.store.securityEventsProviders.values()].some((p) => p.id !== selfId && p.issuer === issuer);
  if (clash) {
    throw validationFailed([{ field: 'settings.issuer', message: 'A security events provider with this issuer already exists; each transmitter registers once.' }]);
  }
}

async function resolveInput(org: Org, input: ProviderInput, selfId: string | undefined): Promise<Omit<SecurityEventsProviderRecord, 'id' | 'status' | 'created' | 'lastUpdated'>> {
  const resolved = input.wellKnownUrl !== undefined ? await resolveWellKnown(org, input.wellKnownUrl) : { issuer: input.issuer!, jwksUrl: input.jwksUrl! };
  issuerClash(org, resolved.issuer, selfId);
  return { name: input.name, type: input.type, issuer: resolved.issuer, jwksUrl: resolved.jwksUrl, wellKnownUrl: input.wellKnownUrl ?? null };
}

function lifecycleRoute(to: 'ACTIVE' | 'INACTIVE'): Route {
  const verb = to === 'ACTIVE' ? 'activate' : 'deactivate';
  return {
    method: 'POST',
    path: `${PROVIDERS_PATH}/:securityEventProviderId/lifecycle/${verb}`,
    async handler(req, org) {
      const principal = await authenticate(req, org, SSF_MANAGE_SCOPE);
      const provider = findProvider(org, req.params.securityEventProviderId!);
      // Repeating a transition answers the same object and logs nothing.
      if (provider.status !== to) {
        provider.status = to;
        provider.lastUpdated = isoNow(org.clock);
        logChange(org, req, principal, verb, provider);
      }
      return { status: 200, body: toResource(provider, org) };
    },
  };
}

export const securityEventsProvidersRoutes: Route[] = [
  {
    method: 'GET',
    path: PROVIDERS_PATH,
    async handler(req, org) {
      await authenticate(req, org, SSF_READ_SCOPE);
      return { status: 200, body: [...org.store.securityEventsProviders.values()].map((p) => toResource(p, org)) };
    },
  },
  {
    method: 'POST',
    path: PROVIDERS_PATH,
    async handler(req, org) {
      const principal = await authenticate(req, org, SSF_MANAGE_SCOPE);
      const input = readProviderBody(jsonBody(req), org);
      if (org.store.securityEventsProviders.size >= MAX_SECURITY_EVENTS_PROVIDERS) {
        throw validationFailed([{ field: 'securityEventsProvider', message: `The org has the emulator's maximum of ${MAX_SECURITY_EVENTS_PROVIDERS} providers; delete one first.` }]);
      }
      const resolved = await resolveInput(org, input, undefined);
      // The fetch awaited: check again, so two concurrent creates cannot pass the cap or share an issuer.
      if (org.store.securityEventsProviders.size >= MAX_SECURITY_EVENTS_PROVIDERS) {
        throw validationFailed([{ field: 'securityEventsProvider', message: `The org has the emulator's maximum of ${MAX_SECURITY_EVENTS_PROVIDERS} providers; delete one first.` }]);
      }
      issuerClash(org, resolved.issuer, undefined);
      const now = isoNow(org.clock);
      const provider: SecurityEventsProviderRecord = { id: oktaId('sse'), ...resolved, status: 'ACTIVE', created: now, lastUpdated: now };
      org.store.securityEventsProviders.set(provider.id, provider);
      logChange(org, req, principal, 'create', provider);
      return { status: 200, body: toResource(provider, org) };
    },
  },
  {
    method: 'GET',
    path: `${PROVIDERS_PATH}/:securityEventProviderId`,
    async handler(req, org) {
      await authenticate(req, org, SSF_READ_SCOPE);
      return { status: 200, body: toResource(findProvider(org, req.params.securityEventProviderId!), org) };
    },
  },
  {
    method: 'PUT',
    path: `${PROVIDERS_PATH}/:securityEventProviderId`,
    async handler(req, org) {
      const principal = await authenticate(req, org, SSF_MANAGE_SCOPE);
      const current = findProvider(org, req.params.securityEventProviderId!);
      const input = readProviderBody(jsonBody(req), org, current);
      const resolved = await resolveInput(org, input, current.id);
      // Deleted while the well-known document was fetched: nothing to replace.
      const still = findProvider(org, current.id);
      issuerClash(org, resolved.issuer, still.id);
      Object.assign(still, resolved, { lastUpdated: isoNow(org.clock) });
      logChange(org, req, principal, 'update', still);
      return { status: 200, body: toResource(still, org) };
    },
  },
  {
    method: 'DELETE',
    path: `${PROVIDERS_PATH}/:securityEventProviderId`,
    async handler(req, org) {
      const principal = await authenticate(req, org, SSF_MANAGE_SCOPE);
      const provider = findProvider(org, req.params.securityEventProviderId!);
      org.store.securityEventsProviders.delete(provider.id);
      logChange(org, req, principal, 'delete', provider);
      return { status: 204 };
    },
  },
  lifecycleRoute('ACTIVE'),
  lifecycleRoute('INACTIVE'),
];
