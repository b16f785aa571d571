/**
 * The transmitter's side of an SSF registration for an org on this machine (the embedded emulator, or
 * `npm run emulator`): a loopback HTTP server that publishes the run's public key as a JWKS, the way Okta's
 * guide asks (200, `application/json`, the key under its `kid`). Its `jwksUrl` is the provider's `jwks_url`.
 * Only GET and HEAD of that one path are answered; a private key is refused before anything listens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { PRIVATE_JWK_MEMBERS } from '../okta/jwk.ts';

/** The path the JWKS is served at. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** Options of {@link serveJwks}. */
export interface ServeJwksOptions {
  /** The public JWK(s) to publish. A key with a private member is refused (TypeError). */
  keys: JWK[];
  /** Default `127.0.0.1`: reachable from this machine only. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

/** A listening JWKS server. */
export interface JwksServer {
  /** `http://127.0.0.1:<port>`: the server's origin (callers build the provider's issuer under it). */
  url: string;
  /** `<url>/.well-known/jwks.json`: the provider's `jwks_url`. */
  jwksUrl: string;
  /** GETs of the JWKS so far (the org fetches it on the first SET, and again on a `kid` miss). */
  readonly fetches: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Serves `keys` as a JWKS on loopback until `close()`. */
export async function serveJwks(options: ServeJwksOptions): Promise<JwksServer> {
  if (!Array.isArray(options?.keys) || options.keys.length === 0) throw new TypeError('serveJwks: keys must hold at least one public JWK');
  for (const key of options.keys) {
    const leaked = PRIVATE_JWK_MEMBERS.filter((m) => m in key);
    if (leaked.length > 0) throw new TypeError(`serveJwks: a published key must be public; it has ${leaked.join(', ')}`);
  }
  const body = JSON.stringify({ keys: options.keys });
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== JWKS_PATH) return void res.writeHead(404, { 'content-length': 0 }).end();
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    if (req.method === 'GET') fetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    jwksUrl: `${url}${JWKS_PATH}`,
    get fetches() {
      return fetches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
