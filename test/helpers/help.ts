/** What a command line's `--help` prints: yargs writes help through `console.log`, which this captures. */
import { runCli } from '../../src/cli.ts';
import type { CommandContext } from '../../src/commands/context.ts';

export async function helpOf(args: string[], ctx: CommandContext): Promise<string> {
  let help = '';
  const log = console.log;
  console.log = (text: unknown) => void (help += String(text));
  try {
    await runCli(args, ctx);
  } finally {
    console.log = log;
  }
  return help;
}
