/**
 * The one retry engine, for the collection's requests (StepRunner) and the harness's own calls (OrgClient):
 * why an attempt did not count is a tagged `RetryCause`, never a report string; the engine decides from it
 * whether to send again, how long to wait first, and when to give up. People read `describeCause`.
 */

import { dpopTokenAnswer } from '../okta/dpop.ts';

/** Why an attempt did not count. */
export type RetryCause =
  /** HTTP 429: the org did nothing; always sent again once the rate-limit window resets. */
  | { kind: 'rate-limited' }
  /** A 5xx: the org may or may not have acted. */
  | { kind: 'server-error'; status: number }
  /** No answer at all (refused, reset, a timeout), in words: the org may or may not have acted. */
  | { kind: 'no-answer'; detail: string }
  /** The org's DPoP nonce challenge (`400 use_dpop_nonce`): sent again at once, with the nonce in a new proof. */
  | { kind: 'dpop-nonce' }
  /** The app is DPoP-bound and the request had no proof: sent again with one (verify switches to DPoP). */
  | { kind: 'dpop-required' }
  /** The answer was lost, and the org, asked, had done it: adopted instead of sent again. */
  | { kind: 'adopted'; after: RetryCause };

/** The words a summary shows: "HTTP 429", "HTTP 500", "connection reset", "HTTP 500; the org had done it". */
export function describeCause(cause: RetryCause): string {
  switch (cause.kind) {
    case 'rate-limited':
      return 'HTTP 429';
    case 'server-error':
      return `HTTP ${cause.status}`;
    case 'no-answer':
      return cause.detail;
    case 'dpop-nonce':
      return 'HTTP 400 use_dpop_nonce (the DPoP nonce challenge)';
    case 'dpop-required':
      return 'HTTP 400 invalid_dpop_proof (the app requires DPoP)';
    case 'adopted':
      return `${describeCause(cause.after)}; the org had done it`;
  }
}

/** The cause behind an answer, or none when the answer counts (whatever its status). */
export function causeOf(answer: { status?: number; error?: string; headers?: Record<string, string>; body?: string } | undefined): RetryCause | undefined {
  if (!answer) return undefined;
  if (answer.error !== undefined) return { kind: 'no-answer', detail: answer.error };
  if (answer.status === 429) return { kind: 'rate-limited' };
  const dpop = dpopTokenAnswer(answer.status, answer.headers, answer.body);
  if (dpop) return { kind: dpop === 'nonce' ? 'dpop-nonce' : 'dpop-required' };
  if (answer.status !== undefined && answer.status >= 500) return { kind: 'server-error', status: answer.status };
  return undefined;
}

/**
 * After an attempt that may be sent again: `again`, `adopt` (the org had done it: stop, it counts),
 * `stop` (report the failure), or `unknown` (the org cannot tell: not sent again, so nothing is done twice).
 */
export type Decision = 'again' | 'adopt' | 'stop' | 'unknown';

export interface Attempt<R> {
  result: R;
  /** Set when this attempt does not count. */
  cause?: RetryCause;
}

export interface RetryPlan<R> {
  /** Attempts, counting the first. */
  maxAttempts: number;
  /** Whether a cause other than a 429 may be sent again at all (a 429 always may). */
  allows(cause: RetryCause): boolean;
  /** One attempt; `retries` are the causes so far. */
  attempt(attemptNumber: number, retries: readonly RetryCause[]): Promise<Attempt<R>>;
  /** An attempt already made (inside a folder's run), to go on from. */
  first?: Attempt<R>;
  /** Asked before sending again after a cause other than a 429. Default `again`. */
  decide?(cause: RetryCause, result: R): Promise<Decision>;
  /** Milliseconds to wait before the next attempt, after `attemptsMade` attempts. */
  delayMs(cause: RetryCause, attemptsMade: number, result: R): number;
  /** The wait itself: false when it was cut short (Ctrl-C). */
  wait(ms: number, cause: RetryCause): Promise<boolean>;
  /** Before every attempt: `go`, `interrupted` (a wait was cut short) or `stop`. */
  before?(): Promise<'go' | 'interrupted' | 'stop'>;
}

export type RetryOutcome<R> =
  /** The last attempt counts (it may still have failed assertions; that is the caller's to judge). */
  | { kind: 'answered'; result: R; retries: RetryCause[] }
  /** A lost answer the org had acted on; the last of `retries` is the `adopted` cause. */
  | { kind: 'adopted'; result: R; retries: RetryCause[] }
  /** Out of attempts, or the cause may not be retried. */
  | { kind: 'gave-up'; result: R; cause: RetryCause; retries: RetryCause[] }
  /** The org could not tell whether the attempt took effect. */
  | { kind: 'unknown'; result: R; cause: RetryCause; retries: RetryCause[] }
  /** Ctrl-C during a wait; nothing more was sent. */
  | { kind: 'interrupted'; result: R | undefined; retries: RetryCause[] }
  /** `before` said stop. */
  | { kind: 'stopped'; result: R | undefined; retries: RetryCause[] };

/** Whether the engine would send again after `attemptsMade` attempts ended with `cause`. */
export function mayRetry<R>(plan: Pick<RetryPlan<R>, 'maxAttempts' | 'allows'>, cause: RetryCause | undefined, attemptsMade: number): boolean {
  return cause !== undefined && attemptsMade < plan.maxAttempts && (cause.kind === 'rate-limited' || plan.allows(cause));
}

export async function withRetries<R>(plan: RetryPlan<R>): Promise<RetryOutcome<R>> {
  const retries: RetryCause[] = [];
  let last = plan.first;
  let made = plan.first ? 1 : 0;
  for (;;) {
    if (last?.cause) {
      const cause = last.cause;
      if (!mayRetry(plan, cause, made)) return { kind: 'gave-up', result: last.result, cause, retries };
      if (cause.kind !== 'rate-limited') {
        const decision = plan.decide ? await plan.decide(cause, last.result) : 'again';
        if (decision === 'adopt') return { kind: 'adopted', result: last.result, retries: [...retries, { kind: 'adopted', after: cause }] };
        if (decision === 'unknown') return { kind: 'unknown', result: last.result, cause, retries };
        if (decision === 'stop') return { kind: 'gave-up', result: last.result, cause, retries };
      }
      retries.push(cause);
      if (!(await plan.wait(plan.delayMs(cause, made, last.result), cause))) return { kind: 'interrupted', result: last.result, retries };
    }
    const go = plan.before ? await plan.before() : 'go';
    if (go === 'interrupted') return { kind: 'interrupted', result: last?.result, retries };
    if (go === 'stop') return { kind: 'stopped', result: last?.result, retries };
    made++;
    last = await plan.attempt(made, retries);
    if (!last.cause) return { kind: 'answered', result: last.result, retries };
  }
}
