import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { harnessErrorOf } from '../helpers/errors.ts';
import { checkApiToken, checkOrgUrl, isLoopbackHost } from '../../src/config/org-url.ts';
import { DEFAULTS, resolveVerifySettings, type VerifyFlags } from '../../src/config/settings.ts';

const fails = harnessErrorOf;

const TOKEN = '00abcdefghijklmnopqrstuvwxyz0123456789AB';

function resolveWith(flags: VerifyFlags, env: Record<string, string> = {}, cwd = mkdtempSync(join(tmpdir(), 'settings-'))) {
  return resolveVerifySettings({ flags, env, cwd });
}

describe('org URL checks (the guide\'s troubleshooting tips)', () => {
  it('accepts an https org URL and returns it unchanged', () => {
    expect(checkOrgUrl('https://dev-123456.okta.com', '--org-url')).to.equal('https://dev-123456.okta.com');
  });

  it('refuses the admin URL and names the org URL to use instead', () => {
    const error = fails(() => checkOrgUrl('https://demo-org-admin.oktapreview.com', '--org-url'));
    expect(error.code).to.equal('ERR_ORG_URL_INVALID');
    expect(error.message).to.equal('--org-url is the Admin Console URL (demo-org-admin.oktapreview.com), not the org URL.');
    expect(error.fix).to.equal('use the org URL without "-admin": https://demo-org.oktapreview.com');
    expect(error.exitCode).to.equal(2);
  });

  it('refuses a trailing slash and shows the URL without it', () => {
    const error = fails(() => checkOrgUrl('https://demo-org.oktapreview.com/', 'OKTA_CLIENT_ORGURL'));
    expect(error.message).to.equal('OKTA_CLIENT_ORGURL ends with a slash.');
    expect(error.fix).to.equal('remove the trailing slash: https://demo-org.oktapreview.com');
  });

  it('refuses double quotes around the value', () => {
    const error = fails(() => checkOrgUrl('"https://demo-org.oktapreview.com"', '--org-url'));
    expect(error.code).to.equal('ERR_SETTING_INVALID');
    expect(error.message).to.equal('--org-url is wrapped in quotes.');
  });

  it('refuses single quotes around the value', () => {
    expect(fails(() => checkOrgUrl("'https://demo-org.oktapreview.com'", '--org-url')).message).to.equal('--org-url is wrapped in quotes.');
  });

  it('refuses leading or trailing spaces', () => {
    const error = fails(() => checkOrgUrl(' https://demo-org.oktapreview.com', '--org-url'));
    expect(error.message).to.equal('--org-url has spaces or line breaks around its value.');
    expect(fails(() => checkOrgUrl('https://demo-org.oktapreview.com\n', '--org-url')).message).to.equal('--org-url has spaces or line breaks around its value.');
  });

  it('refuses plain http to a host that is not loopback', () => {
    const error = fails(() => checkOrgUrl('http://demo-org.oktapreview.com', '--org-url'));
    expect(error.message).to.equal('--org-url uses http:// to demo-org.oktapreview.com; the API token would cross the network in clear text.');
    expect(error.fix).to.equal('use https://demo-org.oktapreview.com (plain http is allowed only to loopback, e.g. a local emulator).');
  });

  it('accepts plain http to loopback (a local emulator)', () => {
    expect(checkOrgUrl('http://127.0.0.1:8787', '--org-url')).to.equal('http://127.0.0.1:8787');
    expect(checkOrgUrl('http://localhost:8787', '--org-url')).to.equal('http://localhost:8787');
    expect(checkOrgUrl('http://[::1]:8787', '--org-url')).to.equal('http://[::1]:8787');
  });

  it('refuses something that is not a URL', () => {
    expect(fails(() => checkOrgUrl('demo-org.oktapreview.com', '--org-url')).message).to.equal('--org-url is not a URL: demo-org.oktapreview.com');
  });

  it('refuses the {yourOktaDomain} placeholder', () => {
    expect(fails(() => checkOrgUrl('https://{yourOktaDomain}', '--org-url')).message).to.equal('--org-url still holds the placeholder {yourOktaDomain}.');
  });

  it('refuses a path after the host', () => {
    expect(fails(() => checkOrgUrl('https://demo-org.okta.com/oauth2/v1', '--org-url')).fix).to.equal('use just the scheme and host: https://demo-org.okta.com');
  });

  it('tells loopback hosts from others', () => {
    expect(isLoopbackHost('127.0.0.1')).to.equal(true);
    expect(isLoopbackHost('127.8.9.10')).to.equal(true);
    expect(isLoopbackHost('localhost')).to.equal(true);
    expect(isLoopbackHost('[::1]')).to.equal(true);
    expect(isLoopbackHost('10.0.0.1')).to.equal(false);
    expect(isLoopbackHost('localhost.example.com')).to.equal(false);
  });
});

describe('API token checks', () => {
  it('accepts a bare token', () => {
    expect(checkApiToken(TOKEN, '--api-token')).to.equal(TOKEN);
  });

  it('refuses a token pasted with its SSWS scheme', () => {
    const error = fails(() => checkApiToken(`SSWS ${TOKEN}`, 'OKTA_CLIENT_TOKEN'));
    expect(error.message).to.equal('OKTA_CLIENT_TOKEN starts with "SSWS ".');
  });

  it('refuses a quoted token', () => {
    expect(fails(() => checkApiToken(`"${TOKEN}"`, '--api-token')).message).to.equal('--api-token is wrapped in quotes.');
  });

  it('refuses a token with a space inside', () => {
    expect(fails(() => checkApiToken('00abc def', '--api-token')).message).to.equal('--api-token contains whitespace.');
  });
});

describe('verify settings', () => {
  it('targets the embedded emulator when no org is configured', () => {
    const settings = resolveWith({});
    expect(settings.target).to.deep.equal({ kind: 'emulator' });
    expect(settings.action).to.equal('enforce_and_log');
    expect(settings.providerName).to.equal(DEFAULTS.providerName);
    expect(settings.reporters).to.deep.equal(['cli', 'junit', 'html']);
  });

  it("targets an org from Okta's SDK environment variables", () => {
    const settings = resolveWith({}, { OKTA_CLIENT_ORGURL: 'https://dev-1.okta.com', OKTA_CLIENT_TOKEN: TOKEN });
    expect(settings.target).to.deep.equal({ kind: 'org', orgUrl: 'https://dev-1.okta.com', apiToken: TOKEN });
  });

  it('reads the org from a .env file in the working folder', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'settings-'));
    writeFileSync(join(cwd, '.env'), `OKTA_CLIENT_ORGURL=https://dev-2.okta.com\nOKTA_CLIENT_TOKEN="${TOKEN}"\n`);
    expect(resolveWith({}, {}, cwd).target).to.deep.equal({ kind: 'org', orgUrl: 'https://dev-2.okta.com', apiToken: TOKEN });
  });

  it('lets environment variables override the .env file, and flags override both', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'settings-'));
    writeFileSync(join(cwd, '.env'), `OKTA_CLIENT_ORGURL=https://from-file.okta.com\nOKTA_CLIENT_TOKEN=${TOKEN}\n`);
    expect(resolveWith({}, { OKTA_CLIENT_ORGURL: 'https://from-env.okta.com' }, cwd).target).to.include({ orgUrl: 'https://from-env.okta.com' });
    expect(resolveWith({ orgUrl: 'https://from-flag.okta.com' }, { OKTA_CLIENT_ORGURL: 'https://from-env.okta.com' }, cwd).target).to.include({ orgUrl: 'https://from-flag.okta.com' });
  });

  it('names the .env file when its value is at fault', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'settings-'));
    writeFileSync(join(cwd, '.env'), `OKTA_CLIENT_ORGURL=https://dev-2-admin.okta.com\nOKTA_CLIENT_TOKEN=${TOKEN}\n`);
    expect(fails(() => resolveWith({}, {}, cwd)).message).to.equal('OKTA_CLIENT_ORGURL in .env is the Admin Console URL (dev-2-admin.okta.com), not the org URL.');
  });

  it('refuses an org URL without a token, naming both ways to give one', () => {
    const error = fails(() => resolveWith({ orgUrl: 'https://dev-1.okta.com' }));
    expect(error.code).to.equal('ERR_SETTING_MISSING');
    expect(error.message).to.equal('No API token for https://dev-1.okta.com.');
    expect(error.fix).to.contain('OKTA_CLIENT_TOKEN (or --api-token)');
  });

  it('refuses a token without an org URL', () => {
    const error = fails(() => resolveWith({}, { OKTA_CLIENT_TOKEN: TOKEN }));
    expect(error.code).to.equal('ERR_SETTING_MISSING');
    expect(error.message).to.equal('An API token is set (OKTA_CLIENT_TOKEN) but no org URL.');
  });

  it('uses the emulator when --emulator is given even with an org configured', () => {
    expect(resolveWith({ emulator: true }, { OKTA_CLIENT_ORGURL: 'https://dev-1.okta.com', OKTA_CLIENT_TOKEN: TOKEN }).target).to.deep.equal({ kind: 'emulator' });
  });

  it('refuses an action outside the enum', () => {
    const error = fails(() => resolveWith({ action: 'enforce' }));
    expect(error.message).to.equal('--action must be one of none, log_only, enforce_and_log; got "enforce".');
  });

  it("refuses Newman's json reporter, which would write secrets", () => {
    const error = fails(() => resolveWith({ reporters: ['json'] }));
    expect(error.message).to.equal('--reporters: unknown reporter "json".');
  });

  it('refuses a provider name with a quote', () => {
    expect(fails(() => resolveWith({ providerName: 'My "risk" provider' })).setting).to.equal('--provider-name');
  });

  it('refuses a provider name over 50 characters and accepts one of 50', () => {
    expect(resolveWith({ providerName: 'x'.repeat(50) }).providerName).to.have.length(50);
    expect(fails(() => resolveWith({ providerName: 'x'.repeat(51) })).code).to.equal('ERR_SETTING_INVALID');
  });

  it('counts a provider name in characters, as Okta and the emulator do: 50 emoji pass, 51 do not', () => {
    expect(resolveWith({ providerName: '\u{1F6E1}'.repeat(50) }).providerName).to.equal('\u{1F6E1}'.repeat(50));
    expect(fails(() => resolveWith({ providerName: '\u{1F6E1}'.repeat(51) })).message).to.equal(
      "--provider-name must be 1 to 50 characters with no quotes, backslashes or control characters (Okta's limit is 50).",
    );
  });

  it('refuses an --env-file that does not exist', () => {
    expect(fails(() => resolveWith({ envFile: 'missing.env' })).code).to.equal('ERR_FILE_UNREADABLE');
  });
});
