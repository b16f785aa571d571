/**
 * The shape of every subcommand, after nx's `makeCommandModule`: the argument type a handler gets is the one
 * its builder declares (yargs infers it from the options), so a handler cannot read a flag the builder does
 * not define, and no cast sits between the two. Handlers load the library they call with `import()`, so
 * `okta-risk --help` (or another command) never loads Newman, jose or the emulator.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';

export interface OktaRiskCommand<Args> {
  /** The subcommand's name, as typed. */
  command: string;
  /** Its line in `okta-risk --help`. */
  describe: string;
  /** Declares the flags (and `.example()` lines); its return type is the handler's argument type. */
  builder: (yargs: Argv) => Argv<Args>;
  /** Runs the command; records an exit code in the context, never calls `process.exit()`. */
  handler: (argv: ArgumentsCamelCase<Args>) => Promise<void>;
}

/** A yargs command module whose handler's arguments are inferred from its builder. */
export function makeCommandModule<Args>(module: OktaRiskCommand<Args>): CommandModule<object, Args> {
  return module;
}
