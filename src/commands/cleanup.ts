/** `okta-risk cleanup`: undo, from the state file, what an interrupted run left on the org. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULTS, resolveTarget } from '../config/settings.ts';
import { EXIT_CODES, exitCodeOf, HarnessError } from '../errors.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';
import { orgOptions, toVerifyFlags } from './verify.ts';

export function makeCleanupCommand(ctx: CommandContext) {
  return makeCommandModule({
    command: 'cleanup',
    describe: 'Undo what an interrupted or kept verify run left on an org or a standalone emulator, from its state file (safe to run twice)',
    builder: (yargs) =>
      orgOptions(yargs)
        .option('state', {
          type: 'string',
          describe: "A state file written by verify: <work dir>/state/<org host>.json, or the path a --keep run printed. [default: the org's file under --work-dir/state/]",
        })
        .option('work-dir', { type: 'string', describe: `The --work-dir verify ran with, where its state files are. [default: ${DEFAULTS.workDir}]` })
        .example('OKTA_CLIENT_ORGURL=https://dev-123456.okta.com OKTA_CLIENT_TOKEN=… $0 cleanup', 'Undo what the last interrupted run against that org left behind')
        .example('OKTA_CLIENT_TOKEN=… $0 cleanup --org-url http://127.0.0.1:8787 --state .runs/state/127.0.0.1_8787.json', 'Undo a kept run against a standalone emulator'),
    handler: async (argv) => {
      try {
        const target = resolveTarget({ flags: toVerifyFlags(argv), env: ctx.env, cwd: ctx.cwd });
        if (target.kind !== 'org') {
          throw new HarnessError('ERR_SETTING_MISSING', 'cleanup needs an org: the embedded emulator of a finished run is gone, and with it everything the run made.', {
            setting: '--org-url',
            fix: 'set --org-url and --api-token (or OKTA_CLIENT_ORGURL and OKTA_CLIENT_TOKEN) to the org the interrupted run used.',
          });
        }
        const [{ undoJournal }, { OrgClient }, { Journal, journalPath }] = await Promise.all([import('../org/cleanup.ts'), import('../org/org-client.ts'), import('../state/journal.ts')]);
        const statePath = argv.state ? resolve(ctx.cwd, argv.state) : journalPath(resolve(ctx.cwd, argv['work-dir'] ?? DEFAULTS.workDir), target.orgUrl);
        if (!argv.state && !existsSync(statePath)) {
          ctx.out.write(`Nothing to clean up: no state file for ${target.orgUrl} (${statePath}).\n`);
          ctx.exitCode = EXIT_CODES.passed;
          return;
        }
        const journal = Journal.open(statePath, target.orgUrl);
        const org = new OrgClient({ orgUrl: target.orgUrl, apiToken: target.apiToken, log: (line) => ctx.err.write(line) });
        const reach = await org.assertReachable('--org-url (OKTA_CLIENT_ORGURL)');
        if (reach.hint) ctx.err.write(`Hint: ${reach.hint}\n`);
        ctx.out.write(`Cleaning up run ${journal.data.runId} on ${target.orgUrl} (state: ${statePath})\n`);
        const report = await undoJournal(journal, org, (a) => ctx.out.write(`  ${a.step}: ${a.outcome} (${a.detail})\n`));
        if (report.actions.length === 0) ctx.out.write('  nothing was left to undo\n');
        ctx.out.write(report.complete ? 'Done: the org is as the run found it; the state file is removed.\n' : 'Not everything could be undone; the state file is kept. Run cleanup again, or fix the failures above by hand.\n');
        ctx.exitCode = exitCodeOf({ failed: !report.complete });
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}
