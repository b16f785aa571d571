/**
 * What every command handler is given. Handlers never call `process.exit()`: they record an exit code here and
 * `cli.ts` sets it once, so tests can parse arguments and run handlers in process.
 */
import { EXIT_CODES, exitCodeOf, HarnessError, type ExitCode } from '../errors.ts';

export interface CommandContext {
  cwd: string;
  env: Record<string, string | undefined>;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** The exit code the process will end with. */
  exitCode: ExitCode;
  /** Ends when the user presses Ctrl-C (or the process gets SIGTERM). */
  signal: AbortSignal;
  /**
   * What the first Ctrl-C does, in the running command's words; a handler that watches `signal` sets it.
   * Unset, the first Ctrl-C ends the process at once (exit code 130).
   */
  interruptNotice?: string;
}

/** Reports a HarnessError the one way the CLI reports errors, and records its exit code. */
export function reportError(ctx: CommandContext, error: unknown): void {
  if (error instanceof HarnessError) {
    ctx.err.write(`Error [${error.code}]: ${error.describe()}\n`);
    ctx.exitCode = exitCodeOf({ error });
    return;
  }
  throw error;
}

export { EXIT_CODES, exitCodeOf };
