/**
 * What a failed `fetch` means, in words a person can act on. Node's fetch rejects with "fetch failed" and
 * hides the reason in `error.cause` (a system error code, or an OpenSSL one); this reads it.
 */

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

function codeOf(error: unknown): string | undefined {
  // The reason sits on the cause, sometimes one level further down (undici wraps socket errors).
  for (let e = error as ErrorLike | undefined, depth = 0; e && depth < 4; e = e.cause as ErrorLike | undefined, depth++) {
    if (typeof e.code === 'string' && e.code !== '') return e.code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  const cause = (error as ErrorLike | undefined)?.cause as ErrorLike | undefined;
  const message = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : (error as ErrorLike | undefined)?.message;
  return typeof message === 'string' ? message.split('\n')[0]! : String(error);
}

/**
 * One phrase for why a request to `url` got no answer: "connection refused: nothing listens on
 * 127.0.0.1:8787", "DNS: no such host dev-1.okta.com", "TLS handshake failed: 127.0.0.1:8787 speaks plain
 * http, not https", a timeout, a certificate problem; else the cause's own message and code.
 */
export function describeFetchFailure(error: unknown, url: string): string {
  let host: string;
  let hostname: string;
  try {
    ({ host, hostname } = new URL(url));
  } catch {
    host = hostname = url;
  }
  const name = (error as ErrorLike | undefined)?.name;
  if (name === 'TimeoutError') return `no answer from ${host} in time (the request timed out)`;
  const code = codeOf(error);
  const message = messageOf(error);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused: nothing listens on ${host}`;
    case 'ENOTFOUND':
      return `DNS: no such host ${hostname} (check the spelling of the org URL)`;
    case 'EAI_AGAIN':
      return `DNS: the lookup of ${hostname} failed for now (EAI_AGAIN; check this machine's network and DNS)`;
    case 'ECONNRESET':
      return `the connection to ${host} was reset`;
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return `the connection to ${host} closed before an answer came`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${host} timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${host} (${code})`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `TLS handshake failed: ${host} speaks plain http, not https (a local emulator's URL starts with http://)`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the TLS certificate of ${host} is not trusted (${code}); behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate`;
    case 'CERT_HAS_EXPIRED':
      return `the TLS certificate of ${host} has expired`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${host} is for another host name`;
    case 'ERR_ANSWER_TOO_LARGE':
      return `${host} sent more than the harness reads (${message}); an Okta org's API does not, so check the org URL`;
    default:
      if (/wrong version number/i.test(message)) return `TLS handshake failed: ${host} speaks plain http, not https (a local emulator's URL starts with http://)`;
      return code && !message.includes(code) ? `${message} (${code})` : message;
  }
}
