/** `okta-risk env`: write a ready Postman environment for a shared collection, for use in the Postman app. */
import { resolve } from 'node:path';
import { DEFAULTS, RISK_ACTIONS, refuseSsfOnlyFlags, resolveFlow, resolveSsfEnvironmentSettings, resolveTarget, type Target, type VerifyFlags } from '../config/settings.ts';
import { HarnessError } from '../errors.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';
import { FLOW_OPTION, orgOptions, toVerifyFlags } from './verify.ts';

type OrgTarget = Extract<Target, { kind: 'org' }>;

export function makeEnvCommand(ctx: CommandContext) {
  return makeCommandModule({
    command: 'env',
    describe: 'Write a ready Postman environment (secrets typed secret, mode 0600) for a shared collection, for an org or a standalone emulator',
    builder: (yargs) =>
      orgOptions(yargs)
        .option('flow', { ...FLOW_OPTION, describe: "Which collection's environment: risk (the Risk APIs, okta-risk-provider) or ssf (the SSF receiver, okta-ssf-receiver). [default: risk]" })
        .option('provider-name', { type: 'string', describe: `The providerName variable: 1 to 50 characters, no quotes (with --flow ssf, 1 to 100). [default: "${DEFAULTS.providerName}"; with --flow ssf "${DEFAULTS.ssfProviderName}"]` })
        .option('action', { type: 'string', choices: [...RISK_ACTIONS], describe: `The riskAction variable. [default: ${DEFAULTS.action}]` })
        .option('events', { type: 'string', describe: "A JSON array of risk events (as Okta's Risk Events API takes them) for riskEvents. [default: the guide's sample]" })
        .option('key', {
          type: 'string',
          describe:
            'The service app key: a private JWK, a JWKS with one private key, or a PKCS#8 PEM; its public half becomes publicKey. [default: a new key pair, written under .runs/keys/] With --flow ssf: required, the RSA key whose public JWK --jwks-url serves; it signs the SET.',
        })
        .option('client-id', { type: 'string', describe: "An existing service app's client_id (0oa…): sets clientId and mints clientAssertion for it with --key." })
        .option('jwks-url', { type: 'string', describe: "With --flow ssf, required: where the org fetches the transmitter's JWKS (a public https URL for a real org); it must serve the public JWK of --key." })
        .option('subject-email', { type: 'string', describe: 'With --flow ssf: the sign-in email of the user the SET is about. [required for a real org; default on a standalone emulator: admin@example.com]' })
        .option('out', { type: 'string', describe: `The file to write (mode 0600). [default: ${DEFAULTS.workDir}/postman/<org host>.postman_environment.json; with --flow ssf <org host>.ssf.postman_environment.json]` })
        .example('$0 env --org-url https://dev-123456.okta.com', 'An environment with a new key pair, ready to import into Postman')
        .example('$0 env --key key.json --client-id 0oa…', 'For an app that exists: clientId and a fresh clientAssertion included')
        .example(
          '$0 env --flow ssf --key keys/private.jwk.json --jwks-url https://transmitter.example.com/.well-known/jwks.json --subject-email test.user@acme.com',
          'For the SSF receiver collection: issuer, JWKS URL and a signed SET (push it within 5 minutes)',
        ),
    handler: async (argv) => {
      try {
        const flags = toVerifyFlags(argv);
        const flow = resolveFlow(flags.flow);
        const target = resolveTarget({ flags, env: ctx.env, cwd: ctx.cwd });
        if (target.kind !== 'org') {
          throw new HarnessError('ERR_SETTING_MISSING', 'env needs an org URL and API token to put in the environment.', {
            setting: '--org-url',
            fix: "pass --org-url and --api-token (or set OKTA_CLIENT_ORGURL and OKTA_CLIENT_TOKEN); for a standalone emulator use the URL and token 'okta-risk emulator' prints.",
          });
        }
        if (flow === 'ssf') await writeSsfEnvironment(ctx, { ...flags, clientId: argv['client-id'] }, target, argv.out);
        else await writeRiskEnvironment(ctx, flags, target, argv['client-id'], argv.out);
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}

/** The file env writes to: `--out`, or `<work dir>/postman/<org host><suffix>`. */
function outFile(ctx: CommandContext, target: OrgTarget, out: string | undefined, suffix: string): string {
  const host = new URL(target.orgUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
  return resolve(ctx.cwd, out ?? `${DEFAULTS.workDir}/postman/${host}${suffix}`);
}

async function writeRiskEnvironment(ctx: CommandContext, flags: VerifyFlags, target: OrgTarget, clientIdFlag: string | undefined, outFlag: string | undefined): Promise<void> {
  refuseSsfOnlyFlags(flags);
  const [{ mintClientAssertion }, { renderEnvironment }, { writeSecretFile }, { countSignals, loadRiskEvents }, { generateProviderKeyPair, loadKeyPair, writeKeyPair }] = await Promise.all([
    import('../assertion/mint-client-assertion.ts'),
    import('../environment/render-environment.ts'),
    import('../environment/write-secret-file.ts'),
    import('../events/risk-events.ts'),
    import('../keys/index.ts'),
  ]);
  const events = loadRiskEvents(flags.events === undefined ? undefined : resolve(ctx.cwd, flags.events));
  let pair;
  if (flags.key) pair = await loadKeyPair(resolve(ctx.cwd, flags.key));
  else {
    pair = await generateProviderKeyPair();
    const files = await writeKeyPair(resolve(ctx.cwd, `${DEFAULTS.workDir}/keys/${pair.kid}`), pair);
    ctx.out.write(`New key pair (kid ${pair.kid}); private key: ${files.privateJwkFile} (mode 0600)\n`);
  }
  const clientId = clientIdFlag ?? '';
  const clientAssertion = clientId ? await mintClientAssertion({ clientId, orgUrl: target.orgUrl, privateKey: pair.privateJwk, kid: pair.kid, alg: pair.alg }) : '';
  const environment = renderEnvironment({
    url: target.orgUrl,
    apikey: target.apiToken,
    providerName: flags.providerName ?? DEFAULTS.providerName,
    publicKey: JSON.stringify(pair.publicJwk),
    riskAction: flags.action ?? DEFAULTS.action,
    riskEvents: JSON.stringify(events),
    clientId,
    clientAssertion,
    runStartedAt: new Date().toISOString(),
    expectedSignalCount: String(countSignals(events)),
    logPollAttempts: String(DEFAULTS.logPollAttempts),
    logPollIntervalMs: String(DEFAULTS.logPollIntervalMs),
    force: 'false',
    retryOnRateLimit: 'false',
  });
  const out = outFile(ctx, target, outFlag, '.postman_environment.json');
  await writeSecretFile(out, JSON.stringify(environment, null, 2) + '\n');
  ctx.out.write(`Postman environment written to ${out} (mode 0600; it holds your API token: never commit or share it).\n`);
  ctx.out.write('Import it and collections/okta-risk-provider.postman_collection.json into Postman, then run the folders in order.\n');
  if (clientAssertion) ctx.out.write('clientAssertion is valid for 5 minutes; refresh it with `okta-risk assertion --environment <file>`.\n');
}

async function writeSsfEnvironment(ctx: CommandContext, flags: VerifyFlags & { clientId?: string }, target: OrgTarget, outFlag: string | undefined): Promise<void> {
  const settings = resolveSsfEnvironmentSettings(flags, target, ctx.cwd);
  const [{ prepareSsfEnvironment }, { writeSecretFile }, { loadKeyPair }] = await Promise.all([
    import('../environment/prepare-ssf-environment.ts'),
    import('../environment/write-secret-file.ts'),
    import('../keys/index.ts'),
  ]);
  const keys = await loadKeyPair(settings.keyFile);
  const { environment, issuer } = await prepareSsfEnvironment({
    orgUrl: target.orgUrl,
    apiToken: target.apiToken,
    providerName: settings.providerName,
    jwksUrl: settings.jwksUrl,
    keys,
    keyFile: settings.keyFile,
    subjectEmail: settings.subjectEmail,
  });
  const out = outFile(ctx, target, outFlag, '.ssf.postman_environment.json');
  await writeSecretFile(out, JSON.stringify(environment, null, 2) + '\n');
  ctx.out.write(`Postman environment written to ${out} (mode 0600; it holds your API token and a signed SET: never commit or share it).\n`);
  ctx.out.write('Import it and collections/okta-ssf-receiver.postman_collection.json into Postman, then run the folders in order.\n');
  ctx.out.write(`The provider's issuer is ${issuer}. securityEventToken is one SET about ${settings.subjectEmail} (risk none → low): push it within 5 minutes, once (its jti is spent); run env again for a fresh one.\n`);
}
