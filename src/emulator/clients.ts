/**
 * Dynamic Client Registration: `/oauth2/v1/clients`. A registered client is an ordinary app whose
 * `client_id` is the app id (`0oa…`); it is stored as an `AppRecord` and shows up in the Apps API too.
 *
 * Admin auth: register needs `okta.clients.register`, reads `okta.clients.read`, replace and delete
 * `okta.clients.manage` (SSWS passes them all).
 */
import { randomBytes } from 'node:crypto';
import { APP_ONLY_METADATA } from './app-replace.ts';
import { authenticate } from './auth.ts';
import { validateClientMetadata, SECRET_AUTH_METHODS } from './client-metadata.ts';
import { epochSeconds, isoNow } from './clock.ts';
import { resourceNotFound, validationFailed } from './errors.ts';
import { jsonBody, type EmulatorRequest, type Route } from './http.ts';
import { oktaId } from './ids.ts';
import { recordEvent, type LogTarget } from './log-writer.ts';
import type { Org } from './org.ts';
import type { AppRecord } from './store.ts';

/**
 * Client secrets, kept beside the records rather than in them so that store snapshots and logs never carry
 * one. Keyed by the record object: a reset org drops its records, and their secrets with them.
 */
const secrets = new WeakMap<AppRecord, string>();

/** The client's secret, for the token endpoint; undefined for clients that authenticate without one. */
export function clientSecret(app: AppRecord): string | undefined {
  return secrets.get(app);
}

/** A fresh secret of 40 URL-safe characters, the length of Okta's documented examples. */
function newSecret(): string {
  return randomBytes(30).toString('base64url');
}

/** The System Log target for an app, as Okta writes it (`AppInstance`, named by its label). */
export function appTarget(app: AppRecord): LogTarget {
  const name = app.metadata.client_name;
  return { id: app.id, type: 'AppInstance', alternateId: name, displayName: name, detailEntry: { signOnModeType: 'OPENID_CONNECT' } };
}

/** Removes an app and every grant it holds (deleting an app takes its grants with it). */
export function removeApp(org: Org, appId: string): void {
  org.store.deleteApp(appId);
  org.store.tokenCutoffs.delete(appId);
  for (const [id, grant] of org.store.grants) {
    if (grant.appId === appId) org.store.grants.delete(id);
  }
}

/** The `Client` object for an app; `client_secret` only where Okta shows it (create and replace). */
export function clientBody(app: AppRecord, showSecret: boolean): Record<string, unknown> {
  const { client_name, client_uri, logo_uri, redirect_uris, response_types, grant_types, token_endpoint_auth_method, application_type, jwks, jwks_uri, ...extras } =
    app.metadata;
  const secret = secrets.get(app);
  return structuredClone({
    client_id: app.id,
    client_id_issued_at: app.issuedAt,
    ...(secret !== undefined && showSecret ? { client_secret: secret } : {}),
    ...(secret !== undefined ? { client_secret_expires_at: 0 } : {}),
    client_name,
    client_uri,
    logo_uri,
    redirect_uris,
    response_types,
    grant_types,
    token_endpoint_auth_method,
    application_type,
    ...(jwks ? { jwks } : {}),
    ...(jwks_uri !== undefined ? { jwks_uri } : {}),
    // The Apps API's own settings (DPoP binding, consent) are not client metadata: DCR neither shows them.
    ...Object.fromEntries(Object.entries(extras).filter(([member]) => !APP_ONLY_METADATA.includes(member))),
  });
}

function findClient(org: Org, clientId: string): AppRecord {
  const app = org.store.apps.get(clientId);
  // The current spec answers 404 E0000007; the archived reference's 401 invalid_client is not followed.
  if (!app) throw resourceNotFound(clientId, 'OAuth2Client');
  return app;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(0oa[A-Za-z0-9]{17})$/;

/** The list order: oldest first, ties broken by id, so a cursor stays valid when its client is deleted. */
function sortKey(app: AppRecord): string {
  return `${app.created}|${app.id}`;
}

/** One query parameter, refusing a repeated one (which value would win is not Okta's to guess). */
function singleParam(req: EmulatorRequest, name: string): string | undefined {
  const values = req.query.getAll(name);
  if (values.length > 1) throw validationFailed([{ field: name, message: 'The parameter can only be given once.' }]);
  return values[0];
}

function parseListQuery(req: EmulatorRequest): { limit: number; after: string | undefined; afterKey: string | undefined; q: string | undefined } {
  const rawLimit = singleParam(req, 'limit');
  let limit = DEFAULT_LIMIT;
  if (rawLimit !== undefined) {
    limit = /^[1-9][0-9]{0,2}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      throw validationFailed([{ field: 'limit', message: `The value must be an integer from 1 to ${MAX_LIMIT}.` }]);
    }
  }
  const after = singleParam(req, 'after');
  let afterKey: string | undefined;
  if (after !== undefined) {
    afterKey = Buffer.from(after, 'base64url').toString('utf8');
    if (!/^[A-Za-z0-9_-]+$/.test(after) || !CURSOR.test(afterKey)) {
      throw validationFailed([{ field: 'after', message: 'The cursor is not one this list gave out; take it from the Link header.' }]);
    }
  }
  return { limit, after, afterKey, q: singleParam(req, 'q') };
}

function listLink(org: Org, params: Record<string, string | undefined>, rel: 'self' | 'next'): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return `<${org.orgUrl}/oauth2/v1/clients?${query.toString()}>; rel="${rel}"`;
}

export const clientsRoutes: Route[] = [
  {
    method: 'POST',
    path: '/oauth2/v1/clients',
    async handler(req, org) {
      const principal = await authenticate(req, org, 'okta.clients.register');
      const validated = validateClientMetadata(jsonBody(req));
      const bound = org.settings.dpopByDefault && validated.application_type === 'service';
      const metadata = bound ? { ...validated, dpop_bound_access_tokens: true } : validated;
      const now = isoNow(org.clock);
      const app: AppRecord = { id: oktaId('0oa'), status: 'ACTIVE', created: now, lastUpdated: now, issuedAt: epochSeconds(org.clock), metadata };
      if (SECRET_AUTH_METHODS.has(metadata.token_endpoint_auth_method)) secrets.set(app, newSecret());
      const full = org.store.addApp(app);
      if (full !== undefined) throw validationFailed([{ field: 'application', message: full }]);
      recordEvent(org, req, { eventType: 'application.lifecycle.create', legacyEventType: 'app.app_editor.app.create', displayMessage: 'Create application', target: [appTarget(app)] }, principal);
      return { status: 201, body: clientBody(app, true) };
    },
  },
  {
    method: 'GET',
    path: '/oauth2/v1/clients',
    async handler(req, org) {
      await authenticate(req, org, 'okta.clients.read');
      const { limit, after, afterKey, q } = parseListQuery(req);
      const prefix = q?.toLowerCase();
      const matching = [...org.store.apps.values()]
        .filter((app) => prefix === undefined || app.metadata.client_name.toLowerCase().startsWith(prefix))
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
      const rest = afterKey === undefined ? matching : matching.filter((app) => sortKey(app) > afterKey);
      const page = rest.slice(0, limit);
      const links = [listLink(org, { after, limit: String(limit), q }, 'self')];
      if (rest.length > limit) {
        const cursor = Buffer.from(sortKey(page[page.length - 1]!)).toString('base64url');
        links.push(listLink(org, { after: cursor, limit: String(limit), q }, 'next'));
      }
      return { status: 200, body: page.map((app) => clientBody(app, false)), headers: { link: links } };
    },
  },
  {
    method: 'GET',
    path: '/oauth2/v1/clients/:clientId',
    async handler(req, org) {
      await authenticate(req, org, 'okta.clients.read');
      return { status: 200, body: clientBody(findClient(org, req.params.clientId!), false) };
    },
  },
  {
    method: 'PUT',
    path: '/oauth2/v1/clients/:clientId',
    async handler(req, org) {
      const principal = await authenticate(req, org, 'okta.clients.manage');
      const app = findClient(org, req.params.clientId!);
      const current = secrets.get(app);
      const metadata = validateClientMetadata(jsonBody(req), {
        clientId: app.id,
        issuedAt: app.issuedAt,
        applicationType: app.metadata.application_type,
        secret: current,
      });
      const secret = SECRET_AUTH_METHODS.has(metadata.token_endpoint_auth_method) ? (current ?? newSecret()) : undefined;
      // ... nor replaces them: a DCR replacement keeps the app's DPoP binding and consent method.
      const appOnly = Object.fromEntries(APP_ONLY_METADATA.filter((m) => m in app.metadata).map((m) => [m, app.metadata[m]]));
      const full = org.store.replaceAppMetadata(app, { ...metadata, ...appOnly });
      if (full !== undefined) throw validationFailed([{ field: 'application', message: full }]);
      app.lastUpdated = isoNow(org.clock);
      if (secret === undefined) secrets.delete(app);
      else secrets.set(app, secret);
      recordEvent(org, req, { eventType: 'application.lifecycle.update', legacyEventType: 'app.app_editor.app.update', displayMessage: 'Update application', target: [appTarget(app)] }, principal);
      return { status: 200, body: clientBody(app, true) };
    },
  },
  {
    method: 'DELETE',
    path: '/oauth2/v1/clients/:clientId',
    async handler(req, org) {
      const principal = await authenticate(req, org, 'okta.clients.manage');
      const app = findClient(org, req.params.clientId!);
      removeApp(org, app.id);
      recordEvent(org, req, { eventType: 'application.lifecycle.delete', legacyEventType: 'app.generic.config.app_deleted', displayMessage: 'Delete application', target: [appTarget(app)] }, principal);
      return { status: 204 };
    },
  },
];
