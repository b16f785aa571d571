/** `okta-risk env`: write a ready Postman environment for the shared collection, for use in the Postman app. */
import { resolve } from 'node:path';
import { DEFAULTS, RISK_ACTIONS, resolveTarget } from '../config/settings.ts';
import { HarnessError } from '../errors.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';
import { orgOptions, toVerifyFlags } from './verify.ts';

export function makeEnvCommand(ctx: CommandContext) {
  return makeCommandModule({
    command: 'env',
    describe: 'Write a ready Postman environment (secrets typed secret, mode 0600) for the shared collection, for an org or a standalone emulator',
    builder: (yargs) =>
      orgOptions(yargs)
        .option('provider-name', { type: 'string', default: DEFAULTS.providerName, describe: 'The providerName variable: 1 to 50 characters, no quotes.' })
        .option('action', { type: 'string', choices: [...RISK_ACTIONS], default: DEFAULTS.action, describe: 'The riskAction variable.' })
        .option('events', { type: 'string', describe: "A JSON array of risk events (as Okta's Risk Events API takes them) for riskEvents. [default: the guide's sample]" })
        .option('key', { type: 'string', describe: 'The service app key: a private JWK, a JWKS with one private key, or a PKCS#8 PEM; its public half becomes publicKey. [default: a new key pair, written under .runs/keys/]' })
        .option('client-id', { type: 'string', describe: "An existing service app's client_id (0oa…): sets clientId and mints clientAssertion for it with --key." })
        .option('out', { type: 'string', describe: `The file to write (mode 0600). [default: ${DEFAULTS.workDir}/postman/<org host>.postman_environment.json]` })
        .example('$0 env --org-url https://dev-123456.okta.com', 'An environment with a new key pair, ready to import into Postman')
        .example('$0 env --key key.json --client-id 0oa…', 'For an app that exists: clientId and a fresh clientAssertion included'),
    handler: async (argv) => {
      try {
        const target = resolveTarget({ flags: toVerifyFlags(argv), env: ctx.env, cwd: ctx.cwd });
        if (target.kind !== 'org') {
          throw new HarnessError('ERR_SETTING_MISSING', 'env needs an org URL and API token to put in the environment.', {
            setting: '--org-url',
            fix: "pass --org-url and --api-token (or set OKTA_CLIENT_ORGURL and OKTA_CLIENT_TOKEN); for a standalone emulator use the URL and token 'okta-risk emulator' prints.",
          });
        }
        const [{ mintClientAssertion }, { renderEnvironment }, { writeSecretFile }, { countSignals, loadRiskEvents }, { generateProviderKeyPair, loadKeyPair, writeKeyPair }] = await Promise.all([
          import('../assertion/mint-client-assertion.ts'),
          import('../environment/render-environment.ts'),
          import('../environment/write-secret-file.ts'),
          import('../events/risk-events.ts'),
          import('../keys/index.ts'),
        ]);
        const events = loadRiskEvents(argv.events === undefined ? undefined : resolve(ctx.cwd, argv.events));
        let pair;
        if (argv.key) pair = await loadKeyPair(resolve(ctx.cwd, argv.key));
        else {
          pair = await generateProviderKeyPair();
          const files = await writeKeyPair(resolve(ctx.cwd, `${DEFAULTS.workDir}/keys/${pair.kid}`), pair);
          ctx.out.write(`New key pair (kid ${pair.kid}); private key: ${files.privateJwkFile} (mode 0600)\n`);
        }
        const clientId = argv['client-id'] ?? '';
        const clientAssertion = clientId ? await mintClientAssertion({ clientId, orgUrl: target.orgUrl, privateKey: pair.privateJwk, kid: pair.kid, alg: pair.alg }) : '';
        const environment = renderEnvironment({
          url: target.orgUrl,
          apikey: target.apiToken,
          providerName: argv['provider-name'] ?? DEFAULTS.providerName,
          publicKey: JSON.stringify(pair.publicJwk),
          riskAction: argv.action ?? DEFAULTS.action,
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
        const host = new URL(target.orgUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
        const out = resolve(ctx.cwd, argv.out ?? `${DEFAULTS.workDir}/postman/${host}.postman_environment.json`);
        await writeSecretFile(out, JSON.stringify(environment, null, 2) + '\n');
        ctx.out.write(`Postman environment written to ${out} (mode 0600; it holds your API token: never commit or share it).\n`);
        ctx.out.write('Import it and collections/okta-risk-provider.postman_collection.json into Postman, then run the folders in order.\n');
        if (clientAssertion) ctx.out.write('clientAssertion is valid for 5 minutes; refresh it with `okta-risk assertion --environment <file>`.\n');
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}
