import { join } from 'node:path';
import { expect } from 'chai';
import { resolveSendSettings, type SendFlags } from '../../src/config/send-settings.ts';
import { HarnessError } from '../../src/errors.ts';
import { tmp } from '../integration/harness.ts';

const ORG = 'https://dev-123456.okta.com';
const ISSUER = 'https://transmitter.example.com';

function settings(flags: SendFlags, env: Record<string, string> = {}) {
  const cwd = tmp('ssf-settings');
  return resolveSendSettings({ flags: { workDir: join(cwd, '.runs'), ...flags }, env, cwd });
}

function refusal(flags: SendFlags, env: Record<string, string> = {}): HarnessError {
  try {
    settings(flags, env);
  } catch (error) {
    expect(error).to.be.instanceOf(HarnessError);
    return error as HarnessError;
  }
  throw new Error('the settings were accepted');
}

const toOrg: SendFlags = { via: 'ssf', orgUrl: ORG, issuer: ISSUER, key: 'transmitter.jwk.json', subjectEmail: 'jane.doe@example.com' };

describe('send --via ssf settings', () => {
  it('keeps the Risk Events API as the default', () => {
    const s = settings({});
    expect(s.via).to.equal('risk');
    expect(s.ssf).to.equal(undefined);
  });

  it('takes an org, an issuer, a key and a user for --via ssf, with no client id', () => {
    const s = settings(toOrg);
    expect(s.via).to.equal('ssf');
    expect(s.ssf).to.deep.equal({ issuer: ISSUER, subjectEmail: 'jane.doe@example.com' });
    expect(s.target).to.include({ kind: 'org', orgUrl: ORG });
  });

  it('refuses an unknown --via, naming the setting and the choices', () => {
    const error = refusal({ via: 'scim' });
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.setting).to.equal('--via');
    expect(error.message).to.equal('--via must be one of risk, ssf; got "scim".');
    expect(error.exitCode).to.equal(2);
  });

  it('refuses --client-id with --via ssf: a SET carries no access token', () => {
    const error = refusal({ ...toOrg, clientId: '0oa1' });
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.setting).to.equal('--client-id');
    expect(error.message).to.equal('--client-id applies to --via risk: a Security Event Token carries no access token, so --via ssf uses no service app.');
  });

  it('does not read a client id from the environment with --via ssf', () => {
    expect(settings({ via: 'ssf' }, { OKTA_CLIENT_CLIENTID: '0oa1' }).target).to.deep.equal({ kind: 'emulator' });
  });

  it('refuses --postman-data with --via ssf: Postman cannot sign SETs', () => {
    const error = refusal({ ...toOrg, postmanData: 'data.json' });
    expect(error.setting).to.equal('--postman-data');
    expect(error.message).to.equal('--postman-data applies to --via risk: the Postman app cannot sign Security Event Tokens.');
  });

  it('refuses --dpop with --via ssf: a SET carries no access token to bind', () => {
    const error = refusal({ ...toOrg, dpop: true });
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.setting).to.equal('--dpop');
    expect(error.message).to.equal('--dpop applies to --via risk: a Security Event Token carries no access token, so there is nothing to bind to a DPoP key.');
    expect(error.exitCode).to.equal(2);
  });

  it('takes --dpop with the Risk Events API', () => {
    expect(settings({ dpop: true }).dpop).to.equal(true);
    expect(settings({}).dpop).to.equal(false);
  });

  it('needs --issuer to send to an org', () => {
    const error = refusal({ ...toOrg, issuer: undefined });
    expect(error.code).to.equal('ERR_SETTING_MISSING');
    expect(error.setting).to.equal('--issuer');
    expect(error.message).to.equal(`No issuer for --via ssf to ${ORG}.`);
    expect(error.exitCode).to.equal(2);
  });

  it('reads the issuer from OKTA_SSF_ISSUER', () => {
    expect(settings({ ...toOrg, issuer: undefined }, { OKTA_SSF_ISSUER: ISSUER }).ssf?.issuer).to.equal(ISSUER);
  });

  it('needs --key to send to an org', () => {
    const error = refusal({ ...toOrg, key: undefined });
    expect(error.code).to.equal('ERR_SETTING_MISSING');
    expect(error.setting).to.equal('--key');
    expect(error.message).to.equal(`No private key to sign the Security Event Tokens for ${ORG}.`);
  });

  it('takes an org with no --subject-email: then every signal names its user (email)', () => {
    expect(settings({ ...toOrg, subjectEmail: undefined }).ssf).to.deep.equal({ issuer: ISSUER });
  });

  it('reads the user from OKTA_SSF_SUBJECT_EMAIL', () => {
    expect(settings({ ...toOrg, subjectEmail: undefined }, { OKTA_SSF_SUBJECT_EMAIL: 'sam@example.com' }).ssf?.subjectEmail).to.equal('sam@example.com');
  });

  it('plans a dry run to an org with no issuer, key or user', () => {
    const s = settings({ via: 'ssf', orgUrl: ORG, dryRun: true });
    expect(s.ssf).to.deep.equal({});
  });

  it('refuses a --subject-email that is not an email', () => {
    const error = refusal({ ...toOrg, subjectEmail: 'jane' });
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.setting).to.equal('--subject-email');
    expect(error.message).to.equal('--subject-email must be a sign-in email such as jane.doe@example.com; got "jane".');
  });

  it('takes an issuer of 700 characters, Okta\'s limit', () => {
    const issuer = `https://t.example.com/${'a'.repeat(700 - 22)}`;
    expect(settings({ ...toOrg, issuer }).ssf?.issuer).to.have.length(700);
  });

  it('refuses an issuer over 700 characters', () => {
    const error = refusal({ ...toOrg, issuer: `https://t.example.com/${'a'.repeat(701 - 22)}` });
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.setting).to.equal('--issuer');
    expect(error.message).to.equal("--issuer is 701 characters; Okta's providers hold an issuer of at most 700.");
  });

  it('refuses --issuer with the embedded emulator, which registers the run\'s own', () => {
    const error = refusal({ via: 'ssf', issuer: ISSUER });
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.setting).to.equal('--issuer');
  });

  it('names the super admin as the user on the embedded emulator by default', () => {
    expect(settings({ via: 'ssf' }).ssf).to.deep.equal({ subjectEmail: 'admin@example.com' });
  });

  it('lets the embedded emulator take 600 SETs a minute by default, and the Risk Events API 3 calls', () => {
    expect(settings({ via: 'ssf' }).eventsRateLimit).to.equal(600);
    expect(settings({}).eventsRateLimit).to.equal(3);
  });
});
