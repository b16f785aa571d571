/**
 * `verify --flow ssf`: Okta's Shared Signals receiver, the successor of the Risk APIs, end to end through the
 * second shared collection (`collections/okta-ssf-receiver.postman_collection.json`):
 *
 * 1. Register the security events provider: the run's issuer (unique to the run) and JWKS URL, then activate.
 * 2. Push security event tokens: SETs minted with jose, one Newman request each.
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
  SSF_FOLDERS,
  SSF_PROVIDER_TYPE,
  SSF_REQUESTS,
  SSF_SECRET_VARIABLES,
  type SsfFolderName,
  type SsfRequestName,
  type SsfVariableName,
} from '../collection/ssf-collection.ts';
import { renderSsfEnvironment, type SsfEnvironmentValues } from '../environment/render-ssf-environment.ts';
import { buildEmulator, type Emulator } from '../emulator/index.ts';
import type { VerifySettings } from '../config/settings.ts';
import { EXIT_CODES, exitCodeOf, HarnessError } from '../errors.ts';
import { generateProviderKeyPair, loadKeyPair, type ProviderKeyPair } from '../keys/index.ts';
import { PROVIDERS_PATH } from '../okta/ssf.ts';
import { undoJournal } from '../org/cleanup.ts';
import { OrgClient, realSleep } from '../org/org-client.ts';
import { writeHtmlReport } from '../report/html-report.ts';
import type { PhaseHooks } from '../run/newman-phase.ts';
import { loadNewman } from '../run/newman-phase.ts';
import { Redactor } from '../run/redact.ts';
import { RunContext } from '../run/run-context.ts';
import { writeReports, type WrittenReport } from '../run/reports.ts';
import { collectRetries } from '../run/retries.ts';
import { StepRunner, type CollectionLayout, type RetryPolicy } from '../run/step-runner.ts';
import { finishedRunExitCode, loadCollection, makeRunId, openOrg, rateLimitedCallsOf, type VerifyOptions, type VerifyResult } from '../run/verify.ts';
import { Journal, journalPath } from '../state/journal.ts';
import { checkJwksUrl } from './check-jwks-url.ts';
import { SSF_BODIES_HIDDEN, SSF_GUIDE_STEPS, SSF_REPORT_HEADING } from './guide-steps.ts';
import { serveJwks, type JwksServer } from './jwks-server.ts';
import { mintSecurityEventToken, type SetEvents } from './mint-security-event-token.ts';
import { USER_RISK_CHANGE } from './signal-events.ts';

type SsfRunner = StepRunner<SsfFolderName, SsfRequestName>;

const LAYOUT: CollectionLayout<SsfFolderName, SsfRequestName> = {
  folderRequests: SSF_FOLDER_REQUESTS,
  secretKeys: SSF_SECRET_VARIABLES,
  rateLimitOf: (name) => (name === SSF_REQUESTS.pushSet ? 'the security events rate limit' : undefined),
};

/**
 * A SET is sent again as it is (same `jti`: Okta ignores a repeated one, so it cannot count twice) while it is
 * this young. Past it, after a lost answer, it is not sent again: the org's replay window is undocumented.
 */
export const SET_RESEND_WINDOW_MS = 60_000;

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

function parseId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
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
  const result: VerifyResult = { exitCode: EXIT_CODES.passed, runId, target: settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [] };
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
      settings.target.kind === 'emulator' ? buildEmulator({ eventsRateLimit: settings.eventsRateLimit }) : undefined,
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
    const { env } = ctx;
    const run: SsfRunner = new StepRunner<SsfFolderName, SsfRequestName>({ collection, layout: LAYOUT, context: ctx, cli: settings.reporters.includes('cli') });
    started = run;
    reportTitle = `${SSF_REPORT_HEADING.title}: ${new URL(orgUrl).host}, run ${runId}`;
    const aborted = (): boolean => ctx.aborted;
    const boundary = async (phase: string): Promise<boolean> => {
      await options.onPhase?.(phase);
      return !aborted() && run.healthy;
    };
    const providerId = (): string | undefined => {
      const entry = journal.data.securityEventsProvider;
      return entry?.status === 'created' ? entry.id : undefined;
    };
    /** After a lost create answer: the provider with the run's issuer, if the org made it. */
    const findOurProvider = async (): Promise<boolean> => {
      const listed = await org!.request<Array<{ id?: unknown; settings?: { issuer?: unknown } }>>('GET', PROVIDERS_PATH);
      if (listed.status !== 200 || !Array.isArray(listed.body)) throw new Error(`listing providers: HTTP ${listed.status}`);
      const ours = listed.body.find((p) => p.settings?.issuer === issuer && typeof p.id === 'string');
      if (!ours) return false;
      journal.securityEventsProviderCreated(ours.id as string);
      env.set('providerId', ours.id as string);
      return true;
    };
    const providerGone = async (): Promise<boolean> => {
      const id = providerId();
      if (!id) return true;
      const response = await org!.request('GET', `${PROVIDERS_PATH}/${encodeURIComponent(id)}`);
      if (response.status === 404) return true;
      if (response.status === 200) return false;
      throw new Error(`HTTP ${response.status}`);
    };
    const teardownHooks: PhaseHooks = {
      afterResponse({ name, status }) {
        if (name === SSF_REQUESTS.deleteProvider && (status === 204 || status === 404)) journal.undone('securityEventsProvider');
      },
    };
    const teardownPolicies: Partial<Record<SsfRequestName, RetryPolicy>> = { [SSF_REQUESTS.deleteProvider]: { kind: 'check', tookEffect: providerGone } };
    const confirmPolicies: Partial<Record<SsfRequestName, RetryPolicy>> = { [SSF_REQUESTS.findEvents]: { kind: 'idempotent' } };
    let teardownAnnounced = false;

    try {
      if (await boundary('register-provider')) {
        await run.folder(SSF_FOLDERS.registerProvider, {
          hooks: {
            beforeRequest(name) {
              if (name === SSF_REQUESTS.createProvider) journal.securityEventsProviderPending(issuer);
            },
            afterResponse({ name, status, body }) {
              const id = name === SSF_REQUESTS.createProvider && status === 200 ? parseId(body) : undefined;
              if (id) journal.securityEventsProviderCreated(id);
            },
          },
          policies: {
            [SSF_REQUESTS.createProvider]: { kind: 'check', tookEffect: findOurProvider },
            [SSF_REQUESTS.listProviders]: { kind: 'idempotent' },
            [SSF_REQUESTS.activateProvider]: { kind: 'idempotent' },
          },
        });
      }

      for (const [index, claims] of events.entries()) {
        if (!(await boundary('push-security-event-tokens'))) break;
        let minted: { at: number } | undefined;
        let onlyRateLimited = true;
        const ok = await run.request(
          SSF_FOLDERS.pushSets,
          SSF_REQUESTS.pushSet,
          {
            afterResponse({ status }) {
              if (status !== 429) onlyRateLimited = false;
              if (status === 204) streams.err.write('note: the org answered 204 No Content to a SET push, where Okta documents 202 Accepted (taken as accepted)\n');
            },
          },
          // A resend carries the same SET: the org ignores a jti it has seen, so nothing is counted twice.
          { kind: 'idempotent' },
          undefined,
          async () => {
            if (minted && now() - minted.at <= SET_RESEND_WINDOW_MS) return true;
            // Too old to resend as it is: a new jti is safe only when every earlier attempt was refused with a 429.
            if (minted && !onlyRateLimited) return false;
            const set = await mintSecurityEventToken({
              issuer,
              orgUrl,
              privateJwk: keys.privateJwk,
              kid: keys.kid,
              events: claims,
              currentDate: new Date(now()),
              jti: `${runId}-${index + 1}-${Math.random().toString(36).slice(2, 10)}`,
            });
            ctx.secret(set.token);
            minted = { at: now() };
            env.set('securityEventToken', set.token);
            return true;
          },
        );
        if (!ok) break;
      }
      // No SET is left in the environment once pushed: whoever holds an unsent one could push it.
      env.set('securityEventToken', '');

      if (await boundary('confirm-system-log')) {
        teardownAnnounced = true;
        // From here on a Ctrl-C no longer cuts waits short: the teardown must get through.
        run.beginFinalPhase();
        await options.onPhase?.('tear-down');
        // The usual end: the System Log check and the teardown in one Newman run. If the check fails, the run
        // stops there and the teardown goes on in a run of its own (below).
        if (!aborted()) await run.folder([SSF_FOLDERS.confirmSystemLog, SSF_FOLDERS.tearDown], { hooks: teardownHooks, policies: { ...confirmPolicies, ...teardownPolicies } });
      }
    } finally {
      if (!teardownAnnounced) await options.onPhase?.('tear-down');
      // The provider was made and the folder above did not get to delete it (a failed check, Ctrl-C, a break).
      if (providerId() !== undefined && !run.ran(SSF_REQUESTS.deleteProvider)) {
        run.beginFinalPhase();
        await run.folder(SSF_FOLDERS.tearDown, { hooks: teardownHooks, policies: teardownPolicies });
      }
      // Whatever the folder could not undo (a create whose answer was lost, a failed delete).
      result.cleanup = await undoJournal(journal, org);
    }
    result.phases = run.phases;
    result.rateLimitedCalls = rateLimitedCallsOf(run.phases, SSF_REQUESTS.pushSet);
    result.reports = await writeRunReports(run);
    result.exitCode = finishedRunExitCode(run, result.cleanup, aborted());
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
      if (started && settings.reporters.includes('html')) {
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
