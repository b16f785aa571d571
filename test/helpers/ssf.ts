/**
 * Test helpers for the SSF receiver: a transmitter's key, a loopback server for its JWKS and well-known
 * document (whose answers a test can change), and SETs built correct by default, with one `mutate` hook for
 * negative tests (oauth4webapi's `modifyAssertion` idea).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { SET_MEDIA_TYPE, SET_PATH } from '../../src/okta/ssf.ts';
import { call, type CallResult, type TestOrg } from './emulator.ts';

export interface TransmitterKey {
  privateKey: CryptoKey;
  publicJwk: JWK & { kid: string };
}

export async function generateTransmitterKey(alg = 'RS256'): Promise<TransmitterKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicJwk: { ...jwk, kid, use: 'sig', alg } };
}

/** What the transmitter's server answers: a handler per path, replaceable by tests. */
export type Answer = (req: IncomingMessage, res: ServerResponse) => void;

export interface Transmitter {
  url: string;
  issuer: string;
  jwksUrl: string;
  wellKnownUrl: string;
  key: TransmitterKey;
  /** Keys served at `jwksUrl`. */
  keys: JWK[];
  /** Overrides for paths, e.g. a slow or oversized answer. */
  answers: Map<string, Answer>;
  /** How many times each path was fetched. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

function json(res: ServerResponse, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startTransmitter(): Promise<Transmitter> {
  const key = await generateTransmitterKey();
  const answers = new Map<string, Answer>();
  const hits = new Map<string, number>();
  let transmitter: Transmitter;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const override = answers.get(path);
    if (override) return override(req, res);
    if (path === '/jwks.json') return json(res, { keys: transmitter.keys });
    if (path === '/.well-known/ssf-configuration') return json(res, { issuer: transmitter.issuer, jwks_uri: transmitter.jwksUrl });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  transmitter = {
    url,
    issuer: `${url}/issuer`,
    jwksUrl: `${url}/jwks.json`,
    wellKnownUrl: `${url}/.well-known/ssf-configuration`,
    key,
    keys: [key.publicJwk],
    answers,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return transmitter;
}

export const USER_RISK_CHANGE = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';

export interface SetParts {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** A correct user-risk-change SET for `email`, then `mutate`, signed with `key` (or the transmitter's). */
export async function mintSet(
  org: TestOrg,
  transmitter: Transmitter,
  options: { email?: string; mutate?: (parts: SetParts) => void; key?: TransmitterKey } = {},
): Promise<string> {
  const key = options.key ?? transmitter.key;
  const iat = Math.floor(org.clock.now() / 1000);
  const parts: SetParts = {
    header: { alg: 'RS256', kid: key.publicJwk.kid, typ: 'secevent+jwt' },
    payload: {
      iss: transmitter.issuer,
      aud: org.url,
      jti: randomUUID(),
      iat,
      events: {
        [USER_RISK_CHANGE]: {
          event_timestamp: iat,
          subject: { user: { format: 'email', email: options.email ?? 'admin@example.com' } },
          current_level: 'high',
          previous_level: 'low',
          initiating_entity: 'policy',
          reason_admin: { en: 'Impossible travel' },
        },
      },
    },
  };
  options.mutate?.(parts);
  return new SignJWT(parts.payload).setProtectedHeader(parts.header as { alg: string }).sign(key.privateKey);
}

export function pushSet(org: TestOrg, set: string, contentType = SET_MEDIA_TYPE): Promise<CallResult> {
  return call(org, 'POST', SET_PATH, { body: set, auth: null, headers: { 'content-type': contentType } });
}

/** Registers the transmitter with issuer + JWKS URL (SSWS), returning the provider. */
export async function registerProvider(org: TestOrg, transmitter: Transmitter, name = 'Example transmitter'): Promise<Record<string, any>> {
  const res = await call(org, 'POST', '/api/v1/security-events-providers', {
    body: { name, type: 'example', settings: { issuer: transmitter.issuer, jwks_url: transmitter.jwksUrl } },
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.text}`);
  return res.body;
}
