/**
 * The Apps API as far as the harness needs it: read an app, deactivate/activate it, delete it (inactive
 * apps only, as Okta insists), and its scope grants (`/api/v1/apps/{appId}/grants`), which decide the Okta
 * scopes the org authorization server will mint for the app.
 */
import { authenticate, type Principal } from './auth.ts';
import { validateAppReplacement } from './app-replace.ts';
import { appTarget, clientSecret, removeApp } from './clients.ts';
import { isoNow } from './clock.ts';
import { OktaApiError, resourceNotFound, validationFailed } from './errors.ts';
import { jsonBody, type EmulatorRequest, type Reply, type Route } from './http.ts';
import { oktaId } from './ids.ts';
import { recordEvent, type LogTarget } from './log-writer.ts';
import type { Org } from './org.ts';
import { isOktaScope } from './scopes.ts';
import { ADMIN_USER, type AppRecord, type GrantRecord } from './store.ts';

function findApp(org: Org, appId: string): AppRecord {
  const app = org.store.apps.get(appId);
  if (!app) throw resourceNotFound(appId, 'AppInstance');
  return app;
}

/** The app as `GET /api/v1/apps/{appId}` shows an OIDC app (the spec's `OpenIdConnectApplication`). */
export function appBody(org: Org, app: AppRecord): Record<string, unknown> {
  const base = `${org.orgUrl}/api/v1/apps/${app.id}`;
  const { client_name, token_endpoint_auth_method, ...oauthSettings } = app.metadata;
  const lifecycle = app.status === 'ACTIVE' ? 'deactivate' : 'activate';
  return structuredClone({
    id: app.id,
    name: 'oidc_client',
    label: client_name,
    status: app.status,
    created: app.created,
    lastUpdated: app.lastUpdated,
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoLaunch: false, autoSubmitToolbar: false, hide: { iOS: true, web: true }, appLinks: {} },
    features: [],
    signOnMode: 'OPENID_CONNECT',
    credentials: {
      userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' },
      signing: { kid: org.signingKey.kid },
      // The secret is never shown here, even for secret-based clients: DCR showed it once, on create.
      oauthClient: { autoKeyRotation: true, client_id: app.id, token_endpoint_auth_method },
    },
    settings: {
      app: {},
      notifications: { vpn: { network: { connection: 'DISABLED' }, message: null, helpUrl: null } },
      manualProvisioning: false,
      implicitAssignment: false,
      notes: { admin: null, enduser: null },
      oauthClient: {
        ...oauthSettings,
        // DCR clients default to REQUIRED consent (Apps API ones to TRUSTED); the org URL is their issuer.
        consent_method: app.metadata.consent_method ?? 'REQUIRED',
        issuer_mode: 'ORG_URL',
        wildcard_redirect: 'DISABLED',
        dpop_bound_access_tokens: app.metadata.dpop_bound_access_tokens === true,
      },
    },
    _links: {
      appLinks: [],
      groups: { href: `${base}/groups` },
      users: { href: `${base}/users` },
      [lifecycle]: { href: `${base}/lifecycle/${lifecycle}` },
    },
  });
}

/** Deactivate and activate: 200 `{}` (Okta's documented body); repeating one is a no-op and logs nothing. */
function lifecycleRoute(to: 'ACTIVE' | 'INACTIVE'): Route {
  const verb = to === 'ACTIVE' ? 'activate' : 'deactivate';
  return {
    method: 'POST',
    path: `/api/v1/apps/:appId/lifecycle/${verb}`,
    async handler(req, org) {
      const principal = await authenticate(req, org, 'okta.apps.manage');
      const app = findApp(org, req.params.appId!);
      if (app.status !== to) {
        app.status = to;
        if (to === 'INACTIVE') org.store.tokenCutoffs.deactivated(app.id);
        app.lastUpdated = isoNow(org.clock);
        const legacyEventType = to === 'ACTIVE' ? 'app.generic.config.app_activated' : 'app.generic.config.app_deactivated';
        const displayMessage = to === 'ACTIVE' ? 'Activate application' : 'Deactivate application';
        recordEvent(org, req, { eventType: `application.lifecycle.${verb}`, legacyEventType, displayMessage, target: [appTarget(app)] }, principal);
      }
      return { status: 200, body: {} };
    },
  };
}

// ---- Scope grants ----

const GRANT_FIELDS = ['issuer', 'scopeId'];

/** `expand=scope` is the only expansion; anything else is refused rather than ignored. */
function wantsScope(req: EmulatorRequest): boolean {
  const values = req.query.getAll('expand');
  if (values.length === 0) return false;
  if (values.length === 1 && values[0] === 'scope') return true;
  throw validationFailed([{ field: 'expand', message: "The only valid value is 'scope'." }]);
}

function findGrant(org: Org, app: AppRecord, grantId: string): GrantRecord {
  const grant = org.store.grants.get(grantId);
  // Another app's grant is as unknown here as a grant that never existed.
  if (!grant || grant.appId !== app.id) throw resourceNotFound(grantId, 'OAuth2ScopeConsentGrant');
  return grant;
}

/** The grant as Okta shows it (`OAuth2ScopeConsentGrant`); `_embedded.scope` when asked for, and on create. */
export function grantBody(org: Org, app: AppRecord, grant: GrantRecord, embedScope: boolean): Record<string, unknown> {
  const name = app.metadata.client_name;
  return structuredClone({
    id: grant.id,
    status: grant.status,
    created: grant.created,
    createdBy: grant.createdBy,
    lastUpdated: grant.lastUpdated,
    issuer: grant.issuer,
    clientId: app.id,
    scopeId: grant.scopeId,
    source: grant.source,
    ...(embedScope ? { _embedded: { scope: { id: grant.scopeId } } } : {}),
    _links: {
      app: { href: `${org.orgUrl}/api/v1/apps/${app.id}`, title: name },
      self: { href: `${org.orgUrl}/api/v1/apps/${app.id}/grants/${grant.id}`, hints: { allow: ['GET', 'DELETE'] } },
      client: { href: `${org.orgUrl}/oauth2/v1/clients/${app.id}`, title: name },
    },
  });
}

/** Validates a grant request: exactly `{issuer, scopeId}`, both strings; every bad field is one cause. */
function validateGrantRequest(body: unknown, org: Org, app: AppRecord): { issuer: string; scopeId: string } {
  // A JSON value that is not an object cannot be read as a grant at all.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OktaApiError('E0000003');
  const fields = body as Record<string, unknown>;
  const causes: Array<{ field: string; message: string }> = [];
  for (const field of Object.keys(fields)) {
    if (!GRANT_FIELDS.includes(field)) causes.push({ field, message: "The field can't be set: send only 'issuer' and 'scopeId'." });
  }
  for (const field of GRANT_FIELDS) {
    const value = fields[field];
    if (value === undefined || value === null || value === '') causes.push({ field, message: "The field can't be left blank." });
    else if (typeof value !== 'string') causes.push({ field, message: 'The field must be a string.' });
  }
  const { issuer, scopeId } = fields;
  if (typeof issuer === 'string' && issuer !== '' && issuer !== org.orgUrl) {
    causes.push({ field: 'issuer', message: `The issuer must be this org's authorization server, '${org.orgUrl}'.` });
  }
  if (typeof scopeId === 'string' && scopeId !== '' && !isOktaScope(scopeId)) {
    causes.push({ field: 'scopeId', message: `'${scopeId}' isn't an Okta scope.` });
  }
  if (causes.length > 0) throw validationFailed(causes);
  const scope = scopeId as string;
  for (const grant of org.store.grants.values()) {
    if (grant.appId === app.id && grant.scopeId === scope && grant.status === 'ACTIVE') {
      throw validationFailed([{ field: 'scopeId', message: `The app already has an active grant for '${scope}'.` }]);
    }
  }
  return { issuer: issuer as string, scopeId: scope };
}

/** Who created a grant: the admin behind the API token, or the OAuth client of a bearer token. */
function grantCreator(principal: Principal): { id: string; type: string } {
  return principal.kind === 'bearer' ? { id: principal.clientId, type: 'PublicClientApp' } : { id: ADMIN_USER.id, type: ADMIN_USER.type };
}

function grantTargets(app: AppRecord, grant: GrantRecord): LogTarget[] {
  return [appTarget(app), { id: grant.id, type: 'OAuth2ScopeConsentGrant', alternateId: grant.scopeId, displayName: grant.scopeId }];
}

function byCreation(a: GrantRecord, b: GrantRecord): number {
  return a.created === b.created ? (a.id < b.id ? -1 : 1) : a.created < b.created ? -1 : 1;
}

export const appsRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/apps/:appId',
    async handler(req, org) {
      await authenticate(req, org, 'okta.apps.read');
      return { status: 200, body: appBody(org, findApp(org, req.params.appId!)) };
    },
  },
  {
    method: 'PUT',
    path: '/api/v1/apps/:appId',
    async handler(req, org) {
      const principal = await authenticate(req, org, 'okta.apps.manage');
      const app = findApp(org, req.params.appId!);
      const full = org.store.replaceAppMetadata(app, validateAppReplacement(jsonBody(req), app, clientSecret(app)));
      if (full !== undefined) throw validationFailed([{ field: 'application', message: full }]);
      app.lastUpdated = isoNow(org.clock);
      recordEvent(org, req, { eventType: 'application.lifecycle.update', legacyEventType: 'app.app_editor.app.update', displayMessage: 'Update application', target: [appTarget(app)] }, principal);
      return { status: 200, body: appBody(org, app) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/apps/:appId',
    async handler(req, org): Promise<Reply> {
      const principal = await authenticate(req, org, 'okta.apps.manage');
      const app = findApp(org, req.params.appId!);
      if (app.status === 'ACTIVE') {
        throw new OktaApiError('E0000056', { causes: ['The application must be deactivated before deletion.'] });
      }
      removeApp(org, app.id);
      recordEvent(org, req, { eventType: 'application.lifecycle.delete', legacyEventType: 'app.generic.config.app_deleted', displayMessage: 'Delete application', target: [appTarget(app)] }, principal);
      return { status: 204 };
    },
  },
  lifecycleRoute('INACTIVE'),
  lifecycleRoute('ACTIVE'),
  {
    method: 'POST',
    path: '/api/v1/apps/:appId/grants',
    async handler(req, org) {
      const principal = await authenticate(req, org, 'okta.appGrants.manage');
      const app = findApp(org, req.params.appId!);
      const { issuer, scopeId } = validateGrantRequest(jsonBody(req), org, app);
      const now = isoNow(org.clock);
      const grant: GrantRecord = {
        id: oktaId('oag'),
        appId: app.id,
        issuer,
        scopeId,
        status: 'ACTIVE',
        source: 'ADMIN',
        created: now,
        lastUpdated: now,
        createdBy: grantCreator(principal),
      };
      org.store.grants.set(grant.id, grant);
      recordEvent(
        org,
        req,
        { eventType: 'app.oauth2.admin.consent.grant', legacyEventType: 'app.oauth2.admin.consent.grant_success', displayMessage: 'Administrator consent granted for scope', target: grantTargets(app, grant) },
        principal,
      );
      // The guide's flow reads `_embedded.scope.id` from this response, as the spec's example shows it.
      return { status: 201, body: grantBody(org, app, grant, true) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/apps/:appId/grants',
    async handler(req, org) {
      await authenticate(req, org, 'okta.appGrants.read');
      const app = findApp(org, req.params.appId!);
      const embed = wantsScope(req);
      const grants = [...org.store.grants.values()].filter((g) => g.appId === app.id).sort(byCreation);
      return { status: 200, body: grants.map((g) => grantBody(org, app, g, embed)) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/apps/:appId/grants/:grantId',
    async handler(req, org) {
      await authenticate(req, org, 'okta.appGrants.read');
      const app = findApp(org, req.params.appId!);
      const embed = wantsScope(req);
      return { status: 200, body: grantBody(org, app, findGrant(org, app, req.params.grantId!), embed) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/apps/:appId/grants/:grantId',
    async handler(req, org): Promise<Reply> {
      const principal = await authenticate(req, org, 'okta.appGrants.manage');
      const app = findApp(org, req.params.appId!);
      const grant = findGrant(org, app, req.params.grantId!);
      org.store.grants.delete(grant.id);
      // The tokens that carried the grant's scope end with it, even if the grant is made again (token-cutoff.ts).
      org.store.tokenCutoffs.revoked(app.id, grant.scopeId);
      recordEvent(
        org,
        req,
        { eventType: 'app.oauth2.admin.consent.revoke', legacyEventType: 'app.oauth2.admin.consent.revoke_success', displayMessage: 'Administrator consent revoked for scope', target: grantTargets(app, grant) },
        principal,
      );
      return { status: 204 };
    },
  },
];
