/** `okta-risk emulator`: the embedded Okta org, standalone, until Ctrl-C. */
import { DEFAULTS } from '../config/settings.ts';
import { isLoopbackHost } from '../config/org-url.ts';
import { EXIT_CODES, HarnessError } from '../errors.ts';
import { makeCommandModule } from './command-module.ts';
import { reportError, type CommandContext } from './context.ts';

function checkRate(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--${name} must be a share from 0 to 1, got ${value}.`, { setting: `--${name}`, fix: `pass e.g. --${name} 0.2 for one request in five.` });
  }
}

export function makeEmulatorCommand(ctx: CommandContext) {
  return makeCommandModule({
    command: 'emulator',
    describe: 'Run the embedded Okta org emulator until Ctrl-C',
    builder: (yargs) =>
      yargs
        .option('port', { type: 'number', default: 0, describe: 'The port to listen on (0: any free port).' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'The address to listen on. Keep it on loopback unless you mean to share the org.' })
        .option('api-token', { type: 'string', describe: 'The admin API token to accept. [default: a fresh random token]' })
        .option('events-rate-limit', { type: 'number', default: DEFAULTS.eventsRateLimit, describe: 'Risk events calls per minute, per provider (the guide: 3; the API reference: 30).' })
        .option('dpop-by-default', { type: 'boolean', default: false, describe: 'Register new service apps DPoP-bound, as Admin Console apps are (verify then switches to DPoP by itself).' })
        .option('latency-ms', { type: 'number', default: 0, group: 'Faults:', describe: 'Answer every faulty route this much later.' })
        .option('error-rate', { type: 'number', default: 0, group: 'Faults:', describe: 'Share of requests answered 500 E0000009, unprocessed.' })
        .option('drop-rate', { type: 'number', default: 0, group: 'Faults:', describe: 'Share of requests processed, then dropped with no answer.' })
        .option('rate-limit-rate', { type: 'number', default: 0, group: 'Faults:', describe: 'Share of requests answered 429 E0000047, unprocessed (a 429 storm).' })
        .option('fault-routes', { type: 'array', string: true, group: 'Faults:', describe: 'Where faults apply: "POST /api/v1/apps/:appId/grants", a method, or a path prefix like /api/v1/. [default: everywhere]' })
        .example('$0 emulator', 'Start an org on a free loopback port; prints its URL and API token')
        .example('$0 emulator --error-rate 0.2 --fault-routes /api/v1/ /oauth2/v1/clients', 'One admin call in five fails with a 500')
        .example('$0 emulator --port 8787 --events-rate-limit 30', 'A fixed port, with the API reference\'s rate limit'),
    handler: async (argv) => {
      try {
        if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) {
          throw new HarnessError('ERR_SETTING_INVALID', `--port must be a port number from 0 to 65535, got ${argv.port}.`, { setting: '--port', fix: 'pass e.g. --port 8787, or 0 for any free port.' });
        }
        if (!Number.isInteger(argv['events-rate-limit']) || argv['events-rate-limit'] < 1) {
          throw new HarnessError('ERR_SETTING_INVALID', '--events-rate-limit must be a whole number, at least 1.', { setting: '--events-rate-limit', fix: 'pass e.g. --events-rate-limit 3.' });
        }
        checkRate('error-rate', argv['error-rate']);
        checkRate('drop-rate', argv['drop-rate']);
        checkRate('rate-limit-rate', argv['rate-limit-rate']);
        if (!(argv['latency-ms'] >= 0)) throw new HarnessError('ERR_SETTING_INVALID', `--latency-ms must be 0 or more, got ${argv['latency-ms']}.`, { setting: '--latency-ms', fix: 'pass e.g. --latency-ms 200.' });
        const { buildEmulator } = await import('../emulator/index.ts');
        const emulator = await buildEmulator({
          apiToken: argv['api-token'],
          eventsRateLimit: argv['events-rate-limit'],
          dpopByDefault: argv['dpop-by-default'],
          faults: {
            latencyMs: argv['latency-ms'],
            errorRate: argv['error-rate'],
            dropRate: argv['drop-rate'],
            rateLimitRate: argv['rate-limit-rate'],
            routes: argv['fault-routes'],
          },
        });
        let url: string;
        try {
          url = await emulator.listen({ port: argv.port, host: argv.host });
        } catch (error) {
          throw new HarnessError('ERR_SETTING_INVALID', `Cannot listen on ${argv.host}:${argv.port}: ${(error as Error).message}.`, {
            setting: '--port',
            fix: 'choose another --port (or 0 for any free port), or a --host address of this machine.',
          });
        }
        ctx.interruptNotice = `Stopping the Okta org emulator at ${url}: its org, and everything runs made on it, are gone (press Ctrl-C again to quit at once).`;
        ctx.out.write(
          [
            `Okta org emulator listening at ${url}`,
            `  org URL (url):        ${url}`,
            argv['api-token'] ? '  API token (apikey):   the token given with --api-token' : `  API token (apikey):   ${emulator.apiToken}`,
            `  risk events limit:    ${argv['events-rate-limit']} calls a minute per provider`,
            argv['dpop-by-default'] ? '  DPoP:                 new service apps are DPoP-bound (--dpop-by-default)' : '',
            isLoopbackHost(argv.host) ? '' : `  WARNING: listening on ${argv.host}, not loopback: other machines can reach this org.`,
            'Press Ctrl-C to stop.',
            '',
          ]
            .filter((line) => line !== '')
            .join('\n') + '\n',
        );
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        await emulator.close();
        ctx.out.write('Emulator stopped.\n');
        ctx.exitCode = EXIT_CODES.passed;
      } catch (error) {
        reportError(ctx, error);
      }
    },
  });
}
