/**
 * Hand-made runs for the report tests: Newman summaries in the shape Newman writes them (the SDK objects'
 * JSON form) and the VerifyResult verify would return for them. No org, no Newman: the report is a function
 * of these two.
 */
import type { NewmanRunSummary } from 'newman';
import { REQUESTS, SECRET_VARIABLES, type RequestName } from '../../src/collection/collection.ts';
import { EXIT_CODES, HarnessError, type ExitCode } from '../../src/errors.ts';
import type { PlainExecution } from '../../src/report/report-view.ts';
import type { ReportRun } from '../../src/run/reports.ts';
import type { RetryRecord } from '../../src/run/retries.ts';
import type { RetryCause } from '../../src/run/retry.ts';
import type { PhaseReport, RequestReport } from '../../src/run/step-runner.ts';
import type { VerifyResult } from '../../src/run/verify.ts';
import { FOLDER_REQUESTS, FOLDERS, type FolderName } from '../../src/collection/collection.ts';

export const ORG = 'https://acme.okta.com';
export const RUN_ID = '20261128T120000Z-abc123';
export const STARTED = Date.UTC(2026, 10, 28, 12, 0, 0);
/** Secrets the fixtures carry where a real run would: the page must show none of them. */
export const API_TOKEN = '00apiTokenOfTheAdminXXXXXXXXXXXXXXXXXXXXXX';
export const ACCESS_TOKEN = 'eyJraWQiOiJhY2Nlc3MtdG9rZW4ifQ.eyJzdWIiOiIwb2ExIn0.signature-of-the-access-token';
export const ASSERTION = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIwb2ExIn0.signature-of-the-client-assertion';
export const KID = 'kid-7XyZ0123456789abcdefGHIJ';

export interface Call {
  name: RequestName;
  method: string;
  path: string;
  status: number;
  statusText: string;
  timeMs: number;
  /** Assertion names; a `[name, message]` pair failed with that message. */
  assertions: Array<string | [string, string]>;
  requestBody?: string;
  responseBody?: string;
  retries?: string[];
}

let executionsMade = 0;

/** A call's execution as Newman's summary holds it, with a cursor ref of its own (as Newman gives each). */
function execution(call: Call): PlainExecution & { cursor: { ref: string } } {
  const url = new URL(call.path, ORG);
  const auth = call.name === REQUESTS.sendRiskEvents ? `Bearer ${ACCESS_TOKEN}` : `SSWS ${API_TOKEN}`;
  return {
    cursor: { ref: `ref-${++executionsMade}` },
    item: { id: `id-${call.name}`, name: call.name },
    request: {
      method: call.method,
      url: { protocol: 'https', host: url.hostname.split('.'), path: url.pathname.slice(1).split('/'), query: [...url.searchParams].map(([key, value]) => ({ key, value })) },
      header: [
        { key: 'Authorization', value: auth },
        { key: 'Accept', value: 'application/json' },
      ],
      body: call.requestBody === undefined ? undefined : { mode: 'raw', raw: call.requestBody },
    },
    response: {
      code: call.status,
      status: call.statusText,
      header: [{ key: 'content-type', value: 'application/json' }],
      stream: { type: 'Buffer', data: [...Buffer.from(call.responseBody ?? '', 'utf8')] },
      responseTime: call.timeMs,
    },
    assertions: call.assertions.map((a) => (typeof a === 'string' ? { assertion: a, skipped: false } : { assertion: a[0], skipped: false, error: { message: a[1] } })),
  };
}

function requestReport(call: Call): RequestReport {
  const failed = call.assertions.filter((a): a is [string, string] => typeof a !== 'string');
  return {
    name: call.name,
    status: call.status,
    passed: call.assertions.length - failed.length,
    failed: failed.length,
    failures: failed.map(([name, message]) => `${name}: ${message}`),
    retries: call.retries ?? [],
    causes: (call.retries ?? []).map(causeFrom),
  };
}

function folderOf(name: RequestName): FolderName {
  return (Object.entries(FOLDER_REQUESTS) as Array<[FolderName, readonly RequestName[]]>).find(([, names]) => names.includes(name))![0];
}

/** One Newman run's summary holding these calls. */
export function summaryOf(calls: Call[], started: number, completed: number): NewmanRunSummary {
  const executions = calls.map(execution);
  const assertions = executions.flatMap((e) => e.assertions ?? []);
  return {
    collection: { name: 'okta-risk-provider' },
    environment: {
      values: [
        { key: 'publicKey', value: JSON.stringify({ kty: 'RSA', e: 'AQAB', n: 'public-modulus', kid: KID, use: 'sig', alg: 'RS256' }) },
        ...SECRET_VARIABLES.map((key) => ({ key, value: key === 'apikey' ? API_TOKEN : key === 'accessToken' ? ACCESS_TOKEN : ASSERTION })),
      ],
    },
    run: {
      stats: {
        requests: { total: executions.length, pending: 0, failed: 0 },
        assertions: { total: assertions.length, pending: 0, failed: assertions.filter((a) => a.error).length },
      },
      timings: { started, completed },
      executions,
      failures: [],
      transfers: { responseTotal: 0 },
    },
  } as unknown as NewmanRunSummary;
}

/** The phases verify reports for these calls, in folder order. */
export function phasesOf(calls: Call[], broken: Partial<Record<FolderName, string>> = {}): PhaseReport[] {
  const phases: PhaseReport[] = [];
  for (const call of calls) {
    const folder = folderOf(call.name);
    let phase = phases.find((p) => p.name === folder);
    if (!phase) phases.push((phase = { name: folder, requests: [], passed: true }));
    const report = requestReport(call);
    phase.requests.push(report);
    if (report.failed > 0) phase.passed = false;
  }
  for (const [folder, why] of Object.entries(broken)) {
    const phase = phases.find((p) => p.name === folder)!;
    phase.broken = why;
    phase.passed = false;
  }
  return phases;
}

export function retriesOf(calls: Call[]): RetryRecord[] {
  return calls.filter((c) => c.retries?.length).map((c) => ({ call: c.name, source: 'collection' as const, reasons: [...c.retries!], causes: c.retries!.map(causeFrom) }));
}

/** The tagged cause a fixture's retry words stand for (`HTTP 429`, `HTTP 503`, or words for a lost answer). */
function causeFrom(reason: string): RetryCause {
  if (reason === 'HTTP 429') return { kind: 'rate-limited' };
  const status = /^HTTP (5\d\d)$/.exec(reason);
  if (status) return { kind: 'server-error', status: Number(status[1]) };
  return { kind: 'no-answer', detail: reason };
}

export const CALLS = {
  createClient: {
    name: REQUESTS.createClient,
    method: 'POST',
    path: '/oauth2/v1/clients',
    status: 201,
    statusText: 'Created',
    timeMs: 50,
    assertions: ['Status is 201 Created', 'client_name is the providerName'],
    requestBody: '{"client_name":"Risk Provider Example","jwks":{"keys":[{"kid":"' + KID + '"}]}}',
    responseBody: '{"client_id":"0oaClient0001","client_name":"Risk Provider Example"}',
  },
  listClients: { name: REQUESTS.listClients, method: 'GET', path: '/oauth2/v1/clients?limit=200', status: 200, statusText: 'OK', timeMs: 22, assertions: ['Status is 200 OK'], responseBody: '[]' },
  grantScope: { name: REQUESTS.grantScope, method: 'POST', path: '/api/v1/apps/0oaClient0001/grants', status: 201, statusText: 'Created', timeMs: 14, assertions: ['Status is 201 Created'] },
  listProviders: { name: REQUESTS.listProviders, method: 'GET', path: '/api/v1/risk/providers', status: 200, statusText: 'OK', timeMs: 7, assertions: ['Status is 200 OK'] },
  updateProvider: { name: REQUESTS.updateProvider, method: 'PUT', path: '/api/v1/risk/providers/rkp0001', status: 200, statusText: 'OK', timeMs: 5, assertions: ['Status is 200 OK'] },
  getAccessToken: {
    name: REQUESTS.getAccessToken,
    method: 'POST',
    path: '/oauth2/v1/token',
    status: 200,
    statusText: 'OK',
    timeMs: 36,
    assertions: ['Status is 200 OK', 'token_type is Bearer'],
    requestBody: `grant_type=client_credentials&scope=okta.riskEvents.manage&client_assertion=${ASSERTION}`,
    responseBody: JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: ACCESS_TOKEN, scope: 'okta.riskEvents.manage' }),
  },
  sendRiskEvents: {
    name: REQUESTS.sendRiskEvents,
    method: 'POST',
    path: '/api/v1/risk/events/ip',
    status: 202,
    statusText: 'Accepted',
    timeMs: 6,
    assertions: ['Status is 202 Accepted'],
    requestBody: '[{"timestamp":"2021-01-20T00:00:00.001Z","subjects":[{"ip":"6.7.6.7","riskLevel":"LOW","message":"none"}]}]',
    retries: ['HTTP 429'],
  },
  findRiskSignal: { name: REQUESTS.findRiskSignal, method: 'GET', path: '/api/v1/logs?filter=eventType', status: 200, statusText: 'OK', timeMs: 27, assertions: ['Status is 200 OK', 'The logged signal count equals expectedSignalCount'] },
  restoreProvider: { name: REQUESTS.restoreProvider, method: 'PUT', path: '/api/v1/risk/providers/rkp0001', status: 200, statusText: 'OK', timeMs: 4, assertions: ['Status is 200 OK'] },
  revokeGrant: { name: REQUESTS.revokeGrant, method: 'DELETE', path: '/api/v1/apps/0oaClient0001/grants/oag1', status: 204, statusText: 'No Content', timeMs: 3, assertions: ['Status is 204 No Content'] },
  deactivateApp: { name: REQUESTS.deactivateApp, method: 'POST', path: '/api/v1/apps/0oaClient0001/lifecycle/deactivate', status: 200, statusText: 'OK', timeMs: 3, assertions: ['Status is 200 OK'] },
  deleteApp: { name: REQUESTS.deleteApp, method: 'DELETE', path: '/api/v1/apps/0oaClient0001', status: 204, statusText: 'No Content', timeMs: 2, assertions: ['Status is 204 No Content'] },
} satisfies Record<string, Call>;

export interface FixtureRun {
  result: VerifyResult;
  runs: ReportRun[];
}

function run(exitCode: ExitCode, calls: Call[], extra: Partial<VerifyResult> = {}, broken: Partial<Record<FolderName, string>> = {}): FixtureRun {
  return {
    result: {
      exitCode,
      runId: RUN_ID,
      orgUrl: ORG,
      target: 'org',
      phases: phasesOf(calls, broken),
      reports: [],
      rateLimitedCalls: 0,
      retries: retriesOf(calls),
      cleanup: { actions: [], complete: true },
      newmanRuns: 1,
      ...extra,
    },
    runs: [{ summary: summaryOf(calls, STARTED, STARTED + 2_400) }],
  };
}

/** Every step passed; the events call waited out one 429. */
export function passingRun(): FixtureRun {
  return run(EXIT_CODES.passed, Object.values(CALLS));
}

/** The org refused the API token: the first request failed, nothing else ran, nothing to undo. */
export function failedRun(): FixtureRun {
  const refused: Call = {
    ...CALLS.createClient,
    status: 401,
    statusText: 'Unauthorized',
    assertions: [
      ['Status is 201 Created', 'expected response to have status code 201 but got 401'],
      ['client_name is the providerName', "expected undefined to deeply equal 'Risk Provider Example'"],
    ],
    responseBody: '{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}',
  };
  return run(EXIT_CODES.assertionsFailed, [refused]);
}

/** The app and grant were made, then the provider could not be created (HTTP 500): the run stopped and tore down. */
export function stoppedRun(): FixtureRun {
  const error = new HarnessError('ERR_RUN_BROKEN', 'Creating a risk provider for the run failed with HTTP 500: E0000009 Internal Server Error.', {
    fix: 'fix what Okta names (for a name already taken, pass another --provider-name), then run verify again.',
  });
  return run(EXIT_CODES.runBroken, [CALLS.createClient, CALLS.listClients, CALLS.grantScope, CALLS.revokeGrant, CALLS.deactivateApp, CALLS.deleteApp], { error });
}

/** The System Log check got no answer: its folder broke. */
export function brokenRun(): FixtureRun {
  const calls = Object.values(CALLS).filter((c) => c.name !== REQUESTS.findRiskSignal);
  return run(EXIT_CODES.runBroken, calls, {}, { [FOLDERS.testIntegration]: `${REQUESTS.sendRiskEvents}: socket hang up` });
}
