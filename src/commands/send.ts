/** `okta-risk send`: parse, call `sendSignals()`, print the summary, map to an exit code. */
import { CLIENT_ID_ENV, resolveSendSettings, EMULATOR_SET_RATE_LIMIT, SEND_VIAS, SSF_ISSUER_ENV, SSF_SUBJECT_EMAIL_ENV, type SendFlags } from '../config/send-settings.ts';
import { DEFAULTS, ENV_VARS } from '../config/settings.ts';
import { INPUT_FORMATS } from '../send/read-signals.ts';
import type { sendSignals } from '../send/send-signals.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';

/** The flags `toSendFlags` reads. */
export interface SendArgs {
  'org-url'?: string;
  'client-id'?: string;
  key?: string;
  emulator?: boolean;
  input?: string;
  format?: string;
  'skip-invalid'?: boolean;
  'dry-run'?: boolean;
  'work-dir'?: string;
  'env-file'?: string;
  'events-rate-limit'?: number;
  'postman-data'?: string;
  via?: string;
  issuer?: string;
  'subject-email'?: string;
  dpop?: boolean;
}

export function toSendFlags(argv: SendArgs): SendFlags {
  return {
    orgUrl: argv['org-url'],
    clientId: argv['client-id'],
    key: argv.key,
    emulator: argv.emulator,
    input: argv.input,
    format: argv.format,
    skipInvalid: argv['skip-invalid'],
    dryRun: argv['dry-run'],
    workDir: argv['work-dir'],
    envFile: argv['env-file'],
    eventsRateLimit: argv['events-rate-limit'],
    postmanData: argv['postman-data'],
    via: argv.via,
    issuer: argv.issuer,
    subjectEmail: argv['subject-email'],
    dpop: argv.dpop,
  };
}

/** `run` stands in for the library's `sendSignals()` in tests; unset, it is loaded when the command runs. */
export function makeSendCommand(ctx: CommandContext, run?: typeof sendSignals) {
  return makeCommandModule({
    command: 'send',
    describe: 'Send a feed of IP risk signals to the org, validated, packed into the fewest calls and paced to its rate limit',
    builder: (yargs) =>
      yargs
        .option('via', { type: 'string', choices: [...SEND_VIAS], describe: "How the signals go: risk (the Risk Events API) or ssf (one Security Event Token per signal to Okta's SSF receiver). [default: risk]" })
        .option('org-url', { type: 'string', describe: `The org URL [env ${ENV_VARS.orgUrl}]. Unset: the embedded emulator, provisioned for the run.` })
        .option('client-id', { type: 'string', describe: `The risk provider's service app client id [env ${CLIENT_ID_ENV}].` })
        .option('key', { type: 'string', describe: "The service app's private key file (JWK, JWKS or PKCS#8 PEM); with --via ssf the RSA key the provider's JWKS publishes. With the emulator: default a fresh key." })
        .option('issuer', { type: 'string', describe: `--via ssf: the issuer the org's Security Events Provider is registered with, every SET's iss [env ${SSF_ISSUER_ENV}].` })
        .option('subject-email', { type: 'string', describe: `--via ssf: the sign-in email of the user a SET is about when its line names none in an email field [env ${SSF_SUBJECT_EMAIL_ENV}]. With the emulator: default admin@example.com.` })
        .option('dpop', { type: 'boolean', describe: 'The service app is DPoP-bound: send DPoP proofs from the first token request (with the emulator: register the run\'s app DPoP-bound). Without it a DPoP-bound app is found at its first token answer.' })
        .option('emulator', { type: 'boolean', describe: 'Send to the embedded emulator even when an org is configured.' })
        .option('input', { type: 'string', describe: 'The signals: a JSON array of risk events, NDJSON (one subject a line) or CSV with a header (with --via ssf a line may name its user in email). [default: stdin]' })
        .option('format', { type: 'string', choices: [...INPUT_FORMATS], describe: 'The input format. [default: from the first character]' })
        .option('skip-invalid', { type: 'boolean', describe: 'Send the valid signals and report the invalid records, instead of sending nothing.' })
        .option('dry-run', { type: 'boolean', describe: 'Validate and print the planned calls; send nothing (no credentials needed).' })
        .option('postman-data', { type: 'string', describe: 'Also write the planned calls as a Postman Collection Runner data file (riskEvents per iteration).' })
        .option('work-dir', { type: 'string', describe: `Where the run spools its input (git-ignored, 0700). [default: ${DEFAULTS.workDir}]` })
        .option('env-file', { type: 'string', describe: `A dotenv file to read ${ENV_VARS.orgUrl} and ${CLIENT_ID_ENV} from. [default: ./.env when present]` })
        .option('events-rate-limit', { type: 'number', describe: `The embedded emulator's events calls per minute (--via ssf: SET pushes per minute, default ${EMULATOR_SET_RATE_LIMIT}). [default: ${DEFAULTS.eventsRateLimit}]` })
        .example('$0 send --input signals.ndjson', 'Send to the embedded emulator (provisioned for the run)')
        .example('$0 send --org-url https://dev-123456.okta.com --client-id 0oa… --key private.jwk.json --input signals.csv', 'Send to your org with the service app\'s key only')
        .example('$0 send --org-url https://dev-123456.okta.com --client-id 0oa… --key private.jwk.json --dpop --input signals.csv', 'Send as a DPoP-bound service app')
        .example('feed-export | $0 send --format ndjson --skip-invalid', 'Send from stdin, skipping and reporting invalid lines')
        .example('$0 send --via ssf --org-url https://dev-123456.okta.com --issuer https://transmitter.example.com --key transmitter.jwk.json --subject-email jane.doe@example.com --input signals.ndjson', 'Send one SET per signal to the org\'s SSF receiver')
        .example('$0 send --input events.json --dry-run', 'Print the planned calls ("N calls") and send nothing')
        .example('$0 send --input events.json --dry-run --postman-data runner-data.json', 'Plan the calls for the Postman app\'s Collection Runner'),
    handler: async (argv) => {
      try {
        const settings = resolveSendSettings({ flags: toSendFlags(argv), env: ctx.env, cwd: ctx.cwd });
        // The transport, the spool and jose load here, once the flags are known to be good.
        const runSend = run ?? (await import('../send/send-signals.ts')).sendSignals;
        const { formatSendSummary } = await import('../send/format-summary.ts');
        const result = await runSend({ settings, signal: ctx.signal, streams: { out: ctx.out, err: ctx.err } });
        (result.error ? ctx.err : ctx.out).write(formatSendSummary(result));
        ctx.exitCode = result.exitCode;
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}
