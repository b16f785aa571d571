/**
 * Checks an org URL the way the guide's troubleshooting tips ask a person to: no admin URL, no trailing slash,
 * no stray quotes or spaces; and two rules of our own that keep the API token safe: https, except to loopback,
 * and nothing but scheme and host.
 */
import { isIP } from 'node:net';
import { HarnessError } from '../errors.ts';

/** Loopback hosts, where plain http cannot leak the token off the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/**
 * Rejects what the guide warns about in a setting's value: surrounding whitespace and quotes.
 * @param setting how the user spells the setting, e.g. `--org-url (OKTA_CLIENT_ORGURL)`.
 */
export function assertNoStrayCharacters(value: string, setting: string): void {
  if (value !== value.trim()) {
    throw new HarnessError('ERR_SETTING_INVALID', `${setting} has spaces or line breaks around its value.`, {
      setting,
      fix: `remove the leading and trailing whitespace from ${setting}.`,
    });
  }
  if (/^["'`\u201c\u2018]|["'`\u201d\u2019]$/.test(value)) {
    throw new HarnessError('ERR_SETTING_INVALID', `${setting} is wrapped in quotes.`, {
      setting,
      fix: `remove the quotes around the value of ${setting} (copy the value itself, without the quotes around it).`,
    });
  }
}

/** Returns the org URL in canonical form (`https://host[:port]`), or throws naming the setting and the fix. */
export function checkOrgUrl(raw: string, setting: string): string {
  assertNoStrayCharacters(raw, setting);
  if (raw.includes('{yourOktaDomain}') || raw.includes('${yourOktaDomain}')) {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} still holds the placeholder {yourOktaDomain}.`, {
      setting,
      fix: `set ${setting} to your org's URL, e.g. https://dev-123456.okta.com.`,
    });
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} is not a URL: ${raw}`, {
      setting,
      fix: `set ${setting} to your org's URL with its scheme, e.g. https://dev-123456.okta.com.`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} must be an https:// URL, got ${url.protocol}//.`, {
      setting,
      fix: `set ${setting} to https://<your org>, e.g. https://dev-123456.okta.com.`,
    });
  }
  if (url.username || url.password) {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} must not carry a user name or password.`, {
      setting,
      fix: `remove the credentials from ${setting}; the API token goes in --api-token or OKTA_CLIENT_TOKEN.`,
    });
  }
  const adminHost = url.hostname.match(/^(.+)-admin(\.(?:okta|oktapreview|okta-emea|okta-gov|okta-mil|trexcloud)\.com)$/);
  if (adminHost) {
    const orgUrl = `${url.protocol}//${adminHost[1]}${adminHost[2]}`;
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} is the Admin Console URL (${url.hostname}), not the org URL.`, {
      setting,
      fix: `use the org URL without "-admin": ${orgUrl}`,
    });
  }
  if (raw.endsWith('/')) {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} ends with a slash.`, {
      setting,
      fix: `remove the trailing slash: ${raw.replace(/\/+$/, '')}`,
    });
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} must be the org's base URL, with no path, query or fragment.`, {
      setting,
      fix: `use just the scheme and host: ${url.protocol}//${url.host}`,
    });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new HarnessError('ERR_ORG_URL_INVALID', `${setting} uses http:// to ${url.hostname}; the API token would cross the network in clear text.`, {
      setting,
      fix: `use https://${url.host} (plain http is allowed only to loopback, e.g. a local emulator).`,
    });
  }
  return `${url.protocol}//${url.host}`;
}

/** Checks an API token's shape (not its validity: only the org knows that). */
export function checkApiToken(raw: string, setting: string): string {
  assertNoStrayCharacters(raw, setting);
  if (/^ssws\s/i.test(raw)) {
    throw new HarnessError('ERR_SETTING_INVALID', `${setting} starts with "SSWS ".`, {
      setting,
      fix: `give the token alone; the harness adds the "SSWS " scheme itself.`,
    });
  }
  if (/\s/.test(raw)) {
    throw new HarnessError('ERR_SETTING_INVALID', `${setting} contains whitespace.`, {
      setting,
      fix: `copy the API token again from Security > API > Tokens; a token has no spaces.`,
    });
  }
  return raw;
}
