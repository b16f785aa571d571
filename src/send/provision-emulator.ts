/**
 * With no org set, `send` runs against the embedded emulator, provisioned on the fly as `verify` does: the
 * org is built and bound to loopback, a service app with the provider's public key is registered, granted
 * `okta.riskEvents.manage` and linked to the default risk provider. The org lives in memory and is gone when
 * `close()` returns, so there is nothing to tear down on it.
 *
 * Unlike a real org reached with only the provider's credentials, the emulator's admin token lets `send` read
 * the System Log, so a lost answer can be checked (see `confirm`) instead of set aside.
 */
import { buildEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.ts';
import { HarnessError } from '../errors.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import { nextLink } from '../org/cleanup.ts';
import { OrgClient } from '../org/org-client.ts';
import { EVENTS_SCOPE } from './access-token.ts';
import type { AcceptanceCheck } from './deliver-calls.ts';
import type { SendClock } from './pace.ts';

export const EMULATOR_PROVIDER_NAME = 'okta-risk send';

export interface ProvisionedEmulator {
  emulator: Emulator;
  orgUrl: string;
  clientId: string;
  providerId: string;
  /** Asks the System Log whether a call whose answer was lost was taken. */
  confirm: AcceptanceCheck;
  close(): Promise<void>;
}

export async function provisionEmulator(options: { keys: ProviderKeyPair; clock: SendClock; emulator?: EmulatorOptions }): Promise<ProvisionedEmulator> {
  const emulator = await buildEmulator({ eventsRateLimit: 3, ...options.emulator });
  try {
    const orgUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
    const org = new OrgClient({ orgUrl, apiToken: emulator.apiToken, now: options.clock.now, sleep: options.clock.sleep });
    const expect = <T>(response: { status: number; body: T }, status: number, what: string): T => {
      if (response.status !== status) throw new HarnessError('ERR_RUN_BROKEN', `Provisioning the embedded emulator failed: ${what} answered HTTP ${response.status}.`);
      return response.body;
    };
    const client = expect(
      await org.request<{ client_id: string }>('POST', '/oauth2/v1/clients', {
        client_name: EMULATOR_PROVIDER_NAME,
        response_types: ['token'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        application_type: 'service',
        jwks: { keys: [options.keys.publicJwk] },
      }),
      201,
      'registering the service app',
    );
    const clientId = client.client_id;
    expect(await org.request('POST', `/api/v1/apps/${clientId}/grants`, { scopeId: EVENTS_SCOPE, issuer: orgUrl }), 201, 'granting the scope');
    const providers = expect(await org.request<Array<{ id: string }>>('GET', '/api/v1/risk/providers'), 200, 'listing the risk providers');
    const providerId = providers[0]!.id;
    expect(
      await org.request('PUT', `/api/v1/risk/providers/${providerId}`, { name: EMULATOR_PROVIDER_NAME, clientId, action: 'enforce_and_log' }),
      200,
      'linking the risk provider',
    );
    const confirm = logAcceptanceCheck(org, options.clock, `eventType eq "security.risk.signal.consume" and target.id eq "${providerId}"`, (e) =>
      Number((e as { debugContext?: { debugData?: { riskSignalSize?: string } } }).debugContext?.debugData?.riskSignalSize ?? 0),
    );
    return { emulator, orgUrl, clientId, providerId, confirm, close: () => emulator.close() };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

/**
 * Whether the embedded org took a call whose answer was lost, from its System Log: the signals logged since
 * now (`signalsOf` each matching event) cover every signal accepted before the call plus the call's own.
 * Calls go one at a time, so the log holds either all of them up to this call or all but its own.
 */
export function logAcceptanceCheck(org: OrgClient, clock: SendClock, filter: string, signalsOf: (event: unknown) => number): AcceptanceCheck {
  const since = new Date(clock.now() - 1000).toISOString();
  return async (call, acceptedBefore) => {
    const until = new Date(clock.now() + 60_000).toISOString();
    let path: string | undefined = `/api/v1/logs?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}&limit=1000&filter=${encodeURIComponent(filter)}`;
    let logged = 0;
    while (path) {
      const response: Awaited<ReturnType<OrgClient['request']>> = await org.request('GET', path);
      if (response.status !== 200 || !Array.isArray(response.body)) return 'unknown';
      logged += (response.body as unknown[]).reduce<number>((n, e) => n + signalsOf(e), 0);
      path = response.body.length > 0 ? nextLink(response.headers) : undefined;
    }
    return logged >= acceptedBefore + call.signals;
  };
}
