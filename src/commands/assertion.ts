/**
 * `okta-risk assertion`: mint a client assertion for a client and key, for the Postman app. The assertion is a
 * credential, so it is written to a 0600 file or into a Postman environment, never printed.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULTS, ENV_VARS } from '../config/settings.ts';
import { checkOrgUrl } from '../config/org-url.ts';
import { HarnessError } from '../errors.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';

export function makeAssertionCommand(ctx: CommandContext) {
  return makeCommandModule({
    command: 'assertion',
    describe: 'Mint a client assertion (private_key_jwt) for a service app, into a file or a Postman environment',
    builder: (yargs) =>
      yargs
        .option('client-id', { type: 'string', demandOption: true, describe: "The service app's client_id (iss and sub)." })
        .option('key', { type: 'string', demandOption: true, describe: 'The private key file (JWK, JWKS or PKCS#8 PEM).' })
        .option('org-url', { type: 'string', describe: `The org URL; aud is <org URL>/oauth2/v1/token. [env ${ENV_VARS.orgUrl}]` })
        .option('lifetime', { type: 'number', default: 300, describe: 'Seconds until exp (Okta allows at most 3600).' })
        .option('out', { type: 'string', describe: `Write the JWT to this file (mode 0600). [default: ${DEFAULTS.workDir}/assertions/<client id>.jwt]` })
        .option('environment', { type: 'string', describe: "Also set clientId and clientAssertion in this Postman environment file (from 'okta-risk env' or 'verify --keep')." })
        .example('$0 assertion --client-id 0oa… --key .runs/keys/<kid>/private.jwk.json --org-url https://dev-123456.okta.com', 'Write an assertion valid for 5 minutes')
        .example('$0 assertion --client-id 0oa… --key key.json --environment okta.postman_environment.json', "Set a Postman environment's clientId and a fresh clientAssertion"),
    handler: async (argv) => {
      try {
        const rawUrl = argv['org-url'] ?? ctx.env[ENV_VARS.orgUrl];
        if (!rawUrl) {
          throw new HarnessError('ERR_SETTING_MISSING', 'No org URL: the assertion\'s aud is <org URL>/oauth2/v1/token.', { setting: '--org-url', fix: `pass --org-url or set ${ENV_VARS.orgUrl}.` });
        }
        const orgUrl = checkOrgUrl(rawUrl, argv['org-url'] ? '--org-url' : ENV_VARS.orgUrl);
        if (!/^[A-Za-z0-9_-]{1,100}$/.test(argv['client-id'])) {
          throw new HarnessError('ERR_SETTING_INVALID', `--client-id "${argv['client-id']}" is not a client_id.`, { setting: '--client-id', fix: "copy client_id from the create-client response (e.g. 0oaaaboyxsbrWdsk81d6), without quotes or spaces." });
        }
        if (!Number.isInteger(argv.lifetime) || argv.lifetime < 1 || argv.lifetime > 3600) {
          throw new HarnessError('ERR_SETTING_INVALID', `--lifetime must be 1 to 3600 seconds (Okta refuses an exp more than an hour ahead), got ${argv.lifetime}.`, { setting: '--lifetime', fix: 'pass e.g. --lifetime 300.' });
        }
        const [{ mintClientAssertion }, { writeSecretFile }, { loadKeyPair }] = await Promise.all([
          import('../assertion/mint-client-assertion.ts'),
          import('../environment/write-secret-file.ts'),
          import('../keys/index.ts'),
        ]);
        const pair = await loadKeyPair(resolve(ctx.cwd, argv.key));
        const jwt = await mintClientAssertion({ clientId: argv['client-id'], orgUrl, privateKey: pair.privateJwk, kid: pair.kid, alg: pair.alg, lifetimeSeconds: argv.lifetime });
        const out = resolve(ctx.cwd, argv.out ?? `${DEFAULTS.workDir}/assertions/${argv['client-id']}.jwt`);
        await writeSecretFile(out, jwt + '\n');
        ctx.out.write(`Client assertion for ${argv['client-id']} (kid ${pair.kid}, valid ${argv.lifetime} s) written to ${out} (mode 0600).\n`);
        if (argv.environment) {
          const file = resolve(ctx.cwd, argv.environment);
          let env: { values?: Array<{ key: string; value: string }> };
          try {
            env = JSON.parse(await readFile(file, 'utf8')) as typeof env;
          } catch {
            throw new HarnessError('ERR_FILE_UNREADABLE', `--environment ${file} is not a readable Postman environment file.`, { setting: '--environment', fix: "pass a file written by 'okta-risk env' or exported from Postman." });
          }
          const entry = env.values?.find((v) => v.key === 'clientAssertion');
          const client = env.values?.find((v) => v.key === 'clientId');
          if (!entry || !client) {
            throw new HarnessError('ERR_SETTING_INVALID', `--environment ${file} has no ${entry ? 'clientId' : 'clientAssertion'} variable.`, {
              setting: '--environment',
              fix: "use an environment written by 'okta-risk env' or 'okta-risk verify --keep'.",
            });
          }
          // The assertion is only good for the client it names: the two change together.
          entry.value = jwt;
          client.value = argv['client-id'];
          await writeSecretFile(file, JSON.stringify(env, null, 2) + '\n');
          ctx.out.write(`clientId and clientAssertion updated in ${file}.\n`);
        }
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}
