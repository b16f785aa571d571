/**
 * `verify --flow ssf`: Okta's Shared Signals receiver, the successor of the Risk APIs, end to end through the
 * second shared collection (`collections/okta-ssf-receiver.postman_collection.json`):
 *
 * 1. Register the security events provider: the run's issuer (unique to the run) and JWKS URL, then activate.
 * 2. Push security event tokens: SETs minted with jose, one Newman request each.
 *
 * The phases (ssf-phases.ts) are walked by the same loop as the Risk API flow's. While all goes well that is
 * four Newman runs: the registration, one per SET (each is minted right before it goes), and the System Log
 * check with the teardown, paused at the boundary between them.
 * 3. Confirm them in the System Log (`security.events.provider.receive_event`, polled, bounded).
 * 4. Tear down: delete the provider.
 *
 * The runner generates the key (or loads `--key`), serves the JWKS on loopback for an org on this machine (or
 * checks `--jwks-url` for a real org), journals the provider before its create call is sent, and undoes it
 * as the Risk API flow does: at teardown, on Ctrl-C, and through `okta-risk cleanup` for a killed run.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import {
  SSF_COLLECTION_FILE,
  SSF_FOLDER_REQUESTS,
  SSF_PROVIDER_TYPE,
  SSF_REQUESTS,
  SSF_SECRET_VARIABLES,
  type SsfFolderName,
  type SsfRequestName,
  type SsfVariableName,
} from '../collection/ssf-collection.ts';
import { renderSsfEnvironment, type SsfEnvironmentValues } from '../environment/render-ssf-environment.ts';
import type { Emulator } from '../emulator/index.ts';
import type { VerifySettings } from '../config/settings.ts';
import { EXIT_CODES, exitCodeOf, HarnessError } from '../errors.ts';
import { generateProviderKeyPair, loadKeyPair, type ProviderKeyPair } from '../keys/index.ts';
import { PROVIDERS_PATH } from '../okta/ssf.ts';
import { undoJournal } from '../org/cleanup.ts';
import { OrgClient, realSleep } from '../org/org-client.ts';
import { runPhases } from '../run/phases.ts';
import { loadNewman } from '../run/newman-phase.ts';
import { Redactor } from '../run/redact.ts';
import { RunContext } from '../run/run-context.ts';
import { writeReports, type WrittenReport } from '../run/reports.ts';
import { collectRetries } from '../run/retries.ts';
import { StepRunner, type CollectionLayout } from '../run/step-runner.ts';
import { finishedRunExitCode, loadCollection, makeRunId, openOrg, rateLimitedCallsOf, startableEmulator, type VerifyOptions, type VerifyResult } from '../run/verify.ts';
import { Journal, journalPath } from '../state/journal.ts';
import { checkJwksUrl } from './check-jwks-url.ts';
import { SSF_BODIES_HIDDEN, SSF_GUIDE_STEPS, SSF_REPORT_HEADING } from './guide-steps.ts';
import { serveJwks, type JwksServer } from './jwks-server.ts';
import type { SetEvents } from './mint-security-event-token.ts';
import { USER_RISK_CHANGE } from './signal-events.ts';
import { ssfPhases, type SsfPhaseId } from './ssf-phases.ts';

export { SET_RESEND_WINDOW_MS, SSF_PHASE_IDS, type SsfPhaseId } from './ssf-phases.ts';

type SsfRunner = StepRunner<SsfFolderName, SsfRequestName>;

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
  const event = (current: string, previous: string): SetEvents => ({
    [USER_RISK_CHANGE]: {
      event_timestamp: Math.floor(nowMs / 1000),
      subject: { user: { format: 'email', email } },
      current_level: current,
      previous_level: previous,
      initiating_entity: 'system',
      reason_admin: { en: `okta-risk-harness verify run ${runId}: a test signal, no action needed` },
    },
  });
  return [event('low', 'none'), event('none', 'low')];
}

export async function verifySsf(options: VerifyOptions): Promise<VerifyResult> {
  const { settings } = options;
  const ssf = settings.ssf;
  if (!ssf) throw new TypeError('verifySsf: settings.ssf is required with flow ssf');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const streams = options.streams ?? { out: process.stdout, err: process.stderr };
  const runId = makeRunId(now());
  const redactor = new Redactor();
  const unguard = [redactor.guard(streams.out), redactor.guard(streams.err)];
  const result: VerifyResult = { exitCode: EXIT_CODES.passed, runId, target: settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [], newmanRuns: 0 };
  const runDir = join(settings.workDir, runId);
  const reportsDir = join(settings.reportsDir, runId);
  let emulator: Emulator | undefined;
  let jwks: JwksServer | undefined;
  let org: OrgClient | undefined;
  let started: SsfRunner | undefined;
  let reportTitle = '';
  const writeRunReports = (ran: SsfRunner): Promise<WrittenReport[]> =>
    writeReports({
      runs: ran.reportRuns,
      dir: reportsDir,
      reporters: settings.reporters.filter((r): r is 'junit' | 'htmlextra' => r === 'junit' || r === 'htmlextra'),
      title: reportTitle,
      redactor,
      secretKeys: SSF_SECRET_VARIABLES,
      secretBodyRequests: [SSF_REQUESTS.pushSet],
    });
  try {
    const [keys, collection, built] = await Promise.all([
      settings.keyFile ? loadKeyPair(settings.keyFile) : generateProviderKeyPair(),
      loadCollection(SSF_COLLECTION_FILE),
      settings.target.kind === 'emulator' ? startableEmulator(settings) : undefined,
      loadNewman(),
    ]);
    redactor.addPrivateJwk(keys.privateJwk as Record<string, unknown>);
    assertRsa(keys);

    emulator = built;
    const opened = await openOrg(settings.target, built, { redactor, now, sleep, log: (line) => streams.err.write(line) });
    const { orgUrl, apiToken } = opened;
    org = opened.org;
    result.orgUrl = orgUrl;
    result.urlHint = (await org.assertReachable(settings.target.kind === 'org' ? '--org-url (OKTA_CLIENT_ORGURL)' : 'the embedded emulator')).hint;

    // The key's home, a URL the org fetches: checked (or served) before anything is created.
    let jwksUrl: string;
    let issuerBase: string;
    if (ssf.jwksUrl !== undefined) {
      await checkJwksUrl({ url: ssf.jwksUrl, orgUrl, publicJwk: keys.publicJwk as JWK & { kid: string }, allowPrivateHosts: isLoopbackOrg(orgUrl) });
      jwksUrl = ssf.jwksUrl;
      issuerBase = new URL(ssf.jwksUrl).origin;
    } else {
      jwks = await serveJwks({ keys: [keys.publicJwk] });
      jwksUrl = jwks.jwksUrl;
      issuerBase = jwks.url;
    }
    // Unique to the run: Okta routes SETs by issuer, and cleanup finds a provider whose create answer was lost by it.
    const issuer = `${issuerBase}/okta-risk-harness/${runId}`;
    await assertProvidersApiServed(org, orgUrl);

    const statePath = settings.target.kind === 'emulator' ? join(runDir, 'state.json') : journalPath(settings.workDir, orgUrl);
    Journal.assertNoOtherRun(statePath, orgUrl);
    const journal = Journal.begin(statePath, { orgUrl, runId, pid: process.pid, startedAt: new Date(now()).toISOString(), kid: keys.kid, providerName: settings.providerName });

    const events = verificationEvents(runId, ssf.subjectEmail, now());
    const ctx = new RunContext<SsfVariableName>({
      settings,
      runId,
      orgUrl,
      org,
      journal,
      keys,
      redactor,
      clock: { now, sleep },
      environment: ssfEnvironment(settings, orgUrl, apiToken, issuer, jwksUrl, ssf.subjectEmail, events.length, now, options.logPoll),
      signal: options.signal,
      log: (line) => streams.err.write(line),
    });
    const run: SsfRunner = new StepRunner<SsfFolderName, SsfRequestName>({ collection, layout: LAYOUT, context: ctx, cli: settings.reporters.includes('cli') });
    started = run;
    reportTitle = `${SSF_REPORT_HEADING.title}: ${new URL(orgUrl).host}, run ${runId}`;
    const onPhase = async (id: SsfPhaseId): Promise<void> => void (await options.onPhase?.(id));
    const phases = ssfPhases({ ctx, runner: run, issuer, events, onPhase, log: (line) => streams.err.write(line) });
    try {
      await runPhases(phases, { runner: run, onPhase, aborted: () => ctx.aborted });
    } finally {
      // Whatever the Tear down folder could not undo (a create whose answer was lost, a failed delete).
      result.cleanup = await undoJournal(journal, org);
    }
    result.phases = run.phases;
    result.rateLimitedCalls = rateLimitedCallsOf(run.phases, SSF_REQUESTS.pushSet);
    result.reports = await writeRunReports(run);
    result.exitCode = finishedRunExitCode(run, result.cleanup, ctx.aborted);
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    result.error = error;
    result.exitCode = exitCodeOf({ error });
    if (started) {
      result.phases = started.phases;
      result.reports = await writeRunReports(started);
    }
  } finally {
    try {
      result.retries = collectRetries(result.phases, org?.retries ?? []);
      result.newmanRuns = started?.reportRuns.length ?? 0;
      if (started && settings.reporters.includes('html')) {
        const { writeHtmlReport } = await import('../report/html-report.ts');
        result.reports.push(await writeHtmlReport({ result, runs: started.reportRuns, dir: reportsDir, redactor, secretBodyRequests: [SSF_REQUESTS.pushSet], steps: SSF_GUIDE_STEPS, bodiesHiddenReason: SSF_BODIES_HIDDEN, heading: SSF_REPORT_HEADING }));
      }
    } finally {
      await jwks?.close();
      await emulator?.close();
      await rm(runDir, { recursive: true, force: true });
      for (const restore of unguard) restore();
    }
  }
  return result;
}

/** The SSF collection's environment at the start of a run. */
function ssfEnvironment(
  settings: VerifySettings,
  orgUrl: string,
  apiToken: string,
  issuer: string,
  jwksUrl: string,
  subjectEmail: string,
  expectedEventCount: number,
  now: () => number,
  logPoll: VerifyOptions['logPoll'],
): Required<SsfEnvironmentValues> {
  const values: Required<SsfEnvironmentValues> = {
    url: orgUrl,
    apikey: apiToken,
    providerName: settings.providerName,
    providerType: SSF_PROVIDER_TYPE,
    issuer,
    jwksUrl,
    providerId: '',
    securityEventToken: '',
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

/** Okta takes SETs signed with RS256 only: an EC `--key` is refused before anything is created. */
function assertRsa(keys: ProviderKeyPair): void {
  if (keys.privateJwk.kty !== 'RSA') {
    throw new HarnessError('ERR_KEY_INVALID', `--key is an ${keys.privateJwk.kty} key; Okta's SSF receiver takes SETs signed with RS256 only.`, {
      setting: '--key',
      fix: 'pass an RSA key of at least 2048 bits (okta-risk keys writes one), or leave --key out for a fresh one.',
    });
  }
}

/** An org without the SSF receiver (no Identity Threat Protection, or Adaptive MFA without it) is named before anything is created. */
async function assertProvidersApiServed(org: OrgClient, orgUrl: string): Promise<void> {
  const response = await org.request('GET', PROVIDERS_PATH);
  // 403 E0000015 is Okta's answer for a feature the org does not have (inferred for SSF: undocumented there);
  // any other 401/403 is the token's, which the collection's assertions report.
  const featureMissing = response.status === 403 && (response.body as { errorCode?: unknown } | undefined)?.errorCode === 'E0000015';
  if (response.status === 404 || featureMissing) {
    throw new HarnessError('ERR_SSF_NOT_SERVED', `The org at ${orgUrl} does not serve the Security Events Providers API (GET ${PROVIDERS_PATH} answered HTTP ${response.status}${featureMissing ? ' E0000015' : ''}); nothing was created.`, {
      setting: '--flow',
      fix: 'Okta offers the SSF receiver with Identity Threat Protection (and, with limited support, to orgs with Adaptive MFA, to a directly assigned super admin): enable it on the org, or verify the Risk API flow (leave --flow ssf out) if the org still serves it.',
    });
  }
}
