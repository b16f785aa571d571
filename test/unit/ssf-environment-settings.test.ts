/**
 * `env --flow ssf`'s settings (`resolveSsfEnvironmentSettings`; `--flow` itself is verify's, tested in
 * ssf-settings.test.ts) and the SSF-only flags the Risk API environment refuses: each rule, positive and
 * negative, with the exact code, setting, text and exit code.
 */
import { expect } from 'chai';
import {
  DEFAULTS,
  EMULATOR_SUBJECT_EMAIL,
  refuseSsfOnlyFlags,
  resolveSsfEnvironmentSettings,
  type Target,
  type VerifyFlags,
} from '../../src/config/settings.ts';
import { harnessErrorOf } from '../helpers/errors.ts';

const TOKEN = '00abcdefghijklmnopqrstuvwxyz0123456789AB';
const REAL_ORG: Extract<Target, { kind: 'org' }> = { kind: 'org', orgUrl: 'https://acme.okta.com', apiToken: TOKEN };
const LOOPBACK_ORG: Extract<Target, { kind: 'org' }> = { kind: 'org', orgUrl: 'http://127.0.0.1:8787', apiToken: TOKEN };
const JWKS_URL = 'https://transmitter.example.com/.well-known/jwks.json';
const CWD = '/work/example';
/** Everything a real org needs. */
const COMPLETE = { jwksUrl: JWKS_URL, key: 'keys/private.jwk.json', subjectEmail: 'test.user@acme.com' };

type Failure = { code: string; setting?: string; message: string; fix?: string; exitCode: number };

function failureOf(fn: () => unknown): Failure {
  const error = harnessErrorOf(fn);
  return { code: error.code, setting: error.setting, message: error.message, fix: error.fix, exitCode: error.exitCode };
}

const resolveWith = (flags: VerifyFlags & { clientId?: string }, target = REAL_ORG) => resolveSsfEnvironmentSettings(flags, target, CWD);
const failure = (flags: VerifyFlags & { clientId?: string }, target = REAL_ORG): Failure => failureOf(() => resolveWith(flags, target));

describe('env --flow ssf settings', () => {
  it('takes the JWKS URL, the key (from the working folder), the subject and the default SSF provider name', () => {
    expect(resolveWith(COMPLETE)).to.deep.equal({
      target: REAL_ORG,
      providerName: DEFAULTS.ssfProviderName,
      jwksUrl: JWKS_URL,
      keyFile: '/work/example/keys/private.jwk.json',
      subjectEmail: 'test.user@acme.com',
    });
  });

  it('needs --jwks-url even for an org on this machine: env serves no JWKS once it has written the file', () => {
    expect(failure({ key: 'k.json' }, LOOPBACK_ORG)).to.deep.equal({
      code: 'ERR_SETTING_MISSING',
      setting: '--jwks-url',
      message: "env --flow ssf needs --jwks-url: the org fetches the transmitter's public key from that URL when a SET arrives, and env serves nothing once it has written the file.",
      fix: 'publish {"keys": [<public JWK>]} (okta-risk keys --out <folder> writes public.jwk.json) at a public https URL served as application/json, then pass --jwks-url <that URL> --key <folder>/private.jwk.json.',
      exitCode: 2,
    });
  });

  it('needs --key with --jwks-url: the SET is signed with the key that URL publishes', () => {
    expect(failure({ jwksUrl: JWKS_URL, subjectEmail: 'test.user@acme.com' })).to.deep.equal({
      code: 'ERR_SETTING_MISSING',
      setting: '--key',
      message: '--jwks-url needs --key: the SETs must be signed with the private half of the key that URL publishes, and a fresh key is published nowhere.',
      fix: 'pass --key with the private key whose public JWK the --jwks-url JWKS holds.',
      exitCode: 2,
    });
  });

  it('refuses a --jwks-url with a control character, naming it', () => {
    const error = failure({ ...COMPLETE, jwksUrl: `${JWKS_URL}\n` });
    expect([error.code, error.setting, error.exitCode]).to.deep.equal(['ERR_SETTING_INVALID', '--jwks-url', 2]);
  });

  it('needs --subject-email against a real org, saying what the SET reports', () => {
    expect(failure({ jwksUrl: JWKS_URL, key: 'k.json' })).to.deep.equal({
      code: 'ERR_SETTING_MISSING',
      setting: '--subject-email',
      message: '--flow ssf against https://acme.okta.com needs --subject-email: the SETs must name a user of the org by sign-in email, or Okta drops them without a trace.',
      fix: 'pass --subject-email with the sign-in email of a test user of that org (the SET reports a low risk for it).',
      exitCode: 2,
    });
  });

  it('defaults --subject-email to the emulator\'s admin for an org on this machine', () => {
    expect(resolveWith({ jwksUrl: 'http://127.0.0.1:9000/jwks.json', key: 'k.json' }, LOOPBACK_ORG).subjectEmail).to.equal(EMULATOR_SUBJECT_EMAIL);
  });

  it('refuses a --subject-email that is not a sign-in email', () => {
    expect(failure({ ...COMPLETE, subjectEmail: 'test user' })).to.deep.equal({
      code: 'ERR_SETTING_INVALID',
      setting: '--subject-email',
      message: '--subject-email must be a sign-in email such as jane.doe@example.com; got "test user".',
      fix: 'pass the sign-in email (login) of a user of the org.',
      exitCode: 2,
    });
  });

  it('takes a --provider-name of 100 characters, Okta\'s limit for a Security Events Provider', () => {
    expect(resolveWith({ ...COMPLETE, providerName: 'n'.repeat(100) }).providerName).to.equal('n'.repeat(100));
  });

  it('refuses a --provider-name of 101 characters, naming it', () => {
    const error = failure({ ...COMPLETE, providerName: 'n'.repeat(101) });
    expect([error.code, error.setting, error.message, error.exitCode]).to.deep.equal([
      'ERR_SETTING_INVALID',
      '--provider-name',
      "--provider-name must be 1 to 100 characters with no quotes, backslashes or control characters (Okta's limit is 100).",
      2,
    ]);
  });

  it('refuses --events: env signs the one SET of its own', () => {
    expect(failure({ ...COMPLETE, events: 'events.json' })).to.deep.equal({
      code: 'ERR_SETTING_INVALID',
      setting: '--events',
      message: '--events applies to verify, not to env --flow ssf: env signs the one SET the environment holds, a user-risk-change about --subject-email.',
      fix: 'leave --events out; to push the events of a file, run okta-risk verify --flow ssf --events <file>.',
      exitCode: 2,
    });
  });

  for (const [flags, flag] of [
    [{ action: 'log_only' }, '--action'],
    [{ clientId: '0oaaaboyxsbrWdsk81d6' }, '--client-id'],
  ] as const) {
    it(`refuses ${flag}, a setting of the Risk API environment`, () => {
      expect(failure({ ...COMPLETE, ...flags })).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        setting: flag,
        message: `${flag} applies to the Risk API flow, not to --flow ssf.`,
        fix: `leave ${flag} out with --flow ssf (the SSF flow registers a provider of its own and pushes its own SETs), or drop --flow ssf.`,
        exitCode: 2,
      });
    });
  }
});

describe('env --flow risk and the SSF-only flags', () => {
  it('takes none of them', () => {
    expect(() => refuseSsfOnlyFlags({ key: 'k.json', action: 'log_only' })).to.not.throw();
  });

  for (const [flags, flag] of [
    [{ jwksUrl: JWKS_URL }, '--jwks-url'],
    [{ subjectEmail: 'test.user@acme.com' }, '--subject-email'],
  ] as const) {
    it(`refuses ${flag}, a setting of the SSF receiver environment`, () => {
      expect(failureOf(() => refuseSsfOnlyFlags(flags))).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        setting: flag,
        message: `${flag} applies to --flow ssf, not to the Risk API flow.`,
        fix: `add --flow ssf to render the SSF receiver collection's environment, or leave ${flag} out.`,
        exitCode: 2,
      });
    });
  }
});
