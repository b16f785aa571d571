/**
 * `send --via ssf` with no org set: the embedded emulator, provisioned as an SSF transmitter's org would be.
 * The run's public key is published on a loopback JWKS server (the transmitter's side), a Security Events
 * Provider is registered with that server's issuer and JWKS URL, and the SETs' user is one of the org's users.
 * Everything lives in memory and is gone when `close()` returns.
 *
 * The emulator's admin token lets `send` read the System Log, so a lost answer is checked (`confirm`): each
 * accepted SET about a known user is one `security.events.provider.receive_event` of the provider.
 */
import { buildEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.ts';
import { HarnessError } from '../errors.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import { PROVIDERS_PATH } from '../okta/ssf.ts';
import { OrgClient } from '../org/org-client.ts';
import { serveJwks, type JwksServer } from '../ssf/jwks-server.ts';
import { EMULATOR_SUBJECT_EMAIL } from '../config/send-settings.ts';
import type { AcceptanceCheck } from './deliver-calls.ts';
import type { SendClock } from './pace.ts';
import { EMULATOR_PROVIDER_NAME, logAcceptanceCheck } from './provision-emulator.ts';

/** The System Log event of an accepted SET. */
export const RECEIVE_EVENT_TYPE = 'security.events.provider.receive_event';

export interface ProvisionedSsfEmulator {
  emulator: Emulator;
  orgUrl: string;
  /** The registered issuer: the SETs' `iss`. */
  issuer: string;
  providerId: string;
  jwks: JwksServer;
  /** Asks the System Log whether a SET whose answer was lost was taken. */
  confirm: AcceptanceCheck;
  close(): Promise<void>;
}

export interface ProvisionSsfEmulatorOptions {
  keys: ProviderKeyPair;
  clock: SendClock;
  /** The users the SETs name (`--subject-email`, the signals' emails); each made a user of the org unless it is the super admin. */
  subjectEmails: readonly string[];
  /** SET pushes a minute (the emulator's management limit). */
  setRateLimit: number;
  emulator?: EmulatorOptions;
}

export async function provisionSsfEmulator(options: ProvisionSsfEmulatorOptions): Promise<ProvisionedSsfEmulator> {
  const users = [...new Set(options.subjectEmails.map((e) => e.toLowerCase()))].filter((e) => e !== EMULATOR_SUBJECT_EMAIL);
  const emulator = await buildEmulator({ managementRateLimit: options.setRateLimit, users, ...options.emulator });
  let jwks: JwksServer | undefined;
  try {
    const orgUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
    jwks = await serveJwks({ keys: [options.keys.publicJwk] });
    const org = new OrgClient({ orgUrl, apiToken: emulator.apiToken, now: options.clock.now, sleep: options.clock.sleep });
    const created = await org.request<{ id: string }>('POST', PROVIDERS_PATH, {
      name: EMULATOR_PROVIDER_NAME,
      type: 'okta-risk-harness',
      settings: { issuer: jwks.url, jwks_url: jwks.jwksUrl },
    });
    if (created.status !== 200) {
      throw new HarnessError('ERR_RUN_BROKEN', `Provisioning the embedded emulator failed: registering the security events provider answered HTTP ${created.status}.`);
    }
    const providerId = created.body.id;
    // SETs go one at a time, one event each.
    const confirm = logAcceptanceCheck(org, options.clock, `eventType eq "${RECEIVE_EVENT_TYPE}" and actor.id eq "${providerId}"`, () => 1);
    const server = jwks;
    return {
      emulator,
      orgUrl,
      issuer: server.url,
      providerId,
      jwks: server,
      confirm,
      close: async () => {
        await server.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await jwks?.close();
    await emulator.close();
    throw error;
  }
}
