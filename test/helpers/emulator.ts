/**
 * Test helpers for the emulator tier: an org on port 0 with a manual clock, and a tiny HTTP client that
 * speaks SSWS or Bearer. Tests reach only loopback.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildEmulator, ManualClock, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import type { JWK } from 'jose';
import type { AppRecord, ClientMetadata } from '../../src/emulator/store.ts';
import { RISK_EVENTS_PATH, RISK_EVENTS_SCOPE } from '../../src/okta/risk-events.ts';

export interface TestOrg {
  emulator: Emulator;
  clock: ManualClock;
  url: string;
  apiToken: string;
  close(): Promise<void>;
}

export const START = Date.UTC(2026, 10, 28, 12, 0, 0);

export async function startOrg(options: EmulatorOptions = {}): Promise<TestOrg> {
  const clock = new ManualClock(START);
  const emulator = await buildEmulator({ clock, ...options });
  const url = await emulator.listen({ port: 0 });
  return { emulator, clock, url, apiToken: emulator.apiToken, close: () => emulator.close() };
}

/**
 * The org of a describe block's tests, through mocha hooks: started before its first test, closed after its
 * last, and back to a fresh org with the clock at START before each test (before the block's own beforeEach
 * hooks, which run in the order they are declared).
 */
export function sharedOrg(options: EmulatorOptions = {}): TestOrg {
  let org: TestOrg | undefined;
  before(async () => {
    org = await startOrg(options);
  });
  after(() => org?.close());
  beforeEach(() => {
    org!.emulator.reset();
    org!.clock.set(START);
  });
  return orgView(() => org);
}

/** Like `sharedOrg`, but a new org (its own URL, API token and keys) for each test, closed after it. */
export function orgPerTest(options: EmulatorOptions = {}): TestOrg {
  let org: TestOrg | undefined;
  beforeEach(async () => {
    org = await startOrg(options);
  });
  afterEach(() => org?.close());
  return orgView(() => org);
}

/** A TestOrg that stands for whichever org `current` gives when a test uses it. */
function orgView(current: () => TestOrg | undefined): TestOrg {
  const org = (): TestOrg => {
    const started = current();
    if (!started) throw new TypeError('the org is started by a mocha hook: use it inside a test or hook, not while the describe block is declared');
    return started;
  };
  return {
    get emulator() {
      return org().emulator;
    },
    get clock() {
      return org().clock;
    },
    get url() {
      return org().url;
    },
    get apiToken() {
      return org().apiToken;
    },
    close: () => org().close(),
  };
}

export interface CallOptions {
  /** JSON-serialized unless it is a string or URLSearchParams. */
  body?: unknown;
  /** `Authorization` header value; default `SSWS <apiToken>`. Pass `null` to send none. */
  auth?: string | null;
  headers?: Record<string, string>;
}

export interface CallResult<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: T;
  text: string;
}

export async function call<T = any>(org: TestOrg, method: string, path: string, options: CallOptions = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const auth = options.auth === undefined ? `SSWS ${org.apiToken}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | undefined;
  if (options.body instanceof URLSearchParams) {
    body = options.body.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(org.url + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}

/** Everything the org's clients sent and received, for tests that hunt for leaked secrets. */
export interface Tap {
  requests: string[];
  responses: string[];
}

/** The emulator's request handler, which a server of a test's own hands requests on to. */
export type OrgHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An org on port 0 behind a server of the test's own: `serve` sees each request first and hands it to the
 * emulator's handler (`toOrg`) when it should reach the org. The org's clock is `clock`, whatever `options` say.
 */
export async function startOrgBehind(
  serve: (req: IncomingMessage, res: ServerResponse, toOrg: OrgHandler) => void,
  options: EmulatorOptions = {},
  clock = new ManualClock(START),
): Promise<TestOrg> {
  let toOrg: OrgHandler | undefined;
  const server = createServer((req, res) => serve(req, res, toOrg!));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const emulator = await buildEmulator({ ...options, clock, orgUrl: url });
  toOrg = emulator.handle;
  return {
    emulator,
    clock,
    url,
    apiToken: emulator.apiToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Everything the org's clients sent and received, for tests that hunt for leaked secrets. */
export interface Tap {
  requests: string[];
  responses: string[];
}

/**
 * An org whose traffic is recorded: a server of the test's own that hands every request to the emulator's
 * handler and keeps copies of the bodies going in and out.
 */
export async function startTappedOrg(options: EmulatorOptions = {}): Promise<TestOrg & { tap: Tap }> {
  const tap: Tap = { requests: [], responses: [] };
  const org = await startOrgBehind((req, res, toOrg) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => tap.requests.push(Buffer.concat(chunks).toString('utf8') + ' ' + (req.headers.authorization ?? '')));
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      if (typeof args[0] === 'string' || Buffer.isBuffer(args[0])) tap.responses.push(String(args[0]));
      return end(...args);
    }) as typeof res.end;
    toOrg(req, res);
  }, options);
  return { ...org, tap };
}

/**
 * An org access token for `clientId` with `scopes`, signed with the org's own key exactly as the token
 * endpoint signs one, for tests that need a bearer token without going through a client assertion.
 */
export async function orgAccessToken(org: TestOrg, clientId: string, scopes: string[]): Promise<string> {
  const { SignJWT } = await import('jose');
  const { randomBytes } = await import('node:crypto');
  const keys = await org.emulator.org.signingKey.keys();
  const iat = Math.floor(org.clock.now() / 1000);
  return new SignJWT({ ver: 1, jti: `AT.${randomBytes(32).toString('base64url')}`, cid: clientId, scp: scopes })
    .setProtectedHeader({ alg: 'RS256', kid: keys.publicJwk.kid })
    .setIssuer(org.url)
    .setAudience(org.url)
    .setSubject(clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(keys.privateKey);
}

/** The guide's service client as a Dynamic Client Registration body, with one RSA public key (`kid` key1). */
export function serviceClientBody(rsa: JWK, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: 'Risk Provider Example',
    response_types: ['token'],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    application_type: 'service',
    jwks: { keys: [{ ...rsa, kid: 'key1' }] },
    ...overrides,
  };
}

/** Puts an ACTIVE service app straight into the org's store, as Dynamic Client Registration would have. */
export function putServiceApp(org: TestOrg, id: string, metadata: Partial<ClientMetadata> = {}): AppRecord {
  const now = new Date(org.clock.now()).toISOString();
  const app: AppRecord = {
    id,
    status: 'ACTIVE',
    created: now,
    lastUpdated: now,
    issuedAt: Math.floor(org.clock.now() / 1000),
    metadata: {
      client_name: `app ${id}`,
      client_uri: null,
      logo_uri: null,
      redirect_uris: [],
      response_types: ['token'],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      application_type: 'service',
      ...metadata,
    },
  };
  const full = org.emulator.store.addApp(app);
  if (full !== undefined) throw new Error(full);
  return app;
}

/**
 * An org whose default provider is linked, in `log_only`, to a fresh service app holding a risk-events token,
 * with the events rate limit out of the way; `postEvents` sends a JSON body to the events route as that app.
 */
export async function startRiskEventsOrg(): Promise<{ org: TestOrg; postEvents(body: unknown): Promise<CallResult> }> {
  const org = await startOrg({ eventsRateLimit: 1_000_000 });
  const app = putServiceApp(org, `0oa${randomBytes(8).toString('hex').slice(0, 17)}`);
  const [provider] = org.emulator.store.providers.values();
  org.emulator.store.providers.set(provider!.id, { ...provider!, clientId: app.id, action: 'log_only' });
  const auth = `Bearer ${await orgAccessToken(org, app.id, [RISK_EVENTS_SCOPE])}`;
  const postEvents = (body: unknown) =>
    call(org, 'POST', RISK_EVENTS_PATH, { auth, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { org, postEvents };
}
