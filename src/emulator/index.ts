/**
 * The embedded Okta org. `buildEmulator()` makes the org and its HTTP handler without listening, so tests can
 * listen on port 0 (fastify's build/listen split); `listen()` binds it, on loopback unless told otherwise.
 *
 * The emulator never imports the harness: it is a separate org, reached only over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from './clock.ts';
import { OktaApiError } from './errors.ts';
import { answerClientError, continueUnlessOversized, DEFAULT_LINGER, errorReply, isOktaAnswer, lingeringClose, Router, sendReply, toEmulatorRequest, UnreadRequest, type LingerLimits, type Reply } from './http.ts';
import { Faults, type FaultOptions } from './faults.ts';
import { requestId } from './ids.ts';
import { OrgSigningKey } from './keys.ts';
import type { Org, OrgSettings } from './org.ts';
import { RateLimiter } from './rate-limit.ts';
import { OrgStore } from './store.ts';
import { appsRoutes } from './apps.ts';
import { clientsRoutes } from './clients.ts';
import { riskEventsRoutes } from './risk-events.ts';
import { riskProvidersRoutes } from './risk-providers.ts';
import { securityEventsRoutes } from './security-events.ts';
import { securityEventsProvidersRoutes } from './security-events-providers.ts';
import { DEFAULT_FETCH_LIMITS, type FetchLimits } from './outbound.ts';
import { oktaId } from './ids.ts';
import { ADMIN_USER } from './store.ts';
import { systemLogRoutes } from './system-log.ts';
import { tokenRoutes } from './token.ts';

export { ManualClock, systemClock, type Clock } from './clock.ts';
export { seededRandom, type FaultOptions } from './faults.ts';
export type { OrgStore } from './store.ts';
export { createOrgKeys, OrgSigningKey, type OrgKeys } from './keys.ts';

export interface EmulatorOptions {
  /** The admin API token accepted as `Authorization: SSWS <token>`. Default: a fresh random token. */
  apiToken?: string;
  /**
   * The org URL (no trailing slash): issuer and audience of tokens, base of links. Default: the address
   * `listen()` binds, e.g. `http://127.0.0.1:41234`.
   */
  orgUrl?: string;
  /** The org's clock. Default: the system clock. Tests pass a `ManualClock`. */
  clock?: Clock;
  /** Risk events calls per minute, per provider. Default: 3, the guide's figure. */
  eventsRateLimit?: number;
  /**
   * Calls per minute on every other route: per caller (API token or OAuth client) and route, and for the
   * requests a route refuses for their credentials, one bucket per route. Default: 600.
   */
  managementRateLimit?: number;
  /** Injected faults (latency, 500s, dropped connections, 429 storms). Default: none. */
  faults?: FaultOptions;
  /**
   * Bounds on fetching SSF providers' well-known documents and JWKS. Default: 5 s, 64 KiB, loopback hosts
   * only (`allowRemote: true` lets the org fetch from other hosts).
   */
  ssfFetch?: Partial<FetchLimits>;
  /** Sign-in emails of users besides the super admin (`admin@example.com`), whom a SET may name. */
  users?: string[];
  /**
   * Told of every unexpected error, in a handler or in the reply path (answered as Okta's 500 E0000009; Okta's
   * own refusals are not errors). Default: one line on stderr with the request id and the error's message
   * (never a request's headers or body).
   */
  onError?: (error: unknown, requestId: string) => void;
  /**
   * Serve the retired Risk Providers and Risk Events APIs. Default true. `false` is a current org (Okta's spec
   * dropped them in 2025.10.0): `/api/v1/risk/*` are unknown paths (404), only the SSF receiver is left.
   */
  riskApis?: boolean;
  /**
   * Register every new `service` client DPoP-bound (`dpop_bound_access_tokens: true`), as an org whose new
   * API Services apps require DPoP (the Admin Console's default since February 2024, *obs*). Default false:
   * the schema's default, and what Okta's spec example shows for API-created apps.
   */
  dpopByDefault?: boolean;
  /**
   * The org's signing key. Default: a new RS256 key, started at build; the build does not wait for it (only
   * the first access token and `/oauth2/v1/keys` do). A caller that would rather the key's generation came
   * later passes `new OrgSigningKey()` and calls its `start()` when it suits (at the latest, the first token
   * request starts it); `OrgSigningKey.of(keys)` passes a key made already.
   */
  orgKey?: OrgSigningKey;
  /**
   * Serve the SSF receiver (the Security Events Providers API and the SET push). Default true. `false` is an
   * org without Identity Threat Protection: its paths are unknown (404), as the Risk APIs' are on a current org.
   */
  ssfReceiver?: boolean;
  /**
   * The lingering close of a request refused unread (a body over 1 MiB, a malformed target): how long (`ms`,
   * default 2000) and how many more bytes (`bytes`, default 16 MiB) the org reads and discards after its 400
   * before it closes the connection.
   */
  bodyLinger?: Partial<LingerLimits>;
}

export interface ListenOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default `127.0.0.1`: the emulator is reachable from this machine only. */
  host?: string;
}

export interface Emulator {
  readonly org: Org;
  readonly server: Server;
  readonly apiToken: string;
  readonly clock: Clock;
  readonly store: OrgStore;
  /** The org URL; throws until it is known (given, or bound by `listen()`). */
  readonly orgUrl: string;
  /** The request handler, for mounting the org on a server of one's own. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Binds the server and resolves with the org URL. */
  listen(options?: ListenOptions): Promise<string>;
  close(): Promise<void>;
  /** Back to a fresh org: state, rate-limit windows and replay caches. The API token and keys stay. */
  reset(): void;
  /** The injected faults and how many of each were dealt. */
  readonly faults: Faults;
}

export const DEFAULT_EVENTS_RATE_LIMIT = 3;
export const DEFAULT_MANAGEMENT_RATE_LIMIT = 600;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  return v;
}

export async function buildEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.clock ?? systemClock;
  const users = [{ id: ADMIN_USER.id, login: ADMIN_USER.alternateId }, ...(options.users ?? []).map((login) => ({ id: oktaId('00u'), login }))];
  const settings: OrgSettings = {
    eventsRateLimit: positiveInteger('eventsRateLimit', options.eventsRateLimit, DEFAULT_EVENTS_RATE_LIMIT),
    managementRateLimit: positiveInteger('managementRateLimit', options.managementRateLimit, DEFAULT_MANAGEMENT_RATE_LIMIT),
    ssfFetch: {
      timeoutMs: positiveInteger('ssfFetch.timeoutMs', options.ssfFetch?.timeoutMs, DEFAULT_FETCH_LIMITS.timeoutMs),
      maxBytes: positiveInteger('ssfFetch.maxBytes', options.ssfFetch?.maxBytes, DEFAULT_FETCH_LIMITS.maxBytes),
      allowRemote: options.ssfFetch?.allowRemote ?? DEFAULT_FETCH_LIMITS.allowRemote,
    },
    users,
    // The first of two logins that differ only in case wins, as one sign-in would.
    usersByLogin: new Map(users.toReversed().map((u) => [u.login.toLowerCase(), u])),
    dpopByDefault: options.dpopByDefault ?? false,
  };
  if (options.orgUrl !== undefined && !/^https?:\/\/[^/]+$/.test(options.orgUrl)) {
    throw new TypeError(`orgUrl must be a scheme and host with no path or trailing slash, got ${options.orgUrl}`);
  }
  const apiToken = options.apiToken ?? '00' + randomBytes(30).toString('base64url');
  const signingKey = options.orgKey ?? new OrgSigningKey().start();
  const store = new OrgStore(clock);
  const rateLimits = new RateLimiter(clock);
  let orgUrl = options.orgUrl;
  const faults = new Faults(options.faults);
  const linger: LingerLimits = {
    ms: positiveInteger('bodyLinger.ms', options.bodyLinger?.ms, DEFAULT_LINGER.ms),
    bytes: positiveInteger('bodyLinger.bytes', options.bodyLinger?.bytes, DEFAULT_LINGER.bytes),
  };

  const org: Org = {
    store,
    clock,
    apiToken,
    signingKey,
    rateLimits,
    settings,
    get orgUrl(): string {
      if (!orgUrl) throw new Error('The emulator has no org URL yet: pass orgUrl or call listen() first');
      return orgUrl;
    },
  };

  const router = new Router().add([
    ...clientsRoutes,
    ...appsRoutes,
    ...tokenRoutes,
    ...(options.riskApis === false ? [] : [...riskProvidersRoutes, ...riskEventsRoutes]),
    ...(options.ssfReceiver === false ? [] : [...securityEventsProvidersRoutes, ...securityEventsRoutes]),
    ...systemLogRoutes,
  ]);

  type Outcome = { reply: Reply; requestId?: string; drop?: boolean; linger?: boolean };

  async function dispatch(req: IncomingMessage): Promise<Outcome> {
    let request;
    try {
      request = await toEmulatorRequest(req);
    } catch (error) {
      if (error instanceof UnreadRequest) return { reply: errorReply(error.refusal), requestId: requestId(), linger: true };
      return { reply: errorReply(error), requestId: requestId() };
    }
    const found = router.match(request.method, request.path);
    const faulty = faults.applies(request.method, 'route' in found ? found.route.path : undefined, request.path);
    if (faulty && faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    const fault = faulty ? faults.draw() : 'none';
    if (fault === 'rate-limit') {
      return { reply: errorReply(new OktaApiError('E0000047', { headers: Faults.stormHeaders(clock, settings.managementRateLimit) })), requestId: request.requestId };
    }
    if (fault === 'error') return { reply: errorReply(new Error('injected fault')), requestId: request.requestId };
    let reply: Reply;
    if (!('route' in found)) {
      reply =
        found.allowed.length > 0
          ? { ...errorReply(new OktaApiError('E0000022')), headers: { allow: [...new Set(found.allowed)].join(', ') } }
          : errorReply(new OktaApiError('E0000008'));
      return { reply, requestId: request.requestId };
    }
    request.params = found.params;
    let limitHeaders: Record<string, string> = {};
    try {
      const bucket = `${found.route.method} ${found.route.path}`;
      const charging = found.route.rateLimit ?? 'caller';
      // A caller's bucket is charged once it is known (auth.ts), so nobody can spend it from outside.
      if (charging === 'caller') rateLimits.open(request, bucket, settings.managementRateLimit);
      else if (charging === 'route') limitHeaders = rateLimits.charge(bucket, settings.managementRateLimit);
      reply = await found.route.handler(request, org);
    } catch (error) {
      // Okta's refusals are answers; anything else is a bug of the org's, answered 500 and reported.
      if (!isOktaAnswer(error)) report(error, request.requestId);
      reply = errorReply(error);
    }
    reply.headers = { ...limitHeaders, ...rateLimits.headersOf(request), ...reply.headers };
    return { reply, requestId: request.requestId, drop: fault === 'drop' };
  }

  const onError =
    options.onError ??
    ((error: unknown, id: string) => {
      process.stderr.write(`okta emulator: unexpected error answering request ${id}: ${error instanceof Error ? error.message : String(error)}\n`);
    });

  /**
   * Anything that throws while answering (serialising, writing, the handler's continuation) becomes Okta's
   * 500 E0000009 with a request id when nothing was sent yet, or a closed connection when it was; the
   * process keeps serving either way.
   */
  function report(error: unknown, id: string): void {
    try {
      onError(error, id);
    } catch {
      // A failing logger must not end the process either.
    }
  }

  function failed(req: IncomingMessage, res: ServerResponse, error: unknown, id: string): void {
    report(error, id);
    try {
      if (res.headersSent) return void req.socket.destroy();
      const reply = errorReply(new Error('unexpected'));
      reply.headers = { ...reply.headers, 'x-okta-request-id': id };
      sendReply(res, reply, req.method === 'HEAD');
    } catch {
      req.socket.destroy();
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    dispatch(req).then(
      ({ reply, requestId: id, drop, linger: refusedUnread }) => {
        const shownId = id ?? requestId();
        try {
          // The org acted; the answer is lost on the way back.
          if (drop) return void req.socket.destroy();
          if (refusedUnread) lingeringClose(req, res, linger);
          reply.headers = { ...reply.headers, 'x-okta-request-id': shownId };
          sendReply(res, reply, req.method === 'HEAD');
        } catch (error) {
          failed(req, res, error, shownId);
        }
      },
      (error: unknown) => failed(req, res, error, requestId()),
    );
  }

  const server = createServer({ keepAliveTimeout: 5000 }, handle);
  server.on('clientError', answerClientError);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueUnlessOversized(req, res);
    handle(req, res);
  });

  return {
    org,
    server,
    faults,
    apiToken,
    clock,
    store,
    get orgUrl() {
      return org.orgUrl;
    },
    handle,
    listen({ port = 0, host = '127.0.0.1' } = {}) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          orgUrl ??= `http://${shownHost}:${address.port}`;
          resolve(orgUrl);
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
    reset() {
      store.reset();
      rateLimits.reset();
    },
  };
}
