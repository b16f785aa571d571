import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { buildCli, runCli } from '../../src/cli.ts';
import type { CommandContext } from '../../src/commands/context.ts';
import type { VerifyOptions, VerifyResult } from '../../src/run/verify.ts';
import { helpOf } from '../helpers/help.ts';
import { sink, tmp, type Sink } from '../integration/harness.ts';

const TOKEN = '00abcdefghijklmnopqrstuvwxyz0123456789AB';

function context(env: Record<string, string> = {}): CommandContext & { out: Sink; err: Sink } {
  return { cwd: tmp('cli'), env, out: sink(), err: sink(), exitCode: 0, signal: new AbortController().signal } as CommandContext & { out: Sink; err: Sink };
}

/** Parses a verify command line without running anything: the library call is replaced by a recorder. */
async function parseVerify(args: string[], env: Record<string, string> = {}) {
  const ctx = context(env);
  const calls: VerifyOptions[] = [];
  const fake = async (options: VerifyOptions): Promise<VerifyResult> => {
    calls.push(options);
    return { exitCode: 0, runId: 'r', target: options.settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [], newmanRuns: 0 };
  };
  await runCli(['verify', ...args], ctx, { verify: fake });
  return { ctx, calls };
}

describe('okta-risk command line', () => {
  it('parses verify flags into settings without running anything else', async () => {
    const { ctx, calls } = await parseVerify(['--action', 'log_only', '--reporters', 'junit', 'htmlextra', '--provider-name', 'Acme Risk', '--force']);
    expect(ctx.exitCode).to.equal(0);
    expect(calls).to.have.length(1);
    expect(calls[0]!.settings).to.deep.include({ action: 'log_only', reporters: ['junit', 'htmlextra'], providerName: 'Acme Risk', keep: false, force: true });
    expect(calls[0]!.settings.target).to.deep.equal({ kind: 'emulator' });
  });

  it('takes --dpop into the settings', async () => {
    const { calls } = await parseVerify(['--dpop']);
    expect(calls[0]!.settings.dpop).to.equal(true);
  });

  it('leaves DPoP off without --dpop (verify switches it on only when the org asks)', async () => {
    const { calls } = await parseVerify([]);
    expect(calls[0]!.settings.dpop).to.equal(false);
  });

  it('takes --keep for an org that outlives the run', async () => {
    const { ctx, calls } = await parseVerify(['--keep', '--org-url', 'http://127.0.0.1:8787'], { OKTA_CLIENT_TOKEN: TOKEN });
    expect(ctx.exitCode).to.equal(0);
    expect(calls[0]!.settings.keep).to.equal(true);
  });

  it('refuses --keep against the embedded emulator with exit code 2, before anything runs', async () => {
    const { ctx, calls } = await parseVerify(['--keep']);
    expect(calls).to.deep.equal([]);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.equal(
      'Error [ERR_SETTING_INVALID]: --keep needs an org that outlives the run: the embedded emulator, and everything the run made on it, is gone when verify ends.\n' +
        'Fix: start a standalone emulator (npm run emulator -- --port 8787) and run OKTA_CLIENT_TOKEN=<the token it prints> npm run verify -- --org-url http://127.0.0.1:8787 --keep, or point verify at a real org.\n',
    );
  });

  it('takes comma-separated reporters as well', async () => {
    const { calls } = await parseVerify(['--reporters', 'cli,junit']);
    expect(calls[0]!.settings.reporters).to.deep.equal(['cli', 'junit']);
  });

  it("targets the org given by Okta's SDK variables", async () => {
    const { calls } = await parseVerify([], { OKTA_CLIENT_ORGURL: 'https://dev-1.okta.com', OKTA_CLIENT_TOKEN: TOKEN });
    expect(calls[0]!.settings.target).to.deep.equal({ kind: 'org', orgUrl: 'https://dev-1.okta.com', apiToken: TOKEN });
  });

  it('refuses an admin URL with exit code 2 and a message naming the flag and the fix, running nothing', async () => {
    const { ctx, calls } = await parseVerify(['--org-url', 'https://acme-admin.okta.com', '--api-token', TOKEN]);
    expect(calls).to.deep.equal([]);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.equal('Error [ERR_ORG_URL_INVALID]: --org-url is the Admin Console URL (acme-admin.okta.com), not the org URL.\nFix: use the org URL without "-admin": https://acme.okta.com\n');
  });

  it('refuses an action outside the choices with exit code 2', async () => {
    const { ctx, calls } = await parseVerify(['--action', 'enforce']);
    expect(calls).to.deep.equal([]);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('Invalid values:');
    expect(ctx.err.text).to.contain('Argument: action, Given: "enforce", Choices: "none", "log_only", "enforce_and_log"');
  });

  it('refuses an unknown flag with exit code 2', async () => {
    const { ctx, calls } = await parseVerify(['--org', 'https://x.okta.com']);
    expect(calls).to.deep.equal([]);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('Unknown argument: org');
  });

  it('refuses a missing command with exit code 2', async () => {
    const ctx = context();
    await runCli([], ctx);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('Name a command; `okta-risk verify` runs the whole flow.');
  });

  for (const command of ['verify', 'send', 'keys', 'assertion', 'env', 'emulator', 'cleanup']) {
    it(`shows examples in ${command} --help`, async () => {
      const ctx = context();
      const help = await helpOf([command, '--help'], ctx);
      expect(help).to.contain('Examples:');
      expect(help).to.contain(`okta-risk ${command}`);
    });
  }

  it("runs a command without formatting its help text first (yargs' help cache for showHelp)", async () => {
    const ctx = context();
    const fake = async (options: VerifyOptions): Promise<VerifyResult> => ({ exitCode: 0, runId: 'r', target: options.settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [], newmanRuns: 0 });
    const cli = buildCli(['verify'], ctx, { verify: fake });
    await cli.parseAsync();
    const usage = (cli as unknown as { getInternalMethods(): { getUsageInstance(): { hasCachedHelpMessage(): boolean } } }).getInternalMethods().getUsageInstance();
    expect({ exitCode: ctx.exitCode, cached: usage.hasCachedHelpMessage() }).to.deep.equal({ exitCode: 0, cached: false });
  });

  it('refuses an emulator port out of range with exit code 2', async () => {
    const ctx = context();
    await runCli(['emulator', '--port', '70000'], ctx);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.equal('Error [ERR_SETTING_INVALID]: --port must be a port number from 0 to 65535, got 70000.\nFix: pass e.g. --port 8787, or 0 for any free port.\n');
  });

  it('refuses cleanup without an org, naming the settings', async () => {
    const ctx = context();
    await runCli(['cleanup'], ctx);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('Error [ERR_SETTING_MISSING]: cleanup needs an org');
  });

  it('writes a key pair with keys, printing only the public half', async () => {
    const ctx = context();
    await runCli(['keys', '--out', 'k'], ctx);
    expect(ctx.exitCode).to.equal(0);
    const publicJwk = JSON.parse(ctx.out.text.split('\n').find((l) => l.startsWith('{'))!) as Record<string, unknown>;
    expect(Object.keys(publicJwk).sort()).to.deep.equal(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(ctx.out.text).to.not.match(/"d":/);
  });

  it('refuses to replace a key pair in --out without --force, exit code 2, leaving it as it was', async () => {
    const { readFileSync } = await import('node:fs');
    const ctx = context();
    await runCli(['keys', '--out', 'k'], ctx);
    const original = readFileSync(`${ctx.cwd}/k/private.jwk.json`, 'utf8');
    const again = { ...context(), cwd: ctx.cwd } as typeof ctx;
    await runCli(['keys', '--out', 'k'], again);
    expect(again.exitCode).to.equal(2);
    expect(again.err.text).to.equal(
      `Error [ERR_FILE_EXISTS]: --out ${ctx.cwd}/k already holds a key pair (private.jwk.json, public.jwk.json).\n` +
        'Fix: choose another --out folder, or pass --force to replace the key (an app registered with the old public key will no longer accept assertions signed by the new one).\n',
    );
    expect(readFileSync(`${ctx.cwd}/k/private.jwk.json`, 'utf8')).to.equal(original);
  });

  it('replaces a key pair in --out with --force', async () => {
    const { readFileSync } = await import('node:fs');
    const ctx = context();
    await runCli(['keys', '--out', 'k'], ctx);
    const original = readFileSync(`${ctx.cwd}/k/private.jwk.json`, 'utf8');
    await runCli(['keys', '--out', 'k', '--force'], ctx);
    expect(ctx.exitCode).to.equal(0);
    expect(readFileSync(`${ctx.cwd}/k/private.jwk.json`, 'utf8')).to.not.equal(original);
  });

  for (const command of ['env', 'cleanup']) {
    it(`says in ${command} --help that it needs an org or a standalone emulator, and offers no --emulator`, async () => {
      const help = await helpOf([command, '--help'], context());
      expect(help).to.contain("Required: the org URL, e.g. https://dev-123456.okta.com, or a standalone emulator's");
      expect(help).to.not.contain('--emulator');
      expect(help).to.not.contain('Unset: the embedded');
    });
  }

  it('says in cleanup --help which state files it takes', async () => {
    const help = await helpOf(['cleanup', '--help'], context());
    expect(help.replace(/\s+/g, ' ')).to.contain('A state file written by verify: <work dir>/state/<org host>.json, or the path a --keep run printed.');
  });

  it('says in env --help which key formats --key takes', async () => {
    const help = await helpOf(['env', '--help'], context());
    expect(help.replace(/\s+/g, ' ')).to.contain('a private JWK, a JWKS with one private key, or a PKCS#8 PEM');
  });

  it('mints an assertion into a 0600 file and never prints it', async () => {
    const ctx = context();
    await runCli(['keys', '--out', 'k'], ctx);
    await runCli(['assertion', '--client-id', '0oaaaboyxsbrWdsk81d6', '--key', 'k/private.jwk.json', '--org-url', 'https://dev-1.okta.com', '--out', 'a.jwt'], ctx);
    expect(ctx.exitCode).to.equal(0);
    const { readFileSync, statSync } = await import('node:fs');
    const jwt = readFileSync(`${ctx.cwd}/a.jwt`, 'utf8').trim();
    expect(jwt.split('.')).to.have.length(3);
    expect(statSync(`${ctx.cwd}/a.jwt`).mode & 0o777).to.equal(0o600);
    expect(ctx.out.text).to.not.contain(jwt);
  });

  it('sets clientId and a fresh clientAssertion in a Postman environment with assertion --environment', async () => {
    const { readFileSync } = await import('node:fs');
    const ctx = context({ OKTA_CLIENT_ORGURL: 'https://dev-1.okta.com', OKTA_CLIENT_TOKEN: TOKEN });
    await runCli(['keys', '--out', 'k'], ctx);
    await runCli(['env', '--key', 'k/private.jwk.json', '--out', 'e.json'], ctx);
    await runCli(['assertion', '--client-id', '0oaaaboyxsbrWdsk81d6', '--key', 'k/private.jwk.json', '--environment', 'e.json'], ctx);
    expect(ctx.exitCode).to.equal(0);
    const values = (JSON.parse(readFileSync(`${ctx.cwd}/e.json`, 'utf8')) as { values: Array<{ key: string; value: string }> }).values;
    const value = (key: string): string | undefined => values.find((v) => v.key === key)?.value;
    expect(value('clientId')).to.equal('0oaaaboyxsbrWdsk81d6');
    const claims = JSON.parse(Buffer.from(value('clientAssertion')!.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).to.deep.include({ iss: '0oaaaboyxsbrWdsk81d6', sub: '0oaaaboyxsbrWdsk81d6', aud: 'https://dev-1.okta.com/oauth2/v1/token' });
    expect(ctx.out.text).to.contain(`clientId and clientAssertion updated in ${ctx.cwd}/e.json.`);
  });

  it('writes a Postman environment with env, secrets typed secret, mode 0600, never printing the token', async () => {
    const ctx = context({ OKTA_CLIENT_ORGURL: 'https://dev-1.okta.com', OKTA_CLIENT_TOKEN: TOKEN });
    await runCli(['env', '--out', 'okta.postman_environment.json'], ctx);
    expect(ctx.exitCode).to.equal(0);
    const { readFileSync, statSync } = await import('node:fs');
    const file = `${ctx.cwd}/okta.postman_environment.json`;
    const env = JSON.parse(readFileSync(file, 'utf8')) as { values: Array<{ key: string; value: string; type: string }> };
    expect(env.values.find((v) => v.key === 'apikey')).to.deep.include({ value: TOKEN, type: 'secret' });
    expect(env.values.find((v) => v.key === 'url')).to.deep.include({ value: 'https://dev-1.okta.com', type: 'default' });
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(ctx.out.text + ctx.err.text).to.not.contain(TOKEN);
  });

  it('exits 3 with a please-report line, never 1, when a command throws an unexpected error', async () => {
    const ctx = context();
    await runCli(['verify'], ctx, {
      verify: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'id')");
      },
    });
    expect(ctx.exitCode).to.equal(3);
    expect(ctx.err.text).to.equal(
      "Error [ERR_UNEXPECTED]: okta-risk broke unexpectedly (TypeError: Cannot read properties of undefined (reading 'id')). This is a bug: please report it with the command you ran (leave out tokens and keys).\n",
    );
  });

  it('exits 2 from the real entry point on bad input', function () {
    this.timeout(30_000);
    const run = spawnSync(process.execPath, ['bin/okta-risk.js', 'verify', '--org-url', 'http://acme.okta.com', '--api-token', TOKEN], { encoding: 'utf8', timeout: 25_000 });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain('Error [ERR_ORG_URL_INVALID]: --org-url uses http:// to acme.okta.com; the API token would cross the network in clear text.');
  });
});
