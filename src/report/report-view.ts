/**
 * What the HTML report shows, as plain data: the run's result laid out as the guide's nine steps, each with
 * its status, time, assertions and retries, and the calls of the shared collection that made it, taken from
 * the merged Newman summary. The template only prints this; every decision is made here, where unit tests
 * can read it.
 */
import type { NewmanRunSummary } from 'newman';
import { FOLDERS, REQUESTS, type FolderName, type RequestName } from '../collection/collection.ts';
import { EXIT_CODES } from '../errors.ts';
import type { RetryRecord } from '../run/retries.ts';
import type { RequestReport } from '../run/step-runner.ts';
import { hintFor, VERDICT } from '../run/summary.ts';
import type { VerifyResult } from '../run/verify.ts';

/** One of the guide's steps, and the collection requests that carry it out (none: the runner does it). */
export interface GuideStep<F extends string = FolderName, R extends string = RequestName> {
  /** `key` (the runner's first step) and `teardown` (the last) are the same in every flow. */
  id: string;
  /** The guide's heading for the step. */
  title: string;
  /** The guide's section (the collection's folder) the step belongs to. */
  folder: F;
  requests: readonly R[];
  /** For a step the runner does itself: what it did. */
  runner?: string;
  /** For a runner step other than `key`: the request whose running shows the runner did it. */
  doneWith?: R;
}

export const GUIDE_STEPS: readonly GuideStep[] = [
  {
    id: 'key',
    title: 'Create a public/private key pair',
    folder: FOLDERS.createServiceApp,
    requests: [],
    runner: 'Made by the runner (jose), or loaded with --key: the public key goes to the org in the service app, the private key never leaves this machine.',
  },
  { id: 'service-app', title: 'Create a service app', folder: FOLDERS.createServiceApp, requests: [REQUESTS.createClient, REQUESTS.listClients] },
  { id: 'grant', title: 'Add a scope grant to the app', folder: FOLDERS.createServiceApp, requests: [REQUESTS.grantScope] },
  { id: 'provider', title: 'Retrieve and update the default risk provider', folder: FOLDERS.updateProvider, requests: [REQUESTS.listProviders, REQUESTS.updateProvider] },
  {
    id: 'assertion',
    title: 'Create a client assertion',
    folder: FOLDERS.testIntegration,
    requests: [],
    runner: 'Signed by the runner (jose): iss = sub = the clientId, aud = the token URL, 5 minutes, a fresh jti. A secret: not shown.',
    doneWith: REQUESTS.getAccessToken,
  },
  { id: 'token', title: 'Create an access token', folder: FOLDERS.testIntegration, requests: [REQUESTS.getAccessToken] },
  { id: 'events', title: 'Send risk events to Okta', folder: FOLDERS.testIntegration, requests: [REQUESTS.sendRiskEvents] },
  { id: 'system-log', title: 'Confirm the risk events in the System Log', folder: FOLDERS.confirmSystemLog, requests: [REQUESTS.findRiskSignal] },
  {
    id: 'teardown',
    title: 'Tear down',
    folder: FOLDERS.tearDown,
    requests: [REQUESTS.restoreProvider, REQUESTS.revokeGrant, REQUESTS.deactivateApp, REQUESTS.deleteApp],
  },
];

export type StepStatus = 'passed' | 'failed' | 'stopped' | 'not-run' | 'done' | 'kept';

const STATUS_TEXT: Record<StepStatus, string> = {
  passed: 'Passed',
  failed: 'Failed',
  stopped: 'Stopped here',
  'not-run': 'Not run',
  done: 'Done',
  kept: 'Kept (--keep)',
};

export interface ViewHeader {
  name: string;
  value: string;
}

export interface ViewAssertion {
  name: string;
  passed: boolean;
  skipped: boolean;
  message?: string;
}

export interface ViewCall {
  name: string;
  /** `POST https://…/oauth2/v1/clients`; absent when the attempt kept no exchange (the org had done it). */
  method?: string;
  url?: string;
  /** `201 Created`, or why there was no response. */
  status: string;
  failed: boolean;
  time: string;
  assertions: ViewAssertion[];
  /** Failures the runner recorded that no assertion carries (interrupted, a check the org could not answer). */
  notes: string[];
  retries: string[];
  requestHeaders: ViewHeader[];
  requestBody?: string;
  responseHeaders: ViewHeader[];
  responseBody?: string;
  /** Why the bodies are not shown (the token call carries the client assertion and the access token). */
  bodiesHidden?: string;
  hasExchange: boolean;
}

export interface ViewStep {
  number: number;
  id: GuideStep['id'];
  title: string;
  folder: string;
  status: StepStatus;
  statusText: string;
  time: string;
  assertions: string;
  /** Short, for the table: `1 rate-limit wait (429)`, or `—`. */
  retriesShort: string;
  /** The step's figures in one line: `72 ms · 8/8 assertions · no retries`, or `done by the runner`. */
  meta: string;
  /** One line per earlier attempt, for the step's section. */
  retries: string[];
  runner?: string;
  calls: ViewCall[];
  /** Lines that say why the step failed or stopped, besides its assertions. */
  problems: string[];
  hint?: string;
  /** The teardown's fallback cleanup: what it undid after the Tear down folder. */
  cleanup: string[];
  open: boolean;
}

export interface ReportView {
  title: string;
  org: string;
  target: string;
  runId: string;
  started: string;
  duration: string;
  verdict: string;
  passed: boolean;
  exitCode: number;
  /** The masthead's line above the verdict: what was verified. */
  eyebrow: string;
  steps: ViewStep[];
  /** Where the run went wrong, for the first screen: `Failed at step 2: Create a service app`. */
  where?: string;
  /** Top-level notes: the error that stopped the run, the org's own URL. */
  notices: string[];
  teardown?: string;
  keyId?: string;
  /** Retries of the harness's own calls to the org (not requests of the collection). */
  harnessRetries: string[];
  kept?: string[];
}

export interface ReportInput {
  result: VerifyResult;
  /** The run's Newman summaries merged into one (`mergeSummaries`); absent when no request ran. */
  summary?: NewmanRunSummary;
  /** Requests whose bodies carry secrets and are not shown (the token call). */
  secretBodyRequests: readonly string[];
  /** Request headers not shown (`Authorization`), compared without case. */
  skipHeaders: readonly string[];
  /** When the first Newman run started and the last ended (ms since the epoch). */
  timing?: { started?: number; completed?: number };
  /** The flow's guide steps. Default: the Risk API flow's ({@link GUIDE_STEPS}). */
  steps?: readonly GuideStep<string, string>[];
  /** Why a secret call's bodies are not shown. Default: the Risk API token call's reason. */
  bodiesHiddenReason?: string;
  /** What was verified, for the title and the masthead. Default: the Risk API flow's words. */
  heading?: { title: string; eyebrow: string };
}

const RISK_API_HEADING = { title: 'Okta risk provider verification', eyebrow: 'Okta third-party risk provider integration' };

/** A body longer than this is cut (after redaction, so no secret is ever cut in half and left readable). */
export const MAX_BODY_CHARS = 20_000;

interface PlainUrl {
  protocol?: string;
  host?: string[] | string;
  port?: string;
  path?: string[] | string;
  query?: Array<{ key: string; value?: string | null; disabled?: boolean }>;
}

interface PlainHeader {
  key: string;
  value: string;
  disabled?: boolean;
}

/** An execution of the merged summary, as JSON (the SDK objects' `toJSON` form). */
export interface PlainExecution {
  item: { id?: string; name: string };
  request?: {
    method?: string;
    url?: PlainUrl | string;
    header?: PlainHeader[];
    body?: { mode?: string; raw?: string; urlencoded?: PlainHeader[] };
  };
  response?: { code?: number; status?: string; header?: PlainHeader[]; stream?: { type?: string; data?: number[] }; responseTime?: number };
  requestError?: { message?: string };
  assertions?: Array<{ assertion: string; skipped?: boolean; error?: { message?: string } }>;
}

function urlText(url: PlainUrl | string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (typeof url === 'string') return url;
  const host = Array.isArray(url.host) ? url.host.join('.') : (url.host ?? '');
  const path = Array.isArray(url.path) ? url.path.join('/') : (url.path ?? '').replace(/^\//, '');
  const query = (url.query ?? []).filter((q) => !q.disabled).map((q) => (q.value == null ? q.key : `${q.key}=${q.value}`));
  return `${url.protocol ? `${url.protocol}://` : ''}${host}${url.port ? `:${url.port}` : ''}/${path}${query.length ? `?${query.join('&')}` : ''}`;
}

function bodyText(body: string): string {
  let text = body;
  try {
    text = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // Not JSON: shown as it came.
  }
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}\n… (${text.length - MAX_BODY_CHARS} more characters not shown)` : text;
}

function requestBodyText(body: NonNullable<PlainExecution['request']>['body']): string | undefined {
  if (!body) return undefined;
  if (body.mode === 'urlencoded') return (body.urlencoded ?? []).filter((p) => !p.disabled).map((p) => `${p.key}=${p.value}`).join('&') || undefined;
  return body.raw || undefined;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** What an earlier attempt was and what the runner did about it; a 429 reads as the wait it was. */
export function describeRetry(reason: string): string {
  if (reason === 'HTTP 429') return 'HTTP 429 Too Many Requests: waited until X-Rate-Limit-Reset, then sent again';
  if (reason.endsWith('the org had done it')) return `${reason}: adopted, not sent again`;
  return `${reason}: sent again`;
}

function retriesShort(reasons: readonly string[]): string {
  if (reasons.length === 0) return '—';
  const waits = reasons.filter((r) => r === 'HTTP 429').length;
  const others = reasons.length - waits;
  const parts: string[] = [];
  if (waits > 0) parts.push(`${waits} rate-limit wait${waits === 1 ? '' : 's'} (429)`);
  if (others > 0) parts.push(`${others} retr${others === 1 ? 'y' : 'ies'}`);
  return parts.join(', ');
}

/** Redacts and cuts a text: the cut comes after redaction, so a cut can never leave part of a secret. */
type Clean = (text: string) => string;

function buildCall(report: RequestReport, execution: PlainExecution | undefined, input: ReportInput, clean: Clean): ViewCall {
  const assertions = (execution?.assertions ?? []).map((a) => ({
    name: clean(a.assertion),
    passed: !a.error && !a.skipped,
    skipped: Boolean(a.skipped),
    message: a.error ? clean(a.error.message ?? 'failed') : undefined,
  }));
  const recorded = new Set(assertions.filter((a) => !a.passed && !a.skipped).map((a) => `${a.name}: ${a.message}`));
  const hidden = input.secretBodyRequests.includes(report.name);
  const skip = new Set(input.skipHeaders.map((h) => h.toLowerCase()));
  const headers = (list: PlainHeader[] | undefined): ViewHeader[] =>
    (list ?? []).filter((h) => !h.disabled && !skip.has(h.key.toLowerCase())).map((h) => ({ name: clean(h.key), value: clean(String(h.value)) }));
  const response = execution?.response;
  const responseBody = response?.stream?.data ? Buffer.from(response.stream.data).toString('utf8') : undefined;
  const requestBody = requestBodyText(execution?.request?.body);
  const status =
    report.status !== undefined
      ? `${report.status}${response?.status && response.code === report.status ? ` ${response.status}` : ''}`
      : execution?.requestError?.message
        ? `no response: ${clean(execution.requestError.message)}`
        : 'no response';
  return {
    name: report.name,
    method: execution?.request?.method,
    url: execution ? clean(urlText(execution.request?.url) ?? '') : undefined,
    status,
    failed: report.failed > 0,
    time: response?.responseTime !== undefined ? formatDuration(response.responseTime) : '—',
    assertions,
    notes: report.failures.filter((f) => !recorded.has(f)).map(clean),
    retries: report.retries.map(describeRetry),
    requestHeaders: headers(execution?.request?.header),
    requestBody: hidden || !requestBody ? undefined : bodyText(clean(requestBody)),
    responseHeaders: headers(response?.header),
    responseBody: hidden || !responseBody ? undefined : bodyText(clean(responseBody)),
    bodiesHidden: hidden ? (input.bodiesHiddenReason ?? 'The bodies of this call are not shown: the request carries the client assertion and the response the access token.') : undefined,
    hasExchange: execution !== undefined,
  };
}

/** Pairs each request report with the kept execution it came from (same name, same assertion counts, in order). */
function pairExecutions(reports: RequestReport[], executions: PlainExecution[]): Map<RequestReport, PlainExecution> {
  const used = new Set<PlainExecution>();
  const pairs = new Map<RequestReport, PlainExecution>();
  for (const report of reports) {
    const match = executions.find((e) => {
      if (used.has(e) || e.item.name !== report.name) return false;
      const counted = (e.assertions ?? []).filter((a) => !a.skipped);
      const failed = counted.filter((a) => a.error).length;
      return counted.length - failed === report.passed && failed === report.failed;
    });
    if (match) {
      used.add(match);
      pairs.set(report, match);
    }
  }
  return pairs;
}

function environmentValue(summary: NewmanRunSummary | undefined, key: string): string | undefined {
  const scope = summary?.environment as unknown as { toJSON?(): { values?: Array<{ key: string; value: unknown }> }; values?: Array<{ key: string; value: unknown }> } | undefined;
  const values = (typeof scope?.toJSON === 'function' ? scope.toJSON().values : scope?.values) ?? [];
  const value = values.find((v) => v.key === key)?.value;
  return typeof value === 'string' ? value : undefined;
}

function keyIdOf(summary: NewmanRunSummary | undefined): string | undefined {
  try {
    const kid = (JSON.parse(environmentValue(summary, 'publicKey') ?? '') as { kid?: unknown }).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

function whereOf(steps: readonly ViewStep[]): string | undefined {
  const step = steps.find((s) => s.status === 'failed' || s.status === 'stopped');
  if (!step) return undefined;
  return `${step.status === 'failed' ? 'Failed' : 'Stopped'} at step ${step.number}: ${step.title}`;
}

/** Builds the report's data from a run's result and its merged Newman summary. */
export function buildReportView(input: ReportInput, clean: Clean = (t) => t): ReportView {
  const { result, summary } = input;
  const executions = (summary ? (JSON.parse(JSON.stringify(summary.run.executions ?? [])) as PlainExecution[]) : []).filter((e) => e?.item?.name);
  const reports = result.phases.flatMap((p) => p.requests);
  const pairs = pairExecutions(reports, executions);
  const firstFailed = reports.find((r) => r.failed > 0);
  const hint = hintFor(result);
  const retriesByCall = new Map<string, string[]>();
  for (const record of result.retries.filter((r: RetryRecord) => r.source === 'collection')) {
    retriesByCall.set(record.call, [...(retriesByCall.get(record.call) ?? []), ...record.reasons]);
  }
  const keyId = keyIdOf(summary);
  const guideSteps: readonly GuideStep<string, string>[] = input.steps ?? GUIDE_STEPS;

  const steps: ViewStep[] = guideSteps.map((guide, i) => {
    const own = reports.filter((r) => (guide.requests as readonly string[]).includes(r.name));
    const calls = own.map((r) => buildCall(r, pairs.get(r), input, clean));
    const reasons = guide.requests.flatMap((name) => retriesByCall.get(name) ?? []);
    const counted = own.reduce((n, r) => n + r.passed + r.failed, 0);
    const passedCount = own.reduce((n, r) => n + r.passed, 0);
    const timeMs = own.reduce((n, r) => n + (pairs.get(r)?.response?.responseTime ?? 0), 0);
    let status: StepStatus;
    if (guide.runner) status = guide.doneWith === undefined || reports.some((r) => r.name === guide.doneWith) ? 'done' : 'not-run';
    else if (own.length === 0) status = guide.id === 'teardown' && result.kept ? 'kept' : 'not-run';
    else status = own.some((r) => r.failed > 0) ? 'failed' : 'passed';
    const problems: string[] = [];
    return {
      number: i + 1,
      id: guide.id,
      title: guide.title,
      folder: guide.folder,
      status,
      statusText: STATUS_TEXT[status],
      time: guide.runner || own.length === 0 ? '—' : formatDuration(timeMs),
      assertions: guide.runner || own.length === 0 ? '—' : `${passedCount}/${counted}`,
      retriesShort: retriesShort(reasons),
      meta: guide.runner ? (status === 'done' ? 'done by the runner' : 'not reached') : own.length === 0 ? 'no request ran' : `${formatDuration(timeMs)} · ${passedCount}/${counted} assertions · ${reasons.length === 0 ? 'no retries' : retriesShort(reasons)}`,
      retries: guide.requests.flatMap((name) => (retriesByCall.get(name) ?? []).map((reason) => `${name}: ${describeRetry(reason)}`)),
      runner: guide.id === 'key' && keyId ? `${guide.runner} Key id (kid): ${keyId}.` : guide.runner,
      calls,
      problems,
      cleanup: [],
      hint: firstFailed && hint && own.includes(firstFailed) ? clean(hint) : undefined,
      open: false,
    };
  });

  // A folder that broke (no response, a script that threw) marks the step of the last request that ran in it.
  for (const phase of result.phases) {
    if (!phase.broken) continue;
    const inFolder = steps.filter((s) => s.folder === phase.name && !guideSteps[s.number - 1]!.runner);
    const step = inFolder.filter((s) => s.calls.length > 0).at(-1) ?? inFolder[0];
    if (!step) continue;
    step.status = 'failed';
    step.problems.push(`The run broke: ${clean(phase.broken)}`);
  }

  // The teardown's fallback cleanup, and whether the org is as it was found.
  const teardownStep = steps.find((s) => s.id === 'teardown')!;
  const cleanup = (result.cleanup?.actions ?? []).map((a) => clean(`${a.step}: ${a.outcome} (${a.detail})`));
  teardownStep.cleanup = cleanup;
  let teardown: string | undefined;
  if (result.cleanup) {
    teardown = result.cleanup.complete ? 'The org is as it was found.' : 'INCOMPLETE: run `npm run cleanup` (okta-risk cleanup) to undo the rest.';
    if (!result.cleanup.complete) {
      teardownStep.status = 'failed';
      teardownStep.problems.push(`Teardown left something behind. ${teardown}`);
    } else if (teardownStep.status === 'not-run') {
      teardownStep.status = 'passed';
      if (cleanup.length === 0) teardownStep.meta = 'nothing to undo';
    }
  }

  // A run that stopped part way without a failed step: the first step it did not reach says where and why.
  const stoppedEarly = result.error !== undefined || result.exitCode === EXIT_CODES.interrupted || result.exitCode === EXIT_CODES.runBroken;
  if (stoppedEarly && !steps.some((s) => s.status === 'failed')) {
    const step = steps.find((s) => s.status === 'not-run' && s.id !== 'teardown');
    if (step) {
      step.status = 'stopped';
      step.problems.push(
        result.error ? `The run stopped at this step: ${clean(result.error.describe())}` : result.exitCode === EXIT_CODES.interrupted ? 'The run was interrupted (Ctrl-C) at this step.' : 'The run stopped at this step.',
      );
    }
  }
  for (const step of steps) {
    step.statusText = STATUS_TEXT[step.status];
    step.open = step.status === 'failed' || step.status === 'stopped';
  }

  const host = result.orgUrl ? new URL(result.orgUrl).host : 'not reached';
  const timings = input.timing;
  const notices: string[] = [];
  if (result.error) notices.push(clean(`Error [${result.error.code}]: ${result.error.describe()}`));
  if (result.urlHint) notices.push(clean(`Hint: ${result.urlHint}`));
  const kept = result.kept
    ? [
        `The service app${result.kept.clientId ? ` ${result.kept.clientId}` : ''}, its grant and the provider change are still on the org (--keep).`,
        `Postman environment: ${result.kept.environmentFile}`,
        `Undo later with: npx okta-risk cleanup --state ${result.kept.stateFile}`,
      ].map(clean)
    : undefined;
  return {
    title: clean(`${(input.heading ?? RISK_API_HEADING).title}: ${host}, run ${result.runId}`),
    eyebrow: (input.heading ?? RISK_API_HEADING).eyebrow,
    org: clean(host),
    target: result.target === 'emulator' ? 'the embedded Okta org emulator' : clean(result.orgUrl ?? 'the org'),
    runId: result.runId,
    started: timings?.started ? new Date(timings.started).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—',
    duration: timings?.started && timings.completed ? formatDuration(timings.completed - timings.started) : '—',
    verdict: VERDICT[result.exitCode] ?? 'UNKNOWN',
    passed: result.exitCode === EXIT_CODES.passed,
    exitCode: result.exitCode,
    steps,
    where: whereOf(steps),
    notices,
    teardown,
    keyId,
    harnessRetries: result.retries.filter((r) => r.source === 'harness').map((r) => clean(`${r.call}: ${r.reasons.map(describeRetry).join('; ')}`)),
    kept,
  };
}
