/**
 * `verify --flow ssf`: Okta's Shared Signals receiver, the successor of the Risk APIs, end to end through the
 * second shared collection (`collections/okta-ssf-receiver.postman_collection.json`):
 *
 * 1. Register the security events provider: the run's issuer (unique to the run) and JWKS URL, then activate.
 * 2. Push security event tokens: SETs minted with jose (the run's two, or one per element of an `--events`
 *    file, load-set-events.ts), all through the collection's one push request.
 * 3. Confirm them in the System Log (`security.events.provider.receive_event`, polled, bounded).
 * 4. Tear down: delete the provider.
 *
 * The run around the phases is run-flow.ts's, shared with the Risk API flow, and the phases (ssf-phases.ts)
 * are walked by the same loop. While all goes well that is one Newman run: the push request goes again while
 * `setsLeft` is above 0, and the runner mints each SET at the pause right before it goes.
 *
 * The runner generates the key (or loads `--key`), serves the JWKS on loopback for an org on this machine (or
 * checks `--jwks-url` for a real org), journals the provider before its create call is sent, and undoes it
 * as the Risk API flow does: at teardown, on Ctrl-C, and through `okta-risk cleanup` for a killed run.
 */
import type { JWK } from 'jose';
import { SSF_COLLECTION_FILE, SSF_FOLDER_REQUESTS, SSF_PROVIDER_TYPE, SSF_REQUESTS, SSF_SECRET_VARIABLES, type SsfFolderName, type SsfRequestName } from '../collection/ssf-collection.ts';
import { renderSsfEnvironment, type SsfEnvironmentValues } from '../environment/render-ssf-environment.ts';
import { HarnessError } from '../errors.ts';
import { PROVIDERS_PATH } from '../okta/ssf.ts';
import type { OrgClient } from '../org/org-client.ts';
import { runFlow, type OpenedRun } from '../run/run-flow.ts';
import type { CollectionLayout } from '../run/step-runner.ts';
import type { VerifyOptions, VerifyResult } from '../run/verify.ts';
import { checkJwksUrl } from './check-jwks-url.ts';
import { SSF_BODIES_HIDDEN, SSF_GUIDE_STEPS, SSF_REPORT_HEADING } from './guide-steps.ts';
import { loadSetEvents, type LoadedSetEvents } from './load-set-events.ts';
import { serveJwks } from './jwks-server.ts';
import type { SetEvents } from './mint-security-event-token.ts';
import { assertSetSigningKey } from './set-signing-key.ts';
import { userRiskChange } from './signal-events.ts';
import { ssfPhases } from './ssf-phases.ts';

export { SET_RESEND_WINDOW_MS, SSF_PHASE_IDS, type SsfPhaseId } from './ssf-phases.ts';

const LAYOUT: CollectionLayout<SsfFolderName, SsfRequestName> = {
  folderRequests: SSF_FOLDER_REQUESTS,
  secretKeys: SSF_SECRET_VARIABLES,
  rateLimitOf: (name) => (name === SSF_REQUESTS.pushSet ? 'the security events rate limit' : undefined),
};

/**
 * The SETs a run pushes: the subject's risk goes from none to low, then back to none. Chosen so a run against
 * a real org never raises a real user's risk to medium or high (an entity risk policy could act on it), and
 * ends where it began.
 */
export function verificationEvents(runId: string, email: string, nowMs: number): SetEvents[] {
  const reason = `okta-risk-harness verify run ${runId}: a test signal, no action needed`;
  return [
    userRiskChange({ email, current: 'low', previous: 'none', reason, atMs: nowMs }),
    userRiskChange({ email, current: 'none', previous: 'low', reason, atMs: nowMs }),
  ];
}

export async function verifySsf(options: VerifyOptions): Promise<VerifyResult> {
  const ssf = options.settings.ssf;
  if (!ssf) throw new TypeError('verifySsf: settings.ssf is required with flow ssf');
  let fromFile: LoadedSetEvents | undefined;
  return runFlow(options, {
    collectionFile: SSF_COLLECTION_FILE,
    // SETs are signed by the transmitter's key and pushed without a token.
    orgTokens: false,
    layout: LAYOUT,
    secretBodyRequests: [SSF_REQUESTS.pushSet],
    rateLimitedRequest: SSF_REQUESTS.pushSet,
    title: SSF_REPORT_HEADING.title,
    html: { steps: SSF_GUIDE_STEPS, bodiesHiddenReason: SSF_BODIES_HIDDEN, heading: SSF_REPORT_HEADING },
    // A file's events are checked before the org is touched; the run's own two are made once its id is known.
    checkInput: () => void (fromFile = options.settings.eventsFile === undefined ? undefined : loadSetEvents(options.settings.eventsFile, { subjectEmail: ssf.subjectEmail, nowMs: (options.now ?? Date.now)() })),
    checkKeys: (keys) => assertSetSigningKey(keys, options.settings.keyFile),
    async prepare(open, defer) {
      const { org, orgUrl, keys, runId, now } = open;
      // The key's home, a URL the org fetches: checked (or served) before anything is created.
      let jwksUrl: string;
      let issuerBase: string;
      if (ssf.jwksUrl !== undefined) {
        await checkJwksUrl({ url: ssf.jwksUrl, orgUrl, publicJwk: keys.publicJwk as JWK & { kid: string }, allowPrivateHosts: isLoopbackOrg(orgUrl) });
        jwksUrl = ssf.jwksUrl;
        issuerBase = new URL(ssf.jwksUrl).origin;
      } else {
        const jwks = await serveJwks({ keys: [keys.publicJwk] });
        defer(() => jwks.close());
        jwksUrl = jwks.jwksUrl;
        issuerBase = jwks.url;
      }
      // Unique to the run: Okta routes SETs by issuer, and cleanup finds a provider whose create answer was lost by it.
      const issuer = `${issuerBase}/okta-risk-harness/${runId}`;
      await assertProvidersApiServed(org, orgUrl);
      const events = fromFile?.events ?? verificationEvents(runId, ssf.subjectEmail, now());
      // The embedded emulator is gone with the run; any other org keeps what the file's events set.
      if (fromFile && fromFile.leftAt.length > 0 && options.settings.target.kind === 'org') {
        const levels = fromFile.leftAt.map((l) => `${l.level} (${l.type})`).join(' and ');
        open.log(`note: the --events file leaves ${ssf.subjectEmail} at risk ${levels} on ${orgUrl}: Okta keeps a level until a later SET changes it, and verify does not set it back.\n`);
      }
      return {
        environment: ssfEnvironment(open, issuer, jwksUrl, ssf.subjectEmail, fromFile?.expectedEventCount ?? events.length),
        async phases({ ctx, runner, onPhase }) {
          return {
            phases: ssfPhases({ ctx, runner, issuer, events, onPhase, log: open.log }),
            // The teardown always runs (the flow has no --keep): whatever it could not delete is undone after it.
            undoAfter: () => true,
          };
        },
      };
    },
  });
}

/** The SSF collection's environment at the start of a run. */
function ssfEnvironment(open: OpenedRun, issuer: string, jwksUrl: string, subjectEmail: string, expectedEventCount: number): Required<SsfEnvironmentValues> {
  const { settings, orgUrl, apiToken, now, logPoll } = open;
  const values: Required<SsfEnvironmentValues> = {
    url: orgUrl,
    apikey: apiToken,
    providerName: settings.providerName,
    providerType: SSF_PROVIDER_TYPE,
    issuer,
    jwksUrl,
    providerId: '',
    securityEventToken: '',
    setsLeft: '',
    subjectEmail,
    // A second of slack: the org's clock and ours may disagree by a little.
    runStartedAt: new Date(now() - 1000).toISOString(),
    expectedEventCount: String(expectedEventCount),
    logPollAttempts: String(logPoll?.attempts ?? 10),
    logPollIntervalMs: String(logPoll?.intervalMs ?? 1000),
    retryOnRateLimit: 'true',
  };
  // Rendered through the shared template once: what Newman gets is exactly what a Postman user fills in.
  const rendered = renderSsfEnvironment(values).values as Array<{ key: string; value: string }>;
  return Object.fromEntries(rendered.map((v) => [v.key, v.value])) as Required<SsfEnvironmentValues>;
}

function isLoopbackOrg(orgUrl: string): boolean {
  const host = new URL(orgUrl).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

/** An org without the SSF receiver (no Identity Threat Protection, or Adaptive MFA without it) is named before anything is created. */
async function assertProvidersApiServed(org: OrgClient, orgUrl: string): Promise<void> {
  const response = await org.request('GET', PROVIDERS_PATH);
  // E0000015 is Okta's "Feature not enabled": 401 in its error catalog and management spec, 403 also taken (our
  // inference; Okta documents neither for SSF). The errorCode decides: any other 401/403 is the token's, which the
  // collection's assertions report.
  const featureMissing = (response.status === 401 || response.status === 403) && (response.body as { errorCode?: unknown } | undefined)?.errorCode === 'E0000015';
  if (response.status === 404 || featureMissing) {
    throw new HarnessError('ERR_SSF_NOT_SERVED', `The org at ${orgUrl} does not serve the Security Events Providers API (GET ${PROVIDERS_PATH} answered HTTP ${response.status}${featureMissing ? ' E0000015' : ''}); nothing was created.`, {
      setting: '--flow',
      fix: 'Okta offers the SSF receiver with Identity Threat Protection (and, with limited support, to orgs with Adaptive MFA, to a directly assigned super admin): enable it on the org, or verify the Risk API flow (leave --flow ssf out) if the org still serves it.',
    });
  }
}
