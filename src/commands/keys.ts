/** `okta-risk keys`: write an RSA key pair for a service app, the way the guide's mkjwk step does. */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DEFAULTS } from '../config/settings.ts';
import { HarnessError } from '../errors.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';

export function makeKeysCommand(ctx: CommandContext) {
  return makeCommandModule({
    command: 'keys',
    describe: 'Write a new RSA key pair (RS256, use sig, kid = RFC 7638 thumbprint) for a service app',
    builder: (yargs) =>
      yargs
        .option('out', { type: 'string', describe: `The folder to write private.jwk.json (0600) and public.jwk.json into. [default: ${DEFAULTS.workDir}/keys/<kid>]` })
        .option('modulus-length', { type: 'number', default: 2048, describe: 'RSA key size in bits (at least 2048).' })
        .option('force', { type: 'boolean', describe: 'Replace a key pair already in --out (the old private key is lost).' })
        .example('$0 keys', 'Write a key pair under .runs/keys/<kid>/')
        .example('$0 keys --out ~/.okta-risk/provider-key', 'Write it somewhere of your own'),
    handler: async (argv) => {
      try {
        const { generateProviderKeyPair, KEY_PAIR_FILES, writeKeyPair } = await import('../keys/index.ts');
        const bits = argv['modulus-length'];
        if (!Number.isInteger(bits) || bits < 2048) {
          throw new HarnessError('ERR_SETTING_INVALID', `--modulus-length must be a whole number of at least 2048, got ${bits}.`, { setting: '--modulus-length', fix: 'pass 2048 (the guide), 3072 or 4096.' });
        }
        if (argv.out !== undefined && !argv.force) {
          // Refused before a key is made: an app registered with the old public key would be locked out.
          const taken = Object.values(KEY_PAIR_FILES).map((name) => join(resolve(ctx.cwd, argv.out!), name)).filter((file) => existsSync(file));
          if (taken.length > 0) {
            throw new HarnessError('ERR_FILE_EXISTS', `--out ${resolve(ctx.cwd, argv.out)} already holds a key pair (${taken.map((f) => basename(f)).join(', ')}).`, {
              setting: '--out',
              fix: 'choose another --out folder, or pass --force to replace the key (an app registered with the old public key will no longer accept assertions signed by the new one).',
            });
          }
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
  });
}
