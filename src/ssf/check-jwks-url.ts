/**
 * `--jwks-url` for a real org: the org, in Okta's cloud, fetches the provider's JWKS from that URL when the
 * first SET arrives, so it must be a public https URL that serves the run's public key. Checked before anything
 * is created, from this machine (which proves the URL is live and serves the key; that the org can reach it is
 * the most a client can check, and the README says so):
 *
 * 1. an https URL (Okta fetches over TLS; plain http would let anyone on the path swap the key), with no
 *    credentials or fragment;
 * 2. not a host of this machine or of a private network (the org cannot reach those);
 * 3. it answers 200 `application/json` (Okta's guide: the JWKS must be served with that type; raw Gist URLs
 *    serve text/plain and fail), within 5 s and 64 KiB, without a redirect;
 * 4. a JWKS whose key with the run's `kid` is the run's public key.
 */
import { BlockList, isIP } from 'node:net';
import type { JWK } from 'jose';
import { HarnessError } from '../errors.ts';
import { isLoopbackHost } from '../config/org-url.ts';

export const JWKS_FETCH_TIMEOUT_MS = 5000;
export const JWKS_MAX_BYTES = 64 * 1024;

const PRIVATE_NETWORKS = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE_NETWORKS.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE_NETWORKS.addSubnet(net, prefix, 'ipv6');
}

/** Whether the org, outside this machine's network, cannot reach `hostname`. */
export function isUnreachableFromOkta(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  // A single-label name (intranet) or a name under a local-only suffix resolves only inside this network.
  if (isLoopbackHost(host) || host.endsWith('.local') || host.endsWith('.internal') || (!host.includes('.') && isIP(host) === 0)) return true;
  const family = isIP(host);
  if (family === 4) return PRIVATE_NETWORKS.check(host, 'ipv4');
  if (family === 6) return PRIVATE_NETWORKS.check(host, 'ipv6');
  return false;
}

const SETTING = '--jwks-url';

function invalid(message: string, fix: string, cause?: unknown): HarnessError {
  return new HarnessError('ERR_SETTING_INVALID', message, { setting: SETTING, fix, ...(cause !== undefined && { cause }) });
}

/** Checks the URL's form (rules 1 and 2); returns it normalised. */
export function checkJwksUrlForm(raw: string, orgUrl: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`${SETTING} "${raw}" is not a URL.`, 'pass the https URL your JWKS is published at, e.g. https://transmitter.example.com/.well-known/jwks.json.');
  }
  if (url.protocol !== 'https:') {
    throw invalid(`${SETTING} uses ${url.protocol}//; the org at ${orgUrl} fetches the JWKS over https only.`, 'publish the JWKS at an https URL with a certificate a public CA issued.');
  }
  if (url.username || url.password || url.hash) {
    throw invalid(`${SETTING} carries ${url.hash ? 'a #fragment' : 'credentials'}; Okta fetches the URL as it is, with no login.`, 'publish the JWKS at a public URL that needs no credentials, and pass it without a fragment.');
  }
  if (isUnreachableFromOkta(url.hostname)) {
    throw invalid(
      `${SETTING} points at ${url.hostname}, a host of this machine or of a private network; the org at ${orgUrl} fetches the JWKS from Okta's cloud and cannot reach it.`,
      'publish the JWKS at a public https URL (a static file on your transmitter\'s domain or an object store; not a GitHub Gist raw URL, which serves text/plain), or run against the embedded emulator, which the runner serves the key to itself.',
    );
  }
  return url;
}

/** Reads at most `max` bytes of a body; undefined when it is longer. */
async function boundedText(response: Response, max: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > max) return undefined;
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Options of {@link checkJwksUrl}. */
export interface CheckJwksUrlOptions {
  url: string;
  orgUrl: string;
  /** The run's public key: the JWKS must hold it under its `kid`. */
  publicJwk: JWK & { kid: string };
  /** For tests: the fetch to use. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Skip rule 2 (tests serve the JWKS on loopback). */
  allowPrivateHosts?: boolean;
}

/** Applies all four rules; throws a HarnessError (exit code 2) naming `--jwks-url` and the fix. */
export async function checkJwksUrl(options: CheckJwksUrlOptions): Promise<void> {
  const { orgUrl, publicJwk } = options;
  let url: URL;
  if (options.allowPrivateHosts) {
    try {
      url = new URL(options.url);
    } catch {
      throw invalid(`${SETTING} "${options.url}" is not a URL.`, 'pass the URL your JWKS is published at.');
    }
  } else {
    url = checkJwksUrlForm(options.url, orgUrl);
  }
  let response: Response;
  let text: string | undefined;
  try {
    response = await (options.fetch ?? fetch)(url, { redirect: 'manual', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS) });
    text = await boundedText(response, JWKS_MAX_BYTES);
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    const why = timedOut ? `no answer within ${JWKS_FETCH_TIMEOUT_MS / 1000} s` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
    throw invalid(`${SETTING} ${url.href} cannot be fetched from this machine (${why}); the org could not fetch it either.`, 'check that the URL is published and public, then run again.', error);
  }
  if (response.status >= 300 && response.status < 400) {
    throw invalid(`${SETTING} ${url.href} answers a redirect (HTTP ${response.status}); the org fetches the JWKS without following redirects.`, `pass the final URL${response.headers.get('location') ? ` (${response.headers.get('location')})` : ''}.`);
  }
  if (response.status !== 200) {
    throw invalid(`${SETTING} ${url.href} answers HTTP ${response.status}, not 200.`, 'publish the JWKS at that URL, or pass the URL it is published at.');
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw invalid(`${SETTING} ${url.href} is served as ${type || 'no content type'}; Okta reads a JWKS only when it is served as application/json.`, 'serve the file with Content-Type: application/json (raw GitHub Gist URLs cannot).');
  }
  if (text === undefined) throw invalid(`${SETTING} ${url.href} is larger than ${JWKS_MAX_BYTES / 1024} KiB, too large for a JWKS.`, 'publish only the transmitter\'s public signing keys.');
  let keys: unknown;
  try {
    keys = (JSON.parse(text) as { keys?: unknown }).keys;
  } catch {
    keys = undefined;
  }
  if (!Array.isArray(keys)) throw invalid(`${SETTING} ${url.href} does not hold a JWKS (a JSON object with a "keys" array).`, 'publish {"keys": [<the public JWK of --key>]} at that URL.');
  const published = keys.find((k: JWK) => k?.kid === publicJwk.kid) as JWK | undefined;
  const kids = keys.map((k: JWK) => k?.kid).filter((k): k is string => typeof k === 'string');
  if (!published) {
    throw invalid(
      `${SETTING} ${url.href} has no key with kid ${publicJwk.kid} (the key of --key); it has ${kids.length > 0 ? kids.join(', ') : 'no kids'}. Okta would refuse every SET: "Verification failed for kid=${publicJwk.kid}".`,
      'add the public JWK of --key to that JWKS (okta-risk keys writes public.jwk.json), or pass the --key whose kid it holds.',
    );
  }
  if (published.kty !== publicJwk.kty || published.n !== publicJwk.n || published.e !== publicJwk.e) {
    throw invalid(`${SETTING} ${url.href} holds a key with kid ${publicJwk.kid} that is not the public half of --key; Okta would refuse every SET's signature.`, 'publish the public JWK of --key under its kid.');
  }
  if ('d' in published) {
    throw invalid(`${SETTING} ${url.href} publishes a private key (kid ${publicJwk.kid} has "d"). Anyone can sign SETs as your transmitter with it.`, 'replace the key now: generate a new one, publish only its public JWK, and revoke the old one.');
  }
}
