/**
 * Never overwrite another integration: before anything is created, pick the provider verify will point at
 * its app, and stop if that would take a provider another client uses, or if no provider is free and the org
 * has no slot left for a new one (Okta allows 3). `force` overrides both.
 */
import type { VerifySettings } from '../config/settings.ts';
import { HarnessError } from '../errors.ts';
import { MAX_RISK_PROVIDERS } from '../okta/risk-providers.ts';
import { describeOktaError } from '../org/okta-error.ts';
import type { OrgClient } from '../org/org-client.ts';

/** Okta's maximum of risk providers per org (the shared contract). */
export const MAX_PROVIDERS = MAX_RISK_PROVIDERS;

/** Okta's marker for "no client linked" is the string "null" (the guide's default provider). */
export function isUnlinked(clientId: unknown): boolean {
  return clientId === null || clientId === undefined || clientId === '' || clientId === 'null';
}

interface Provider {
  id: string;
  name: string;
  clientId: string | null;
  action: string;
}

export type ProviderChoice =
  /** Update this provider. */
  | { kind: 'existing'; id: string }
  /** No provider is free: create one for the run (and delete it at teardown). */
  | { kind: 'create' }
  /** The org did not let us look (a bad API token): let the collection's assertions report it. */
  | { kind: 'unknown' };

export async function chooseProvider(org: OrgClient, settings: Pick<VerifySettings, 'providerId' | 'force'> & Partial<Pick<VerifySettings, 'providerName'>>): Promise<ProviderChoice> {
  const response = await org.request<Provider[]>('GET', '/api/v1/risk/providers');
  // A refused token is the collection's to report (its assertions fail, exit code 1); anything else is a broken org.
  if (response.status === 401 || response.status === 403) return { kind: 'unknown' };
  if (response.status === 404) throw riskApisNotServed(org.orgUrl, describeOktaError(response.body));
  if (response.status !== 200 || !Array.isArray(response.body)) {
    throw new HarnessError('ERR_RUN_BROKEN', `The org answered HTTP ${response.status} when asked for its risk providers; nothing was created.`, {
      fix: 'check that the org serves the Risk Providers API (deprecated by Okta at the end of 2024; it may need Okta support to enable), then run verify again.',
    });
  }
  const providers = response.body;
  if (settings.providerId !== undefined) {
    const chosen = providers.find((p) => p.id === settings.providerId);
    if (!chosen) {
      throw new HarnessError('ERR_SETTING_INVALID', `--provider-id ${settings.providerId}: the org has no such risk provider (it has ${providers.map((p) => p.id).join(', ') || 'none'}).`, {
        setting: '--provider-id',
        fix: 'pass the id of one of the org\'s providers, or leave --provider-id out to use the free default provider.',
      });
    }
    if (!isUnlinked(chosen.clientId) && !settings.force) throw inUse(chosen);
    return named(org, providers, settings.providerName, { kind: 'existing', id: chosen.id });
  }
  const free = providers.find((p) => isUnlinked(p.clientId));
  if (free) return named(org, providers, settings.providerName, { kind: 'existing', id: free.id });
  if (providers.length < MAX_PROVIDERS) return named(org, providers, settings.providerName, { kind: 'create' });
  if (settings.force && providers[0]) return named(org, providers, settings.providerName, { kind: 'existing', id: providers[0].id });
  throw new HarnessError(
    'ERR_NO_PROVIDER_SLOT',
    `Every risk provider of the org is linked to another client and the org already has ${MAX_PROVIDERS}, Okta's maximum: ${providers.map((p) => `"${p.name}" (${p.id}) → ${p.clientId}`).join('; ')}.`,
    {
      setting: '--force',
      fix: 'free a provider in the org, or pass --provider-id <id> --force to borrow one (verify restores it at teardown).',
    },
  );
}

/**
 * Okta keeps provider names unique (the emulator ignores case, the stricter reading): a name another provider
 * has would fail the PUT or the create after the app exists, so it is refused before anything is created.
 *
 * The provider a verify run holds is its lease on the org: linked to the run's app, which carries the same
 * name (the guide names both `providerName`). A second run with that name stops here, naming the first run's
 * app, when it registered and its key id (the first run's journal records the same kid); with another name
 * it takes another provider, or a free slot.
 */
async function named(org: OrgClient, providers: Provider[], name: string | undefined, choice: ProviderChoice): Promise<ProviderChoice> {
  if (name === undefined) return choice;
  const chosenId = choice.kind === 'existing' ? choice.id : undefined;
  const clash = providers.find((p) => p.id !== chosenId && typeof p.name === 'string' && p.name.toLowerCase() === name.toLowerCase());
  if (!clash) return choice;
  const holder = isUnlinked(clash.clientId) ? undefined : await runHolding(org, clash);
  if (holder) {
    throw new HarnessError(
      'ERR_ORG_BUSY',
      `Risk provider "${clash.name}" (${clash.id}) is held by another verify run: it is linked to that run's service app ${clash.clientId} ("${holder.name}", registered ${holder.registered}${holder.kid ? `, key ${holder.kid}` : ''}).`,
      {
        setting: '--provider-name',
        fix: 'wait for that run to end (it puts the provider back), or undo it with `okta-risk cleanup` from its folder; to run alongside it, pass another --provider-name.',
      },
    );
  }
  throw new HarnessError(
    'ERR_SETTING_INVALID',
    `--provider-name "${name}" is taken by risk provider ${clash.id}${isUnlinked(clash.clientId) ? '' : ` (linked to client ${clash.clientId})`}; Okta requires provider names to be unique.`,
    { setting: '--provider-name', fix: `pass another --provider-name (e.g. "${name.slice(0, 40)} 2"), or rename that provider.` },
  );
}

/** The app of another verify run that holds `provider`: linked to it, and named as it is. */
async function runHolding(org: OrgClient, provider: Provider): Promise<{ name: string; registered: string; kid?: string } | undefined> {
  const response = await org.request<{ client_name?: string; client_id_issued_at?: number; jwks?: { keys?: Array<{ kid?: string | null }> } }>(
    'GET',
    `/oauth2/v1/clients/${encodeURIComponent(String(provider.clientId))}`,
  );
  const client = response.body;
  if (response.status !== 200 || typeof client?.client_name !== 'string' || client.client_name.toLowerCase() !== provider.name.toLowerCase()) return undefined;
  const issued = typeof client.client_id_issued_at === 'number' ? new Date(client.client_id_issued_at * 1000).toISOString().replace(/\.000Z$/, 'Z') : 'at an unknown time';
  return { name: client.client_name, registered: issued, kid: client.jwks?.keys?.[0]?.kid ?? undefined };
}

/**
 * Okta retired the Risk APIs (deprecated 2024-12-31, gone from the spec since 2025.10.0): a current org answers
 * 404 for them (E0000007, or an unknown path). Its successor is the SSF receiver, which the embedded emulator serves.
 */
export function riskApisNotServed(orgUrl: string, cause: string | undefined): HarnessError {
  return new HarnessError(
    'ERR_RISK_API_NOT_SERVED',
    `The org at ${orgUrl} does not serve the Risk Providers API: GET /api/v1/risk/providers answered HTTP 404${cause ? ` (${cause})` : ''}. Okta retired the Risk APIs (deprecated at the end of 2024, gone from its API since release 2025.10.0); nothing was created.`,
    {
      setting: '--org-url',
      fix: "verify the successor, Okta's Shared Signals (SSF) receiver, on this org: okta-risk verify --flow ssf --jwks-url <the public https URL of your key's JWKS> --key <that key> --subject-email <a test user's sign-in email> (README: 'Verifying Okta's SSF receiver'); or run verify against the embedded emulator (leave --org-url unset) to keep testing the Risk API flow.",
    },
  );
}

function inUse(provider: Provider): HarnessError {
  return new HarnessError('ERR_PROVIDER_IN_USE', `Risk provider "${provider.name}" (${provider.id}) is linked to client ${provider.clientId}, another integration.`, {
    setting: '--provider-id',
    fix: 'choose a free provider, or pass --force to borrow this one (verify restores its name, client and action at teardown).',
  });
}
