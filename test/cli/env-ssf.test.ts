/**
 * `okta-risk env --flow ssf`, in process through the real command line: the SSF receiver collection's
 * environment, its file (0600, git-ignored folder, nothing in it the user did not give or env derived from
 * that), what it prints (never the token or the SET), and each bad input's exit code 2 and message. The JWKS is
 * served on loopback; the org URL is a loopback one, which env never calls.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { runCli } from '../../src/cli.ts';
import type { CommandContext } from '../../src/commands/context.ts';
import { SSF_VARIABLE_NAMES } from '../../src/collection/ssf-collection.ts';
import { DEFAULTS, EMULATOR_SUBJECT_EMAIL } from '../../src/config/settings.ts';
import { POSTMAN_SET_REASON } from '../../src/environment/prepare-ssf-environment.ts';
import { generateProviderKeyPair, writeKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { serveJwks, type JwksServer } from '../../src/ssf/jwks-server.ts';
import { USER_RISK_CHANGE } from '../../src/ssf/signal-events.ts';
import { helpOf } from '../helpers/help.ts';
import { sink, tmp, type Sink } from '../integration/harness.ts';

const TOKEN = '00abcdefghijklmnopqrstuvwxyz0123456789AB';
const ORG_URL = 'http://127.0.0.1:9';

type EnvFile = { id: string; name: string; values: Array<{ key: string; value: string; type: string; enabled: boolean }> };

function context(): CommandContext & { out: Sink; err: Sink } {
  return { cwd: tmp('env-ssf'), env: {}, out: sink(), err: sink(), exitCode: 0, signal: new AbortController().signal } as CommandContext & { out: Sink; err: Sink };
}

describe('okta-risk env --flow ssf', () => {
  let keys: ProviderKeyPair;
  let jwks: JwksServer;
  let otherJwks: JwksServer;
  let keyDir: string;

  before(async () => {
    keys = await generateProviderKeyPair();
    keyDir = tmp('env-ssf-key');
    await writeKeyPair(keyDir, keys);
    jwks = await serveJwks({ keys: [keys.publicJwk] });
    otherJwks = await serveJwks({ keys: [(await generateProviderKeyPair()).publicJwk] });
  });
  after(async () => {
    await jwks.close();
    await otherJwks.close();
  });

  /** Runs env --flow ssf against the loopback org with the key and JWKS above, plus `extra`. */
  async function env(extra: string[] = [], base = ['--org-url', ORG_URL, '--api-token', TOKEN, '--key', join(keyDir, 'private.jwk.json'), '--jwks-url', jwks.jwksUrl]) {
    const ctx = context();
    await runCli(['env', '--flow', 'ssf', ...base, ...extra], ctx);
    return ctx;
  }
  const defaultFile = (ctx: CommandContext): string => join(ctx.cwd, DEFAULTS.workDir, 'postman', '127.0.0.1_9.ssf.postman_environment.json');
  const read = (file: string): EnvFile => JSON.parse(readFileSync(file, 'utf8')) as EnvFile;

  describe('writes', () => {
    it('the SSF receiver environment, exit code 0, into the git-ignored work folder by default', async () => {
      const ctx = await env();
      expect(ctx.exitCode, ctx.err.text).to.equal(0);
      expect(read(defaultFile(ctx)).values.map((v) => v.key)).to.deep.equal([...SSF_VARIABLE_NAMES]);
      expect(readFileSync(join(process.cwd(), '.gitignore'), 'utf8').split('\n')).to.include(`${DEFAULTS.workDir}/`);
    });

    it('the file with mode 0600', async () => {
      const ctx = await env();
      expect(statSync(defaultFile(ctx)).mode & 0o777).to.equal(0o600);
    });

    it('to --out when given, also 0600', async () => {
      const ctx = await env(['--out', 'ssf.json']);
      expect(statSync(join(ctx.cwd, 'ssf.json')).mode & 0o777).to.equal(0o600);
    });

    it('no value the user did not give: each is a flag, its default, or derived from them', async () => {
      const ctx = await env(['--subject-email', 'test.user@example.com', '--provider-name', 'Acme transmitter']);
      const values = Object.fromEntries(read(defaultFile(ctx)).values.map((v) => [v.key, v.value]));
      const { securityEventToken, runStartedAt, ...rest } = values;
      expect(rest).to.deep.equal({
        url: ORG_URL,
        apikey: TOKEN,
        providerName: 'Acme transmitter',
        providerType: 'okta-risk-harness',
        issuer: `${jwks.url}/okta-risk-harness/postman-${keys.kid}`,
        jwksUrl: jwks.jwksUrl,
        providerId: '',
        setsLeft: '',
        subjectEmail: 'test.user@example.com',
        expectedEventCount: '1',
        logPollAttempts: String(DEFAULTS.logPollAttempts),
        logPollIntervalMs: String(DEFAULTS.logPollIntervalMs),
        retryOnRateLimit: 'false',
      });
      expect(Date.now() - Date.parse(runStartedAt!)).to.be.within(0, 60_000);
      // The one secret env makes: a SET signed with the user's key, about the user's subject.
      const { payload } = await compactVerify(securityEventToken!, await importJWK(keys.publicJwk, 'RS256'));
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      expect(claims).to.deep.include({ iss: rest.issuer, aud: ORG_URL });
      expect(claims.events).to.deep.equal({
        [USER_RISK_CHANGE]: {
          event_timestamp: claims.iat,
          subject: { user: { format: 'email', email: 'test.user@example.com' } },
          current_level: 'low',
          previous_level: 'none',
          initiating_entity: 'system',
          reason_admin: { en: POSTMAN_SET_REASON },
        },
      });
      expect(decodeProtectedHeader(securityEventToken!)).to.deep.equal({ alg: 'RS256', kid: keys.kid, typ: 'secevent+jwt' });
    });

    it('no private key member', async () => {
      const text = readFileSync(defaultFile(await env()), 'utf8');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) expect(text, member).to.not.contain(String(keys.privateJwk[member]));
    });

    it('apikey and securityEventToken typed secret, every other variable default', async () => {
      const values = read(defaultFile(await env())).values;
      expect(values.filter((v) => v.type === 'secret').map((v) => v.key)).to.deep.equal(['apikey', 'securityEventToken']);
      expect(values.filter((v) => v.type !== 'secret').every((v) => v.type === 'default')).to.equal(true);
    });

    it("the emulator's admin as the subject for an org on this machine when --subject-email is not given", async () => {
      const values = read(defaultFile(await env())).values;
      expect(values.find((v) => v.key === 'subjectEmail')?.value).to.equal(EMULATOR_SUBJECT_EMAIL);
    });
  });

  describe('prints', () => {
    it('where the file is, the issuer and how long the SET lasts, and never the token or the SET', async () => {
      const ctx = await env();
      const set = read(defaultFile(ctx)).values.find((v) => v.key === 'securityEventToken')!.value;
      expect(ctx.out.text).to.equal(
        `Postman environment written to ${defaultFile(ctx)} (mode 0600; it holds your API token and a signed SET: never commit or share it).\n` +
          'Import it and collections/okta-ssf-receiver.postman_collection.json into Postman, then run the folders in order.\n' +
          `The provider's issuer is ${jwks.url}/okta-risk-harness/postman-${keys.kid}. securityEventToken is one SET about ${EMULATOR_SUBJECT_EMAIL} (risk none → low): push it within 5 minutes, once (its jti is spent); run env again for a fresh one.\n`,
      );
      expect(ctx.out.text + ctx.err.text).to.not.contain(TOKEN);
      expect(ctx.out.text + ctx.err.text).to.not.contain(set.split('.')[2]!);
    });
  });

  describe('refuses, exit code 2, writing nothing', () => {
    it('no --jwks-url', async () => {
      const ctx = await env([], ['--org-url', ORG_URL, '--api-token', TOKEN, '--key', join(keyDir, 'private.jwk.json')]);
      expect(ctx.exitCode).to.equal(2);
      expect(ctx.err.text).to.match(/^Error \[ERR_SETTING_MISSING\]: env --flow ssf needs --jwks-url: /);
      expect(() => statSync(defaultFile(ctx))).to.throw(/ENOENT/);
    });

    it('a --jwks-url that does not serve the public half of --key, naming --jwks-url', async () => {
      const ctx = await env([], ['--org-url', ORG_URL, '--api-token', TOKEN, '--key', join(keyDir, 'private.jwk.json'), '--jwks-url', otherJwks.jwksUrl]);
      expect(ctx.exitCode).to.equal(2);
      expect(ctx.err.text).to.contain(`Error [ERR_SETTING_INVALID]: --jwks-url ${otherJwks.jwksUrl} has no key with kid ${keys.kid} (the key of --key)`);
      expect(() => statSync(defaultFile(ctx))).to.throw(/ENOENT/);
    });

    it('an EC --key: Okta takes RS256 SETs only', async () => {
      const ctx = context();
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      writeFileSync(join(ctx.cwd, 'ec.jwk.json'), JSON.stringify(ec), { mode: 0o600 });
      await runCli(['env', '--flow', 'ssf', '--org-url', ORG_URL, '--api-token', TOKEN, '--key', 'ec.jwk.json', '--jwks-url', jwks.jwksUrl], ctx);
      expect(ctx.exitCode).to.equal(2);
      expect(ctx.err.text).to.equal(
        `Error [ERR_KEY_INVALID]: The key file ${join(ctx.cwd, 'ec.jwk.json')} given by --key is an ES256 key; Okta's SSF receiver takes SETs signed with RS256 only.\n` +
          "Fix: give --key an RSA private key (2048 bits or more) whose JWK says alg RS256 or no alg, and publish its public JWK in the provider's JWKS.\n",
      );
    });

    it('--client-id, a setting of the Risk API environment', async () => {
      const ctx = await env(['--client-id', '0oaaaboyxsbrWdsk81d6']);
      expect(ctx.exitCode).to.equal(2);
      expect(ctx.err.text).to.match(/^Error \[ERR_SETTING_INVALID\]: --client-id applies to the Risk API flow, not to --flow ssf\./);
    });

    it('a --flow other than risk or ssf', async () => {
      const ctx = context();
      await runCli(['env', '--flow', 'caep', '--org-url', ORG_URL, '--api-token', TOKEN], ctx);
      expect(ctx.exitCode).to.equal(2);
      expect(ctx.err.text).to.contain('Invalid values:');
      expect(ctx.err.text).to.contain('Argument: flow, Given: "caep", Choices: "risk", "ssf"');
    });

    it('--jwks-url without --flow ssf', async () => {
      const ctx = context();
      await runCli(['env', '--org-url', ORG_URL, '--api-token', TOKEN, '--jwks-url', jwks.jwksUrl], ctx);
      expect(ctx.exitCode).to.equal(2);
      expect(ctx.err.text).to.match(/^Error \[ERR_SETTING_INVALID\]: --jwks-url applies to --flow ssf, not to the Risk API flow\./);
    });
  });

  it('still writes the Risk API environment without --flow', async () => {
    const ctx = context();
    await runCli(['env', '--org-url', ORG_URL, '--api-token', TOKEN, '--key', join(keyDir, 'private.jwk.json')], ctx);
    expect(ctx.exitCode, ctx.err.text).to.equal(0);
    expect(read(join(ctx.cwd, DEFAULTS.workDir, 'postman', '127.0.0.1_9.postman_environment.json')).values.map((v) => v.key)).to.include('riskEvents');
  });

  it('shows an --flow ssf example in env --help', async () => {
    const help = await helpOf(['env', '--help'], context());
    const examples = help.slice(help.indexOf('Examples:'));
    expect(examples).to.contain('okta-risk env --flow ssf --key keys/private.jwk.json');
    expect(examples).to.contain('https://transmitter.example.com/.well-known/jwks.json');
    expect(examples).to.contain('For the SSF receiver collection: issuer, JWKS URL');
  });
});
