/** `verify --flow ssf`'s settings: each rule, positive and negative, with the exact code, setting and text. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEFAULTS, EMULATOR_SUBJECT_EMAIL, resolveVerifySettings, type VerifyFlags } from '../../src/config/settings.ts';
import { harnessErrorOf } from '../helpers/errors.ts';

const TOKEN = '00abcdefghijklmnopqrstuvwxyz0123456789AB';
const REAL_ORG = { orgUrl: 'https://acme.okta.com', apiToken: TOKEN };
const LOOPBACK_ORG = { orgUrl: 'http://127.0.0.1:8787', apiToken: TOKEN };
const JWKS_URL = 'https://transmitter.example.com/.well-known/jwks.json';

function resolveWith(flags: VerifyFlags) {
  return resolveVerifySettings({ flags, env: {}, cwd: mkdtempSync(join(tmpdir(), 'ssf-settings-')) });
}

function failure(flags: VerifyFlags): { code: string; setting?: string; message: string; fix?: string; exitCode: number } {
  const error = harnessErrorOf(() => resolveWith(flags));
  return { code: error.code, setting: error.setting, message: error.message, fix: error.fix, exitCode: error.exitCode };
}

describe('verify --flow settings', () => {
  it('defaults to the Risk API flow, with no SSF settings', () => {
    const settings = resolveWith({});
    expect({ flow: settings.flow, ssf: settings.ssf }).to.deep.equal({ flow: 'risk', ssf: undefined });
  });

  it('refuses a flow it does not know, naming --flow, with exit code 2', () => {
    expect(failure({ flow: 'caep' })).to.deep.equal({
      code: 'ERR_SETTING_INVALID',
      setting: '--flow',
      message: '--flow must be one of risk, ssf; got "caep".',
      fix: "pass --flow risk (the Risk Providers and Risk Events APIs, the default) or --flow ssf (Okta's Shared Signals receiver, their successor).",
      exitCode: 2,
    });
  });

  it('takes the Risk API flow with none of the SSF-only flags', () => {
    expect(resolveWith({ key: 'key.json', action: 'log_only' }).flow).to.equal('risk');
  });

  for (const [flags, flag] of [
    [{ jwksUrl: JWKS_URL }, '--jwks-url'],
    [{ subjectEmail: 'test.user@acme.com' }, '--subject-email'],
    [{ flow: 'risk', jwksUrl: JWKS_URL }, '--jwks-url'],
  ] as const) {
    it(`refuses ${flag} with the Risk API flow (${JSON.stringify(flags)}) rather than ignoring it, with exit code 2`, () => {
      expect(failure(flags)).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        setting: flag,
        message: `${flag} applies to --flow ssf, not to the Risk API flow.`,
        fix: `add --flow ssf to verify Okta's SSF receiver, or leave ${flag} out.`,
        exitCode: 2,
      });
    });
  }

  describe('with --flow ssf', () => {
    it('takes the emulator with no other setting: its super admin as the subject, a loopback JWKS', () => {
      const settings = resolveWith({ flow: 'ssf' });
      expect({ flow: settings.flow, ssf: settings.ssf, target: settings.target }).to.deep.equal({ flow: 'ssf', ssf: { subjectEmail: EMULATOR_SUBJECT_EMAIL }, target: { kind: 'emulator' } });
    });

    it('takes --events, the file of the SETs’ events, resolved against the working folder', () => {
      const settings = resolveWith({ flow: 'ssf', events: 'sets.json' });
      expect(settings.eventsFile?.endsWith('/sets.json')).to.equal(true);
    });

    it('takes a standalone emulator on loopback with no --jwks-url or --subject-email', () => {
      expect(resolveWith({ flow: 'ssf', ...LOOPBACK_ORG }).ssf).to.deep.equal({ subjectEmail: EMULATOR_SUBJECT_EMAIL });
    });

    it('names the provider okta-risk-harness SSF transmitter by default', () => {
      expect(resolveWith({ flow: 'ssf' }).providerName).to.equal(DEFAULTS.ssfProviderName);
    });

    it('takes a --provider-name of 100 characters, a Security Events Provider’s limit', () => {
      expect(resolveWith({ flow: 'ssf', providerName: 'n'.repeat(100) }).providerName).to.have.length(100);
    });

    it('refuses a --provider-name of 101 characters', () => {
      expect(failure({ flow: 'ssf', providerName: 'n'.repeat(101) })).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        setting: '--provider-name',
        message: "--provider-name must be 1 to 100 characters with no quotes, backslashes or control characters (Okta's limit is 100).",
        fix: 'choose a name such as "okta-risk-harness SSF transmitter".',
        exitCode: 2,
      });
    });

    it('keeps a --provider-name that is given', () => {
      expect(resolveWith({ flow: 'ssf', providerName: 'Acme transmitter' }).providerName).to.equal('Acme transmitter');
    });

    it('takes a real org with --jwks-url, --key and --subject-email', () => {
      const settings = resolveWith({ flow: 'ssf', ...REAL_ORG, jwksUrl: JWKS_URL, key: 'key.json', subjectEmail: 'test.user@acme.com' });
      expect(settings.ssf).to.deep.equal({ jwksUrl: JWKS_URL, subjectEmail: 'test.user@acme.com' });
    });

    it('needs --jwks-url against a real org', () => {
      expect(failure({ flow: 'ssf', ...REAL_ORG, subjectEmail: 'test.user@acme.com' })).to.deep.equal({
        code: 'ERR_SETTING_MISSING',
        setting: '--jwks-url',
        message: "--flow ssf against https://acme.okta.com needs --jwks-url: the org fetches the run's public key from Okta's cloud, so it must be published at a public https URL.",
        fix: 'publish {"keys": [<public JWK>]} (okta-risk keys --out <folder> writes public.jwk.json) at a public https URL served as application/json, then pass --jwks-url <that URL> --key <folder>/private.jwk.json.',
        exitCode: 2,
      });
    });

    it('needs --key with --jwks-url', () => {
      expect(failure({ flow: 'ssf', ...REAL_ORG, jwksUrl: JWKS_URL, subjectEmail: 'test.user@acme.com' })).to.deep.equal({
        code: 'ERR_SETTING_MISSING',
        setting: '--key',
        message: '--jwks-url needs --key: the SETs must be signed with the private half of the key that URL publishes, and a fresh key is published nowhere.',
        fix: 'pass --key with the private key whose public JWK the --jwks-url JWKS holds.',
        exitCode: 2,
      });
    });

    it('needs --subject-email against a real org', () => {
      expect(failure({ flow: 'ssf', ...REAL_ORG, jwksUrl: JWKS_URL, key: 'key.json' })).to.deep.equal({
        code: 'ERR_SETTING_MISSING',
        setting: '--subject-email',
        message: '--flow ssf against https://acme.okta.com needs --subject-email: the SETs must name a user of the org by sign-in email, or Okta drops them without a trace.',
        fix: 'pass --subject-email with the sign-in email of a test user of that org (the SETs report a low risk for it, then none again).',
        exitCode: 2,
      });
    });

    it('refuses a --subject-email that is no sign-in email', () => {
      expect(failure({ flow: 'ssf', subjectEmail: 'jane.doe' })).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        setting: '--subject-email',
        message: '--subject-email must be a sign-in email such as jane.doe@example.com; got "jane.doe".',
        fix: 'pass the sign-in email (login) of a user of the org.',
        exitCode: 2,
      });
    });

    it('refuses a --subject-email with a quote, which would break the SET and the log filter', () => {
      expect(failure({ flow: 'ssf', subjectEmail: 'jane"doe@example.com' }).message).to.equal('--subject-email must be a sign-in email such as jane.doe@example.com; got "jane"doe@example.com".');
    });

    it('refuses a --jwks-url wrapped in quotes', () => {
      expect(failure({ flow: 'ssf', ...REAL_ORG, jwksUrl: `"${JWKS_URL}"`, key: 'key.json', subjectEmail: 'test.user@acme.com' })).to.include({ setting: '--jwks-url', message: '--jwks-url is wrapped in quotes.' });
    });

    it('refuses --keep, which the SSF flow does not offer yet', () => {
      expect(failure({ flow: 'ssf', ...LOOPBACK_ORG, keep: true })).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        setting: '--keep',
        message: '--keep is not offered with --flow ssf yet: the SETs a run pushes are spent (each jti once), and Postman cannot mint new ones.',
        fix: "leave --keep out with --flow ssf; to go on in the Postman app, write the SSF collection's environment with okta-risk env --flow ssf (the collection registers and deletes a provider of its own, and env signs the SET Postman cannot).",
        exitCode: 2,
      });
    });

    for (const [flags, flag] of [
      [{ action: 'log_only' }, '--action'],
      [{ providerId: 'rkp123' }, '--provider-id'],
      [{ force: true }, '--force'],
      [{ dpop: true }, '--dpop'],
    ] as const) {
      it(`refuses ${flag}, a setting of the Risk API flow`, () => {
        expect(failure({ flow: 'ssf', ...flags })).to.deep.equal({
          code: 'ERR_SETTING_INVALID',
          setting: flag,
          message: `${flag} applies to the Risk API flow, not to --flow ssf.`,
          fix: `leave ${flag} out with --flow ssf (the SSF flow registers a provider of its own and pushes its own SETs), or drop --flow ssf.`,
          exitCode: 2,
        });
      });
    }
  });
});
