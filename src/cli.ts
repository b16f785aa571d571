/**
 * The `okta-risk` command line: the list of commands, nothing else. Each command module parses its flags and
 * calls the library; the exit code is set here, once.
 */
import { pathToFileURL } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { makeAssertionCommand } from './commands/assertion.ts';
import { makeCleanupCommand } from './commands/cleanup.ts';
import { EXIT_CODES, exitCodeOf, type CommandContext } from './commands/context.ts';
import { makeEmulatorCommand } from './commands/emulator.ts';
import { makeEnvCommand } from './commands/env.ts';
import { makeKeysCommand } from './commands/keys.ts';
import { makeSendCommand } from './commands/send.ts';
import { makeVerifyCommand } from './commands/verify.ts';

/** A command line yargs refused; already reported on stderr. */
export class UsageError extends Error {}

/** Parses and runs a command line; the exit code ends up in `ctx.exitCode`. */
export async function runCli(args: string[], ctx: CommandContext, overrides: { verify?: Parameters<typeof makeVerifyCommand>[1] } = {}): Promise<void> {
  try {
    await buildCli(args, ctx, overrides).parseAsync();
  } catch (error) {
    if (error instanceof UsageError) return;
    // Anything a command did not turn into a HarnessError is a bug in okta-risk, not a failed assertion:
    // exit 3 (the run broke), never Node's default 1, which means "assertions failed".
    ctx.err.write(`${unexpectedErrorLine(error)}\n`);
    ctx.exitCode = exitCodeOf({ error });
  }
}

/** The short line an unexpected error gets: what broke, and where to report it. */
export function unexpectedErrorLine(error: unknown): string {
  const what = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error).split('\n')[0];
  return `Error [ERR_UNEXPECTED]: okta-risk broke unexpectedly (${what}). This is a bug: please report it with the command you ran (leave out tokens and keys).`;
}

export function buildCli(args: string[], ctx: CommandContext, overrides: { verify?: Parameters<typeof makeVerifyCommand>[1] } = {}): Argv {
  return withoutHelpPrecompute(yargs(args))
    .scriptName('okta-risk')
    .usage('$0 <command> [options]\n\nSet up and verify an Okta org\'s third-party risk provider integration, end to end.')
    .command(makeVerifyCommand(ctx, overrides.verify))
    .command(makeSendCommand(ctx))
    .command(makeKeysCommand(ctx))
    .command(makeAssertionCommand(ctx))
    .command(makeEnvCommand(ctx))
    .command(makeEmulatorCommand(ctx))
    .command(makeCleanupCommand(ctx))
    .demandCommand(1, 'Name a command; `okta-risk verify` runs the whole flow.')
    .strict()
    .recommendCommands()
    .epilogue('Exit codes: 0 passed, 1 assertions failed, 2 bad input or configuration, 3 the run broke, 130 interrupted.')
    .fail((message, error) => {
      if (error) throw error;
      ctx.err.write(`Error: ${message}\nRun with --help for the options.\n`);
      ctx.exitCode = EXIT_CODES.badInput;
      // yargs would go on to run the handler if this returned.
      throw new UsageError(message);
    })
    .help()
    // Help and --version print and return; the process ends when main() does, never from inside yargs.
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 110));
}

/** What {@link withoutHelpPrecompute} reaches of yargs' internals; absent in a yargs that changed them. */
interface YargsInternals {
  getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?: () => void } } | undefined;
}

/**
 * yargs formats a command's whole help text right after it starts the command's handler, only so that the
 * handler could show it later (`showHelp`, `getHelp`); no command here does (a refused setting prints its own
 * `Fix:` line). For verify that was about 60 ms of its start, on the main thread while Newman loads, so it is
 * skipped. `--help` itself formats the help as before. A yargs without these internals is left as it is.
 */
export function withoutHelpPrecompute(cli: Argv): Argv {
  const usage = (cli as unknown as YargsInternals).getInternalMethods?.()?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  return cli;
}

/** The process entry: Ctrl-C handling, the real streams, and the exit code set once. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const ctx: CommandContext = { cwd: process.cwd(), env: process.env, out: process.stdout, err: process.stderr, exitCode: EXIT_CODES.passed, signal: controller.signal };
  const onSignal = (): void => {
    interrupts++;
    // Each command says what its first Ctrl-C does; one that sets nothing has nothing to undo and stops now.
    if (interrupts === 1 && ctx.interruptNotice !== undefined) {
      process.stderr.write(`\n${ctx.interruptNotice}\n`);
      controller.abort();
    } else {
      process.exit(EXIT_CODES.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await runCli(hideBin(process.argv), ctx);
  process.exitCode = ctx.exitCode;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

// Run directly (`node dist/cli.js`, `tsx src/cli.ts`); bin/okta-risk.js imports this module and calls main() itself.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
