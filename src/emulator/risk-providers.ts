/**
 * The Risk Providers API: `GET/POST /api/v1/risk/providers`, `GET/PUT/DELETE /api/v1/risk/providers/:id`.
 *
 * Okta documents the shape and the limits (name ≤ 50 characters and unique, action default `log_only`, at most
 * 3 providers) but none of the error texts; the causes below follow Okta's `<field>: <message>` convention.
 * The event-type catalog has no event for risk provider changes (`security.events.provider.*` belongs to the
 * SSF receiver), so admin changes here write nothing to the System Log.
 */
import { isDeepStrictEqual } from 'node:util';
import { authenticate } from './auth.ts';
import { isoNow } from './clock.ts';
import { resourceNotFound, validationFailed } from './errors.ts';
import { jsonBody, type Route } from './http.ts';
import { oktaId } from './ids.ts';
import type { Org } from './org.ts';
import { isJsonObject, unknownFieldCauses, type Cause } from '../okta/issues.ts';
import {
  DEFAULT_RISK_PROVIDER_ACTION,
  isRiskProviderAction,
  MAX_PROVIDER_NAME_LENGTH,
  MAX_RISK_PROVIDERS,
  RISK_PROVIDER_ACTIONS,
  UNLINKED_CLIENT_ID,
  type RiskProviderAction,
} from '../okta/risk-providers.ts';
import type { RiskProviderRecord } from './store.ts';

const READ_SCOPE = 'okta.riskProviders.read';
const MANAGE_SCOPE = 'okta.riskProviders.manage';

const WRITABLE_FIELDS = ['name', 'clientId', 'action'] as const;
const READ_ONLY_FIELDS = ['id', 'created', 'lastUpdated', '_links'] as const;

/** A provider as the API returns it: the stored record plus its link. */
export type RiskProviderResource = RiskProviderRecord & { _links: { self: { href: string; hints: { allow: string[] } } } };

function toResource(provider: RiskProviderRecord, org: Org): RiskProviderResource {
  return {
    id: provider.id,
    name: provider.name,
    clientId: provider.clientId,
    action: provider.action,
    created: provider.created,
    lastUpdated: provider.lastUpdated,
    _links: {
      self: { href: `${org.orgUrl}/api/v1/risk/providers/${provider.id}`, hints: { allow: ['GET', 'PUT', 'DELETE'] } },
    },
  };
}

function findProvider(org: Org, id: string): RiskProviderRecord {
  const provider = org.store.providers.get(id);
  if (!provider) throw resourceNotFound(id, 'RiskProvider');
  return provider;
}

function nameCauses(name: unknown, org: Org, selfId: string | undefined): Cause[] {
  if (name === undefined) return [{ field: 'name', message: 'is required' }];
  if (typeof name !== 'string') return [{ field: 'name', message: 'must be a string' }];
  if (name.trim() === '') return [{ field: 'name', message: 'must not be blank' }];
  // Counted in code points, as JSON Schema's maxLength counts them.
  if ([...name].length > MAX_PROVIDER_NAME_LENGTH) {
    return [{ field: 'name', message: `must be at most ${MAX_PROVIDER_NAME_LENGTH} characters` }];
  }
  const lower = name.toLowerCase();
  const clash = [...org.store.providers.values()].some((p) => p.id !== selfId && p.name.toLowerCase() === lower);
  return clash ? [{ field: 'name', message: 'a risk provider with this name already exists; choose another name' }] : [];
}

function clientIdCauses(clientId: unknown, org: Org, selfId: string | undefined): Cause[] {
  if (clientId === undefined) return [{ field: 'clientId', message: 'is required' }];
  if (typeof clientId !== 'string') return [{ field: 'clientId', message: 'must be a string' }];
  if (clientId === UNLINKED_CLIENT_ID) return [];
  const app = org.store.apps.get(clientId);
  if (!app) {
    return [{ field: 'clientId', message: `no app with this client_id exists; register the service app first or send "${UNLINKED_CLIENT_ID}"` }];
  }
  if (app.metadata.application_type !== 'service') {
    return [{ field: 'clientId', message: `must be the client_id of a service app (application_type service), not ${app.metadata.application_type}` }];
  }
  // Events are attributed to the provider whose clientId is the token's cid, so two providers cannot share one.
  const taken = [...org.store.providers.values()].some((p) => p.id !== selfId && p.clientId === clientId);
  return taken ? [{ field: 'clientId', message: 'is already linked to another risk provider; link each service app to one provider' }] : [];
}

function actionCauses(action: unknown): Cause[] {
  if (action === undefined) return [];
  if (!isRiskProviderAction(action)) {
    return [{ field: 'action', message: `must be one of ${RISK_PROVIDER_ACTIONS.join(', ')}` }];
  }
  return [];
}

/**
 * Read-only fields may come back only as the org sent them (a GET → edit → PUT round trip); on create there
 * is nothing to echo, so none is accepted.
 */
function readOnlyCauses(body: Record<string, unknown>, current: RiskProviderResource | undefined): Cause[] {
  const causes: Cause[] = [];
  for (const field of READ_ONLY_FIELDS) {
    if (body[field] === undefined) continue;
    if (!current) {
      causes.push({ field, message: 'is read-only; omit it when creating a risk provider' });
    } else if (!isDeepStrictEqual(body[field], current[field])) {
      const hint = field === 'id' ? 'must match the riskProviderId in the path' : 'is read-only; omit it or send the value the org returned';
      causes.push({ field, message: hint });
    }
  }
  return causes;
}

interface ProviderInput {
  name: string;
  clientId: string;
  action: RiskProviderAction;
}

/**
 * A create or full-replacement body, checked against every rule at once. `current` is the provider a PUT
 * replaces. An omitted `action` is `log_only` on both, since a PUT replaces the whole provider.
 */
function readProviderBody(body: unknown, org: Org, current?: RiskProviderRecord): ProviderInput {
  if (!isJsonObject(body)) {
    throw validationFailed([{ field: 'body', message: 'must be a JSON object with name, clientId and an optional action' }]);
  }
  const causes = [
    ...unknownFieldCauses(body, [...WRITABLE_FIELDS, ...READ_ONLY_FIELDS]),
    ...readOnlyCauses(body, current && toResource(current, org)),
    ...nameCauses(body.name, org, current?.id),
    ...clientIdCauses(body.clientId, org, current?.id),
    ...actionCauses(body.action),
  ];
  if (causes.length > 0) throw validationFailed(causes);
  return {
    name: body.name as string,
    clientId: body.clientId as string,
    action: (body.action as RiskProviderAction | undefined) ?? DEFAULT_RISK_PROVIDER_ACTION,
  };
}

export const riskProvidersRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/risk/providers',
    async handler(req, org) {
      await authenticate(req, org, READ_SCOPE);
      return { status: 200, body: [...org.store.providers.values()].map((p) => toResource(p, org)) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/risk/providers',
    async handler(req, org) {
      await authenticate(req, org, MANAGE_SCOPE);
      const input = readProviderBody(jsonBody(req), org);
      if (org.store.providers.size >= MAX_RISK_PROVIDERS) {
        throw validationFailed([
          {
            field: 'riskProvider',
            message: `the maximum of ${MAX_RISK_PROVIDERS} providers is reached; update or delete an existing provider instead`,
          },
        ]);
      }
      const now = isoNow(org.clock);
      const provider: RiskProviderRecord = { id: oktaId('rkp'), ...input, created: now, lastUpdated: now };
      org.store.providers.set(provider.id, provider);
      return { status: 201, body: toResource(provider, org) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/risk/providers/:riskProviderId',
    async handler(req, org) {
      await authenticate(req, org, READ_SCOPE);
      return { status: 200, body: toResource(findProvider(org, req.params.riskProviderId!), org) };
    },
  },
  {
    method: 'PUT',
    path: '/api/v1/risk/providers/:riskProviderId',
    async handler(req, org) {
      await authenticate(req, org, MANAGE_SCOPE);
      const current = findProvider(org, req.params.riskProviderId!);
      const input = readProviderBody(jsonBody(req), org, current);
      const replaced: RiskProviderRecord = { ...current, ...input, lastUpdated: isoNow(org.clock) };
      org.store.providers.set(replaced.id, replaced);
      return { status: 200, body: toResource(replaced, org) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/risk/providers/:riskProviderId',
    async handler(req, org) {
      await authenticate(req, org, MANAGE_SCOPE);
      const provider = findProvider(org, req.params.riskProviderId!);
      org.store.providers.delete(provider.id);
      return { status: 204 };
    },
  },
];
