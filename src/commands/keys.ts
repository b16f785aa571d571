/** `okta-risk keys`: write an RSA key pair for a service app, the way the guide's mkjwk step does. */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULTS } from '../config/settings.ts';
import { HarnessError } from '../errors.ts';
import { generateProviderKeyPair, writeKeyPair } from '../keys/index.ts';
import { reportError, type CommandContext } from './context.ts';

export interface KeysArgs {
  out?: string;
  'modulus-length': number;
}

export function makeKeysCommand(ctx: CommandContext): CommandModule<object, KeysArgs> {
  return {
    command: 'keys',
    describe: 'Write a new RSA key pair (RS256, use sig, kid = RFC 7638 thumbprint) for a service app',
    builder: (yargs) =>
      yargs
        .option('out', { type: 'string', describe: `The folder to write private.jwk.json (0600) and public.jwk.json into. [default: ${DEFAULTS.workDir}/keys/<kid>]` })
        .option('modulus-length', { type: 'number', default: 2048, describe: 'RSA key size in bits (at least 2048).' })
        .example('$0 keys', 'Write a key pair under .runs/keys/<kid>/')
        .example('$0 keys --out ~/.okta-risk/provider-key', 'Write it somewhere of your own') as Argv<KeysArgs>,
    handler: async (argv) => {
      try {
        const bits = argv['modulus-length'];
        if (!Number.isInteger(bits) || bits < 2048) {
          throw new HarnessError('ERR_SETTING_INVALID', `--modulus-length must be a whole number of at least 2048, got ${bits}.`, { setting: '--modulus-length', fix: 'pass 2048 (the guide), 3072 or 4096.' });
        }
        const pair = await generateProviderKeyPair({ modulusLength: bits });
        const dir = resolve(ctx.cwd, argv.out ?? `${DEFAULTS.workDir}/keys/${pair.kid}`);
        const files = await writeKeyPair(dir, pair);
        ctx.out.write(
          [
            `Key pair written (kid ${pair.kid}):`,
            `  private key: ${files.privateJwkFile} (mode 0600; keep it secret, pass it with --key)`,
            `  public key:  ${files.publicJwkFile}`,
            "Public key (the guide's publicKey variable):",
            JSON.stringify(pair.publicJwk),
            '',
          ].join('\n'),
        );
      } catch (error) {
        reportError(ctx, error);
      }
    },
  };
}
