/** The short summary a person reads at the end of a run: each phase, its requests and assertions, and where the reports are. */
import { relative } from 'node:path';
import { EXIT_CODES } from '../errors.ts';
import type { WrittenReport } from './reports.ts';
import type { VerifyResult } from './verify.ts';

/** The result line's words for each exit code. */
export const VERDICT: Record<number, string> = {
  [EXIT_CODES.passed]: 'PASSED',
  [EXIT_CODES.assertionsFailed]: 'FAILED: at least one assertion failed',
  [EXIT_CODES.badInput]: 'NOT RUN: bad input or configuration',
  [EXIT_CODES.runBroken]: 'BROKEN: the run could not complete',
  [EXIT_CODES.interrupted]: 'INTERRUPTED',
};

const REPORT_LABEL: Record<WrittenReport['kind'], string> = { junit: 'JUnit', html: 'HTML ', htmlextra: 'HTML (htmlextra)' };

export function formatSummary(result: VerifyResult, cwd = process.cwd()): string {
  const lines: string[] = [];
  const where = result.target === 'emulator' ? `the embedded Okta org emulator (${result.orgUrl ?? 'not started'})` : result.orgUrl ?? 'the org';
  lines.push('', `okta-risk verify: run ${result.runId} against ${where}`, '');
  for (const phase of result.phases) {
    const passed = phase.requests.reduce((n, r) => n + r.passed, 0);
    const failed = phase.requests.reduce((n, r) => n + r.failed, 0);
    lines.push(`${phase.passed ? 'PASS' : 'FAIL'}  ${phase.name}  (${phase.requests.length} request${phase.requests.length === 1 ? '' : 's'}, ${passed}/${passed + failed} assertions)`);
    for (const request of phase.requests) {
      if (request.failed === 0) continue;
      lines.push(`        ${request.name} → ${request.status ?? 'no response'}`);
      for (const failure of request.failures) lines.push(`          ✗ ${failure}`);
    }
    if (phase.broken) lines.push(`        broken: ${phase.broken}`);
  }
  const hint = hintFor(result);
  if (hint) lines.push('', `Hint: ${hint}`);
  if (result.urlHint) lines.push('', `Hint: ${result.urlHint}`);
  if (result.dpop) {
    const how = result.dpop.how === 'requested' ? 'the service app was bound to DPoP (--dpop)' : `switched on because ${result.dpop.reason}`;
    lines.push('', `DPoP: ${how}; the partner requests sent a fresh DPoP proof each, with a token bound to key ${result.dpop.jkt} (cnf.jkt).`);
  }
  if (result.rateLimitedCalls > 0) lines.push('', `Rate limited: ${result.rateLimitedCalls} events call(s) answered 429 were sent again after X-Rate-Limit-Reset.`);
  if (result.retries.length > 0) {
    lines.push('', 'Retries (the reports keep each request once, with its last attempt):');
    for (const retry of result.retries) lines.push(`  ${retry.call}${retry.source === 'harness' ? " (the harness's own call)" : ''}: ${retry.reasons.join(', ')}`);
  }
  if (result.cleanup) {
    const undone = result.cleanup.actions.map((a) => `  ${a.step}: ${a.outcome} (${a.detail})`);
    if (undone.length > 0) lines.push('', 'Cleanup after the Tear down folder:', ...undone);
    lines.push('', result.cleanup.complete ? 'Teardown: the org is as it was found.' : 'Teardown: INCOMPLETE. Run `npm run cleanup` (okta-risk cleanup) to undo the rest.');
  }
  if (result.kept && result.orgUrl) {
    const { environmentFile, keyFile, stateFile, clientId } = result.kept;
    const environment = relative(cwd, environmentFile);
    lines.push(
      '',
      `Kept: the service app${clientId ? ` ${clientId}` : ''}, its grant and the provider change are still on ${result.orgUrl} (--keep).`,
      `  Postman environment: ${environment} (clientId set, a fresh client assertion valid 5 minutes; secrets inside, mode 0600)`,
      `  Private key:         ${relative(cwd, keyFile)} (mode 0600; removed by cleanup)`,
    );
    if (clientId) {
      lines.push(`  Next assertion:      npx okta-risk assertion --client-id ${clientId} --key ${relative(cwd, keyFile)} --org-url ${result.orgUrl} --environment ${environment}`);
    }
    // The token is the one setting not printed: it goes in the environment or .env, as for this run.
    lines.push(`  Undo later with:     npx okta-risk cleanup --org-url ${result.orgUrl} --state ${relative(cwd, stateFile)}   (OKTA_CLIENT_TOKEN set, as for this run)`);
  }
  if (result.reports.length > 0) {
    lines.push('', 'Reports:');
    for (const report of result.reports) lines.push(`  ${REPORT_LABEL[report.kind]}  ${relative(cwd, report.path)}`);
  }
  if (result.error) lines.push('', `Error [${result.error.code}]: ${result.error.describe()}`);
  lines.push('', `Result: ${VERDICT[result.exitCode] ?? 'UNKNOWN'} (exit code ${result.exitCode})`, '');
  return lines.join('\n');
}

/** What the first failed request's status most likely means, in the terms of the settings a user controls. */
export function hintFor(result: VerifyResult): string | undefined {
  const failed = result.phases.flatMap((p) => p.requests).find((r) => r.failed > 0);
  if (!failed?.status) return undefined;
  const admin = failed.name.startsWith('Admin:');
  if (admin && failed.status === 401) return 'the org refused the API token (401). Check --api-token / OKTA_CLIENT_TOKEN: a current token of that org, without "SSWS " or quotes.';
  const ssf = failed.name.includes('Security Events Provider');
  if (admin && ssf && failed.status === 403) return "the API token's admin may not manage Security Events Providers (403). Okta's SSF receiver takes a super admin's token (with Adaptive MFA only, a directly assigned super admin).";
  if (admin && failed.status === 403) return "the API token's admin may not do this (403). Registering an app and granting okta.* scopes takes a super admin's token.";
  if (admin && !ssf && failed.status === 404 && failed.name.includes('Provider')) return 'the org does not serve the Risk Providers API (404). Okta retired it (deprecated at the end of 2024); verify its successor, the Shared Signals (SSF) receiver, with --flow ssf, or use the embedded emulator to keep testing this flow.';
  if (failed.name === 'Partner: API to get the access token' && failed.status === 401) return "the org refused the client assertion (401). Check that this machine's clock is right: the assertion's iat and exp are checked to the second.";
  return undefined;
}
