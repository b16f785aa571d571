/**
 * What the runner asks the org when an answer was lost (a 5xx or a dropped connection after a
 * non-idempotent call), and how it journals what the collection's requests created. Each check puts what
 * later requests need (clientId, grantId) into the environment when the first attempt did take effect.
 */
import type { VerifySettings } from '../config/settings.ts';
import { nextLink } from '../org/cleanup.ts';
import type { OrgClient } from '../org/org-client.ts';
import type { Journal } from '../state/journal.ts';
import { isUnlinked } from './provider-guard.ts';
import type { RunContext } from './run-context.ts';

const RISK_SCOPE = 'okta.riskEvents.manage';

export class OrgChecks {
  readonly #ctx: RunContext;
  readonly #org: OrgClient;
  readonly #journal: Journal;
  readonly #kid: string;
  readonly #settings: VerifySettings;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
    this.#org = ctx.org;
    this.#journal = ctx.journal;
    this.#kid = ctx.keys.kid;
    this.#settings = ctx.settings;
  }

  recordClient(id: string | undefined): void {
    if (id) this.#journal.clientCreated(id);
  }

  recordGrant(id: string | undefined): void {
    if (id) this.#journal.grantCreated(id);
  }

  /**
   * Journals the settings of the provider the list script will choose (the given id, else the first free
   * one, else one already linked to this run's app), before the PUT that changes them.
   */
  recordProvider(listBody: string): void {
    const env = { providerId: this.#ctx.env.get('providerId'), clientId: this.#ctx.env.get('clientId') };
    let providers: Array<{ id: string; name: string; clientId: string | null; action: string }>;
    try {
      providers = JSON.parse(listBody) as typeof providers;
    } catch {
      return;
    }
    if (!Array.isArray(providers)) return;
    const chosen = env.providerId
      ? providers.find((p) => p.id === env.providerId)
      : (providers.find((p) => isUnlinked(p.clientId)) ?? providers.find((p) => env.clientId && p.clientId === env.clientId));
    if (!chosen) return;
    // Only what the run may take is journaled (as the list script decides): a provider another run linked
    // meanwhile is not updated, so its settings, another run's values, are never this run's "previous".
    const mayTake = isUnlinked(chosen.clientId) || (Boolean(env.clientId) && chosen.clientId === env.clientId) || this.#settings.force;
    if (!mayTake) return;
    const previous = { name: chosen.name, clientId: chosen.clientId ?? 'null', action: chosen.action };
    this.#journal.providerTaken(chosen.id, previous);
  }

  /** Did the create-client call take effect? Looks for an app with this run's name and key id. */
  async clientExists(): Promise<boolean> {
    let path: string | undefined = `/oauth2/v1/clients?limit=200&q=${encodeURIComponent(this.#settings.providerName)}`;
    while (path) {
      const response: Awaited<ReturnType<OrgClient['request']>> = await this.#org.request('GET', path);
      const list = (Array.isArray(response.body) ? response.body : []) as Array<{ client_id: string; jwks?: { keys?: Array<{ kid?: string | null }> } }>;
      const ours = list.find((c) => c.jwks?.keys?.some((k) => k.kid === this.#kid));
      if (ours) {
        this.#ctx.env.set('clientId', ours.client_id);
        this.recordClient(ours.client_id);
        return true;
      }
      path = response.status === 200 ? nextLink(response.headers) : undefined;
    }
    return false;
  }

  /** Did the grant call take effect? Looks for an active okta.riskEvents.manage grant on the app. */
  async grantExists(): Promise<boolean> {
    const clientId = this.#ctx.env.get('clientId');
    if (!clientId) return false;
    const response = await this.#org.request<Array<{ id: string; scopeId: string; status: string }>>('GET', `/api/v1/apps/${clientId}/grants`);
    const grant = Array.isArray(response.body) ? response.body.find((g) => g.scopeId === RISK_SCOPE && g.status === 'ACTIVE') : undefined;
    if (!grant) return false;
    this.#ctx.env.set('grantId', grant.id);
    this.recordGrant(grant.id);
    return true;
  }

  /**
   * Did the events call take effect? The System Log says: the signals logged for the provider since the run
   * started reach `expectedTotal`. With action `none` nothing is logged, so the answer is unknown.
   */
  async signalsLogged(providerId: string, since: string, expectedTotal: number): Promise<boolean | 'unknown'> {
    if (this.#settings.action === 'none') return 'unknown';
    const filter = `eventType eq "security.risk.signal.consume" and target.id eq "${providerId}"`;
    const response = await this.#org.request<Array<{ debugContext?: { debugData?: { riskSignalSize?: string; riskSignalProviderId?: string } } }>>(
      'GET',
      `/api/v1/logs?since=${encodeURIComponent(since)}&limit=1000&filter=${encodeURIComponent(filter)}`,
    );
    if (!Array.isArray(response.body)) return 'unknown';
    const logged = response.body
      .filter((e) => e.debugContext?.debugData?.riskSignalProviderId === providerId)
      .reduce((n, e) => n + Number(e.debugContext?.debugData?.riskSignalSize ?? 0), 0);
    return logged >= expectedTotal;
  }

  async grantGone(): Promise<boolean> {
    const grant = this.#journal.data.grant;
    if (grant?.status !== 'created') return true;
    const response = await this.#org.request('GET', `/api/v1/apps/${grant.clientId}/grants/${grant.id}`);
    if (response.status !== 404) return false;
    this.#journal.undone('grant');
    return true;
  }

  async clientGone(): Promise<boolean> {
    const client = this.#journal.data.client;
    if (client?.status !== 'created') return true;
    const response = await this.#org.request('GET', `/api/v1/apps/${client.id}`);
    if (response.status !== 404) return false;
    this.#journal.undone('client');
    return true;
  }
}
