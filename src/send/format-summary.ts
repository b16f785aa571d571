/** The final summary of a send: signals by level, calls, time waited, rejections with Okta's error. */
import { EXIT_CODES } from '../errors.ts';
import type { SendResult } from './send-signals.ts';
import { formatIssue, RISK_LEVELS } from './signal.ts';
import type { OktaError } from './transport.ts';

const RESULT_WORDS: Record<number, string> = {
  [EXIT_CODES.passed]: 'PASSED',
  [EXIT_CODES.assertionsFailed]: 'SOME SIGNALS REJECTED',
  [EXIT_CODES.badInput]: 'NOTHING SENT',
  [EXIT_CODES.runBroken]: 'STOPPED PART WAY',
  [EXIT_CODES.interrupted]: 'INTERRUPTED',
};

export function describeOktaError(error: OktaError): string {
  const causes = (error.errorCauses ?? []).map((c) => c.errorSummary).filter(Boolean);
  return [error.errorCode, error.errorSummary].filter(Boolean).join(' ') + (causes.length > 0 ? ` (${causes.join('; ')})` : '');
}

/** What to check when the SSF receiver refuses every SET the same way (RFC 8935 `err`). */
const SSF_STOP_FIXES: Record<string, string> = {
  invalid_issuer: "check that --issuer is exactly the settings.issuer of the org's Security Events Provider, and that the provider is ACTIVE.",
  authentication_failed: "check that --key is the private half of a key the provider's JWKS URL serves, with the same kid, and that the JWKS is served as application/json.",
  invalid_key: "check that the provider's JWKS URL answers 200 application/json with {\"keys\": [<your public RSA JWK>]}, reachable from the org.",
  invalid_audience: "check that --org-url is the org's own URL (https://<your org>.okta.com, no -admin, no trailing slash): it is every SET's aud.",
};

export function formatSendSummary(result: SendResult): string {
  const lines: string[] = [];
  const ssf = result.via === 'ssf';
  const unit = ssf ? 'SETs' : 'Calls';
  const { input, plan, delivery } = result;
  if (result.error) lines.push(`Error [${result.error.code}]: ${result.error.describe()}`);
  if (input && input.issueCount > 0 && !result.error) {
    lines.push(`Skipped ${input.invalidRecords} invalid record${input.invalidRecords === 1 ? '' : 's'} (--skip-invalid):`);
    for (const issue of input.issues) lines.push(`  ${formatIssue(issue)}`);
    if (input.issueCount > input.issues.length) lines.push(`  … and ${input.issueCount - input.issues.length} more`);
  }
  if (plan && delivery) {
    lines.push(`Sent to ${result.orgUrl} (${result.target === 'emulator' ? 'the embedded emulator' : 'your org'}) with ${result.transport}${result.dpop ? ' (DPoP-bound token)' : ''}:`);
    for (const level of RISK_LEVELS) lines.push(`  ${level.padEnd(6)} ${String(delivery.accepted[level]).padStart(8)} of ${plan.levels[level]} accepted`);
    lines.push(`  ${unit}: ${delivery.acceptedCalls} of ${plan.calls} accepted, ${delivery.requests} requests in all`);
    lines.push(`  Rate limit: ${delivery.rateLimited} answered 429; waited ${(delivery.waitedMs / 1000).toFixed(1)} s for the window`);
    if (delivery.resent > 0 || delivery.adopted > 0) {
      lines.push(`  Retries: ${delivery.resent} resent after a 5xx or a lost answer the org had not taken; ${delivery.adopted} lost answer${delivery.adopted === 1 ? '' : 's'} found taken in the System Log (not resent)`);
    }
    if (delivery.replayResent > 0) {
      lines.push(`  Replays: ${delivery.replayResent} SET${delivery.replayResent === 1 ? '' : 's'} whose answer was lost sent again with the same jti; the org ignores a jti it has seen, so each counts once whichever attempt it took`);
    }
    for (const r of delivery.rejections) lines.push(`  Rejected: ${ssf ? 'SET' : 'call'} ${r.call} (${r.signals} signal${r.signals === 1 ? '' : 's'}): HTTP ${r.status} ${describeOktaError(r.error)}`);
    if (delivery.unconfirmedCalls > 0) {
      lines.push(
        `  Unconfirmed: ${delivery.unconfirmedCalls} call${delivery.unconfirmedCalls === 1 ? '' : 's'} (${delivery.unconfirmedSignals} signals) got no answer and were not sent again, to never send a signal twice.`,
        `    They are in ${result.unconfirmedFile}: look for them in the org's System Log (${ssf ? 'security.events.provider.receive_event' : 'security.risk.signal.consume'}) and send what is missing with --input.`,
      );
    }
    if (delivery.notSentSignals > 0) lines.push(`  Not sent: ${delivery.notSentSignals} signals`);
    if (ssf && result.target === 'org' && delivery.acceptedSignals > 0) {
      lines.push("  Note: Okta accepts (202) and silently drops a SET whose subject email is no user of the org: confirm the first ones in its System Log (security.events.provider.receive_event).");
    }
    if (delivery.stopped?.reason === 'refused') {
      lines.push(`  Stopped: the org refused a ${ssf ? 'SET' : 'call'} with HTTP ${delivery.stopped.status} ${describeOktaError(delivery.stopped.error)}`);
      const fix = ssf ? SSF_STOP_FIXES[delivery.stopped.error.errorCode ?? ''] : undefined;
      if (fix) lines.push(`  Fix: ${fix}`);
    }
    if (delivery.stopped?.reason === 'broken') lines.push(`  Stopped: ${delivery.stopped.message}`);
    if (delivery.stopped?.reason === 'interrupted') lines.push('  Stopped: interrupted');
    lines.push(`  Time: ${(result.elapsedMs / 1000).toFixed(1)} s`);
  }
  lines.push(`Result: ${RESULT_WORDS[result.exitCode] ?? 'FAILED'} (exit code ${result.exitCode})`);
  return `${lines.join('\n')}\n`;
}
