/** `okta-risk verify`: parse, call `verify()`, print the summary, map to an exit code. */
import type { Argv } from 'yargs';
import { DEFAULTS, ENV_VARS, FLOWS, REPORTERS, RISK_ACTIONS, resolveVerifySettings, type VerifyFlags } from '../config/settings.ts';
import type { verify } from '../run/verify.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';

/** The flags `toVerifyFlags` reads; verify's, env's and cleanup's builders declare them. */
export interface VerifyArgs {
  'org-url'?: string;
  'api-token'?: string;
  emulator?: boolean;
  'provider-name'?: string;
  'provider-id'?: string;
  action?: string;
  events?: string;
  key?: string;
  reporters?: string[];
  'reports-dir'?: string;
  'work-dir'?: string;
  'env-file'?: string;
  keep?: boolean;
  force?: boolean;
  dpop?: boolean;
  'events-rate-limit'?: number;
  flow?: string;
  'jwks-url'?: string;
  'subject-email'?: string;
}

/** The flags as the settings module takes them (unset flags stay undefined, so lower layers can fill them). */
export function toVerifyFlags(argv: VerifyArgs): VerifyFlags {
  return {
    orgUrl: argv['org-url'],
    apiToken: argv['api-token'],
    emulator: argv.emulator,
    providerName: argv['provider-name'],
    providerId: argv['provider-id'],
    action: argv.action,
    events: argv.events,
    key: argv.key,
    reporters: argv.reporters?.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean),
    reportsDir: argv['reports-dir'],
    workDir: argv['work-dir'],
    envFile: argv['env-file'],
    keep: argv.keep,
    force: argv.force,
    dpop: argv.dpop,
    eventsRateLimit: argv['events-rate-limit'],
    flow: argv.flow,
    jwksUrl: argv['jwks-url'],
    subjectEmail: argv['subject-email'],
  };
}

/**
 * The org settings of the commands that work only on an org that outlives them (`env`, `cleanup`): a real
 * org or a standalone emulator (`okta-risk emulator`); never the embedded one, so no `--emulator`.
 */
export function orgOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('org-url', {
      type: 'string',
      describe: `Required: the org URL, e.g. https://dev-123456.okta.com, or a standalone emulator's http://127.0.0.1:<port> [env ${ENV_VARS.orgUrl}].`,
    })
    .option('api-token', { type: 'string', describe: `Required: an API token of a super admin of that org, or the one the emulator printed [env ${ENV_VARS.apiToken}].` })
    .option('env-file', { type: 'string', describe: `A dotenv file to read ${ENV_VARS.orgUrl} and ${ENV_VARS.apiToken} from. [default: ./.env when present]` });
}

export function verifyOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('org-url', { type: 'string', describe: `The org URL, e.g. https://dev-123456.okta.com [env ${ENV_VARS.orgUrl}]. Unset: the embedded emulator.` })
    .option('api-token', { type: 'string', describe: `An API token of a super admin of that org [env ${ENV_VARS.apiToken}].` })
    .option('emulator', { type: 'boolean', describe: 'Use the embedded Okta org emulator even when an org is configured.' })
    .option('env-file', { type: 'string', describe: `A dotenv file to read ${ENV_VARS.orgUrl} and ${ENV_VARS.apiToken} from. [default: ./.env when present]` });
}

/** `--flow`, as verify and env declare it (each with its own description); `resolveFlow` checks it. */
export const FLOW_OPTION = { type: 'string', choices: [...FLOWS] } as const;

/** `run` stands in for the library's `verify()` in tests; unset, it is loaded when the command runs. */
export function makeVerifyCommand(ctx: CommandContext, run?: typeof verify) {
  return makeCommandModule({
    command: 'verify',
    describe: "Set up the org's risk provider integration as Okta's guide does, test it, and tear it down",
    builder: (yargs) =>
      verifyOptions(yargs)
        .option('provider-name', { type: 'string', describe: `The provider and service app name. [default: "${DEFAULTS.providerName}"]` })
        .option('provider-id', { type: 'string', describe: 'Update this risk provider instead of the free default one.' })
        .option('action', { type: 'string', choices: [...RISK_ACTIONS], describe: `The provider action to set. [default: ${DEFAULTS.action}]` })
        .option('events', { type: 'string', describe: "A JSON file of risk events to send; with --flow ssf, of SET events, one events object per SET. [default: the guide's sample payload; with --flow ssf, a risk change to low and back]" })
        .option('key', { type: 'string', describe: 'A private key (JWK, JWKS or PKCS#8 PEM) for the service app. [default: a fresh RSA 2048 key]' })
        .option('reporters', { type: 'array', string: true, describe: `Reporters, from ${REPORTERS.join(', ')}. [default: ${DEFAULTS.reporters.join(' ')}]` })
        .option('reports-dir', { type: 'string', describe: `Where reports go, one folder per run. [default: ${DEFAULTS.reportsDir}]` })
        .option('work-dir', { type: 'string', describe: `Where run secrets and state files go (git-ignored). [default: ${DEFAULTS.workDir}]` })
        .option('keep', { type: 'boolean', describe: 'Leave the app, grant and provider change in place for manual testing in Postman.' })
        .option('force', { type: 'boolean', describe: 'Borrow a provider that another client is linked to (restored at teardown).' })
        .option('dpop', { type: 'boolean', describe: 'Bind the service app to DPoP and send a DPoP proof with every partner request. [default: only when the org asks for DPoP]' })
        .option('events-rate-limit', { type: 'number', describe: `The embedded emulator's events calls per minute. [default: ${DEFAULTS.eventsRateLimit}]` })
        .option('flow', { ...FLOW_OPTION, describe: "What to verify: risk (the Risk APIs Okta retired) or ssf (its Shared Signals receiver, their successor). [default: risk]" })
        .option('jwks-url', { type: 'string', describe: 'With --flow ssf against a real org: the public https URL that serves the JWKS of --key. [default: a loopback server, for an org on this machine]' })
        .option('subject-email', { type: 'string', describe: 'With --flow ssf: the sign-in email of the user the SETs are about. [default on the emulator: admin@example.com]' })
        .example('$0 verify', 'Run the whole flow against the embedded emulator')
        .example('$0 verify --flow ssf', "Verify Okta's SSF receiver flow against the embedded emulator")
        .example('OKTA_CLIENT_ORGURL=https://dev-123456.okta.com OKTA_CLIENT_TOKEN=… $0 verify', 'Run it against a real org')
        .example('$0 verify --action log_only --events events.json --reporters cli junit', 'Send your own events, log only, JUnit for CI')
        .example('$0 verify --dpop', 'Run the flow with a DPoP-bound service app, as new Admin Console apps are')
        .example('$0 verify --keep', 'Leave everything provisioned and write a Postman environment for it'),
    handler: async (argv) => {
      ctx.interruptNotice = 'Interrupted: tearing down what this run created (press Ctrl-C again to quit at once and leave the state file for `okta-risk cleanup`).';
      try {
        const settings = resolveVerifySettings({ flags: toVerifyFlags(argv), env: ctx.env, cwd: ctx.cwd });
        // Newman, jose and the emulator load here, once the flags are known to be good.
        const runVerify = run ?? (await import('../run/verify.ts')).verify;
        const { formatSummary } = await import('../run/summary.ts');
        const result = await runVerify({ settings, signal: ctx.signal, streams: { out: ctx.out, err: ctx.err } });
        ctx.out.write(formatSummary(result, ctx.cwd));
        ctx.exitCode = result.exitCode;
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}
