/**
 * The harness's error catalog (jose's `util/errors.ts` idea): every error a user can cause or meet has a
 * stable `code`, names the setting at fault, says how to fix it, and maps to one exit code.
 *
 * Programmer misuse throws `TypeError` instead; it is a bug, not input.
 */

/** Process exit codes, documented in the README. */
export const EXIT_CODES = {
  /** Every assertion passed. */
  passed: 0,
  /** The run completed and at least one assertion failed. */
  assertionsFailed: 1,
  /** Bad input or configuration: nothing was created on the org. */
  badInput: 2,
  /** The run broke part way (the org stopped answering, Newman crashed); teardown was attempted. */
  runBroken: 3,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** How a command ended, in the terms its exit code is decided from. */
export interface Outcome {
  /** What stopped it: a HarnessError carries its own code; anything else is a bug in okta-risk (exit 3). */
  error?: unknown;
  /** Ctrl-C ended it. */
  interrupted?: boolean;
  /** The org refused the input before anything was taken (send: no provider links the app). */
  refused?: boolean;
  /** It could not complete: the org stopped answering, Newman broke, a call's fate is unknown. */
  broken?: boolean;
  /** It completed, and something it checks failed: an assertion, a rejected signal, an undo left undone. */
  failed?: boolean;
}

/**
 * The one place an exit code is decided, for every command, first match wins: an error's own code (exit 3 for
 * one that is not a HarnessError), then Ctrl-C (130), the org's refusal (2), a broken run (3), a failed check
 * (1), else 0.
 */
export function exitCodeOf(outcome: Outcome): ExitCode {
  if (outcome.error !== undefined) return outcome.error instanceof HarnessError ? outcome.error.exitCode : EXIT_CODES.runBroken;
  if (outcome.interrupted) return EXIT_CODES.interrupted;
  if (outcome.refused) return EXIT_CODES.badInput;
  if (outcome.broken) return EXIT_CODES.runBroken;
  if (outcome.failed) return EXIT_CODES.assertionsFailed;
  return EXIT_CODES.passed;
}

export type HarnessErrorCode =
  | 'ERR_SETTING_MISSING'
  | 'ERR_SETTING_INVALID'
  | 'ERR_ORG_URL_INVALID'
  | 'ERR_ORG_UNREACHABLE'
  | 'ERR_API_TOKEN_REJECTED'
  | 'ERR_KEY_INVALID'
  | 'ERR_EVENTS_INVALID'
  | 'ERR_FILE_UNREADABLE'
  | 'ERR_FILE_EXISTS'
  | 'ERR_PROVIDER_IN_USE'
  | 'ERR_NO_PROVIDER_SLOT'
  | 'ERR_RISK_API_NOT_SERVED'
  | 'ERR_SSF_NOT_SERVED'
  | 'ERR_ORG_BUSY'
  | 'ERR_STATE_INVALID'
  | 'ERR_RUN_BROKEN'
  | 'ERR_INTERRUPTED';

const EXIT_BY_CODE: Record<HarnessErrorCode, ExitCode> = {
  ERR_SETTING_MISSING: EXIT_CODES.badInput,
  ERR_SETTING_INVALID: EXIT_CODES.badInput,
  ERR_ORG_URL_INVALID: EXIT_CODES.badInput,
  ERR_ORG_UNREACHABLE: EXIT_CODES.badInput,
  ERR_API_TOKEN_REJECTED: EXIT_CODES.badInput,
  ERR_KEY_INVALID: EXIT_CODES.badInput,
  ERR_EVENTS_INVALID: EXIT_CODES.badInput,
  ERR_FILE_UNREADABLE: EXIT_CODES.badInput,
  ERR_FILE_EXISTS: EXIT_CODES.badInput,
  ERR_PROVIDER_IN_USE: EXIT_CODES.badInput,
  ERR_NO_PROVIDER_SLOT: EXIT_CODES.badInput,
  ERR_RISK_API_NOT_SERVED: EXIT_CODES.badInput,
  ERR_SSF_NOT_SERVED: EXIT_CODES.badInput,
  ERR_ORG_BUSY: EXIT_CODES.badInput,
  ERR_STATE_INVALID: EXIT_CODES.badInput,
  ERR_RUN_BROKEN: EXIT_CODES.runBroken,
  ERR_INTERRUPTED: EXIT_CODES.interrupted,
};

export class HarnessError extends Error {
  readonly code: HarnessErrorCode;
  /** The setting at fault, as the user spells it (`--org-url` / `OKTA_CLIENT_ORGURL`), when there is one. */
  readonly setting: string | undefined;
  /** What to do about it, one sentence. */
  readonly fix: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: HarnessErrorCode, message: string, options: { setting?: string; fix?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HarnessError';
    this.code = code;
    this.setting = options.setting;
    this.fix = options.fix;
    this.exitCode = EXIT_BY_CODE[code];
  }

  /** The one-paragraph text a person sees: what is wrong, with which setting, and how to fix it. */
  describe(): string {
    const named = this.setting === undefined || this.message.includes(this.setting) || this.fix?.includes(this.setting);
    const parts = [named ? this.message : `${this.message} (setting: ${this.setting})`];
    if (this.fix) parts.push(`Fix: ${this.fix}`);
    return parts.join('\n');
  }
}
