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

export function formatSendSummary(result: SendResult): string {
  const lines: string[] = [];
  const { input, plan, delivery } = result;
  if (result.error) lines.push(`Error [${result.error.code}]: ${result.error.describe()}`);
  if (input && input.issueCount > 0 && !result.error) {
    lines.push(`Skipped ${input.invalidRecords} invalid record${input.invalidRecords === 1 ? '' : 's'} (--skip-invalid):`);
    for (const issue of input.issues) lines.push(`  ${formatIssue(issue)}`);
    if (input.issueCount > input.issues.length) lines.push(`  … and ${input.issueCount - input.issues.length} more`);
  }
  if (plan && delivery) {
    lines.push(`Sent to ${result.orgUrl} (${result.target === 'emulator' ? 'the embedded emulator' : 'your org'}) with ${result.transport}:`);
    for (const level of RISK_LEVELS) lines.push(`  ${level.padEnd(6)} ${String(delivery.accepted[level]).padStart(8)} of ${plan.levels[level]} accepted`);
    lines.push(`  Calls: ${delivery.acceptedCalls} of ${plan.calls} accepted, ${delivery.requests} requests in all`);
    lines.push(`  Rate limit: ${delivery.rateLimited} answered 429; waited ${(delivery.waitedMs / 1000).toFixed(1)} s for the window`);
    if (delivery.resent > 0 || delivery.adopted > 0) {
      lines.push(`  Retries: ${delivery.resent} resent after a 5xx or a lost answer the org had not taken; ${delivery.adopted} lost answer${delivery.adopted === 1 ? '' : 's'} found taken in the System Log (not resent)`);
    }
    for (const r of delivery.rejections) lines.push(`  Rejected: call ${r.call} (${r.signals} signals): HTTP ${r.status} ${describeOktaError(r.error)}`);
    if (delivery.unconfirmedCalls > 0) {
      lines.push(
        `  Unconfirmed: ${delivery.unconfirmedCalls} call${delivery.unconfirmedCalls === 1 ? '' : 's'} (${delivery.unconfirmedSignals} signals) got no answer and were not sent again, to never send a signal twice.`,
        `    They are in ${result.unconfirmedFile}: look for them in the org's System Log (security.risk.signal.consume) and send what is missing with --input.`,
      );
    }
    if (delivery.notSentSignals > 0) lines.push(`  Not sent: ${delivery.notSentSignals} signals`);
    if (delivery.stopped?.reason === 'refused') lines.push(`  Stopped: the org refused a call with HTTP ${delivery.stopped.status} ${describeOktaError(delivery.stopped.error)}`);
    if (delivery.stopped?.reason === 'broken') lines.push(`  Stopped: ${delivery.stopped.message}`);
    if (delivery.stopped?.reason === 'interrupted') lines.push('  Stopped: interrupted');
    lines.push(`  Time: ${(result.elapsedMs / 1000).toFixed(1)} s`);
  }
  lines.push(`Result: ${RESULT_WORDS[result.exitCode] ?? 'FAILED'} (exit code ${result.exitCode})`);
  return `${lines.join('\n')}\n`;
}
