/**
 * Part 1: emulator throughput against a bare `node:http` server, interleaved round by round.
 *
 * Both servers run in this process; the load comes from a forked client (`load-client.ts`), so the client
 * never shares the servers' event loop. Each round sends to the bare server, the events endpoint and the
 * token endpoint in turn (the order rotates each round), for the same time each; the first round is a
 * warm-up and is not counted. Token requests each carry a fresh client assertion, minted before the run.
 */
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { mintClientAssertion } from '../../src/assertion/mint-client-assertion.ts';
import { buildEmulator, type Emulator } from '../../src/emulator/index.ts';
import { GUIDE_SAMPLE_EVENTS } from '../../src/events/risk-events.ts';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { median, pairedRatio, type Figure } from './figures.ts';
import type { LoadClient, LoadRequest, LoadStats } from './load.ts';

export interface ThroughputOptions {
  load: LoadClient;
  /** Measured rounds (a warm-up round comes first). */
  rounds: number;
  /** Milliseconds each contender is loaded for, per round. */
  roundMs: number;
  /** Concurrent keep-alive connections. */
  connections: number;
  /** The load client: `raw` (node:net, light) or `http` (node:http Agent). */
  client: 'raw' | 'http';
  log: (line: string) => void;
}

export interface ThroughputResult {
  figures: Figure[];
  notes: string[];
}

const EVENTS_PATH = '/api/v1/risk/events/ip';
const TOKEN_PATH = '/oauth2/v1/token';
const EVENTS_SCOPE = 'okta.riskEvents.manage';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Assertions are signed this many at a time (WebCrypto signs on the libuv pool, off the main thread). */
const MINT_BATCH = 256;
/** A hard bound on the assertions minted for one round, whatever the rate estimate says. */
const MAX_TOKENS_PER_ROUND = 20_000;

type Contender = 'bare' | 'events' | 'tokens';

/** The baseline: a fixed 202, no body, once the request body has been read (as any server must). */
function startBareServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function expectJson<T>(response: Response, status: number, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`bench set-up: ${what} answered ${response.status}, expected ${status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

interface Provisioned {
  clientId: string;
  keys: ProviderKeyPair;
  signingKey: CryptoKey;
  accessToken: string;
}

/** The guide's set-up over HTTP: a service client with our public key, the events scope, a provider linked to it. */
async function provision(emulator: Emulator, orgUrl: string): Promise<Provisioned> {
  const admin = { authorization: `SSWS ${emulator.apiToken}`, accept: 'application/json', 'content-type': 'application/json' };
  const keys = await generateProviderKeyPair();
  const client = await expectJson<{ client_id: string }>(
    await fetch(`${orgUrl}/oauth2/v1/clients`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        client_name: 'Bench Risk Provider',
        response_types: ['token'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        application_type: 'service',
        jwks: { keys: [keys.publicJwk] },
      }),
    }),
    201,
    'creating the service client',
  );
  const clientId = client.client_id;
  await expectJson(
    await fetch(`${orgUrl}/api/v1/apps/${clientId}/grants`, { method: 'POST', headers: admin, body: JSON.stringify({ scopeId: EVENTS_SCOPE, issuer: orgUrl }) }),
    201,
    'granting okta.riskEvents.manage',
  );
  const providers = await expectJson<Array<{ id: string }>>(await fetch(`${orgUrl}/api/v1/risk/providers`, { headers: admin }), 200, 'listing the risk providers');
  const provider = providers[0];
  if (!provider) throw new Error('bench set-up: the emulator has no risk provider to link');
  await expectJson(
    await fetch(`${orgUrl}/api/v1/risk/providers/${provider.id}`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ name: 'Bench Risk Provider', clientId, action: 'enforce_and_log' }),
    }),
    200,
    'linking the risk provider',
  );
  // Imported once: minting thousands of assertions must not re-import the JWK each time.
  const signingKey = (await importJWK(keys.privateJwk, 'RS256')) as CryptoKey;
  const [form] = await tokenForms(orgUrl, clientId, keys, signingKey, 1);
  const token = await expectJson<{ access_token: string }>(
    await fetch(`${orgUrl}${TOKEN_PATH}`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: form }),
    200,
    'getting an access token',
  );
  return { clientId, keys, signingKey, accessToken: token.access_token };
}

/** `count` token request bodies, each with a fresh client assertion (its own `jti`). */
async function tokenForms(orgUrl: string, clientId: string, keys: ProviderKeyPair, signingKey: CryptoKey, count: number): Promise<string[]> {
  const forms: string[] = [];
  for (let start = 0; start < count; start += MINT_BATCH) {
    const batch = Array.from({ length: Math.min(MINT_BATCH, count - start) }, () =>
      mintClientAssertion({ clientId, orgUrl, privateKey: signingKey, kid: keys.kid, alg: 'RS256' }),
    );
    for (const assertion of await Promise.all(batch)) {
      forms.push(
        new URLSearchParams({ grant_type: 'client_credentials', scope: EVENTS_SCOPE, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }).toString(),
      );
    }
  }
  return forms;
}

/**
 * How many RS256 signatures (RSA 2048, as the org signs each access token) this machine makes a second with
 * every core on it: the ceiling of the token endpoint, which signs one per request.
 */
async function rs256SignRate(key: CryptoKey, ms: number): Promise<number> {
  const payload = { ver: 1, iss: 'http://127.0.0.1', aud: 'http://127.0.0.1', sub: '0oa', cid: '0oa', scp: [EVENTS_SCOPE] };
  const started = performance.now();
  let signed = 0;
  while (performance.now() - started < ms) {
    await Promise.all(Array.from({ length: 64 }, () => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(key)));
    signed += 64;
  }
  return (signed * 1000) / (performance.now() - started);
}

/** A full collection, so heap figures count what the org keeps, not garbage (the flag is settable at run time). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const { load, rounds, roundMs, connections, client, log } = options;
  const notes: string[] = [];
  const bare = await startBareServer();
  let emulator: Emulator | undefined;
  try {
    // Rate limits lifted: the bench measures the org's work, not its 429s.
    emulator = await buildEmulator({ eventsRateLimit: 1e9, managementRateLimit: 1e9 });
    const orgUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(orgUrl).port);
    const setup = await provision(emulator, orgUrl);

    const eventsRequest: LoadRequest = {
      method: 'POST',
      path: EVENTS_PATH,
      headers: { authorization: `Bearer ${setup.accessToken}`, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(GUIDE_SAMPLE_EVENTS),
    };
    const tokenRequest: LoadRequest = { method: 'POST', path: TOKEN_PATH, headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' } };

    collectGarbage();
    const memoryBefore = process.memoryUsage();
    const storeBefore = { logs: emulator.store.logs.length, signals: emulator.store.signals.length };

    const results: Record<Contender, LoadStats[]> = { bare: [], events: [], tokens: [] };
    // The token pool is sized from the fastest token rate seen so far, with room to spare.
    let tokenRate = 1000;
    const order: Contender[] = ['bare', 'events', 'tokens'];
    for (let round = 0; round <= rounds; round++) {
      const warmUp = round === 0;
      const turn = [...order.slice(round % 3), ...order.slice(0, round % 3)];
      const line: string[] = [];
      for (const contender of turn) {
        let stats: LoadStats;
        if (contender === 'bare') {
          stats = await load.run({ client, host: '127.0.0.1', port: bare.port, connections, durationMs: roundMs, template: eventsRequest, expectStatus: 202 });
        } else if (contender === 'events') {
          stats = await load.run({ client, host: '127.0.0.1', port, connections, durationMs: roundMs, template: eventsRequest, expectStatus: 202 });
        } else {
          const count = Math.min(MAX_TOKENS_PER_ROUND, Math.ceil((tokenRate * roundMs * 1.25) / 1000) + connections);
          const bodies = await tokenForms(orgUrl, setup.clientId, setup.keys, setup.signingKey, count);
          stats = await load.run({ client, host: '127.0.0.1', port, connections, durationMs: roundMs, template: tokenRequest, bodies, expectStatus: 200 });
          tokenRate = Math.max(tokenRate, stats.rps);
          if (stats.exhausted && !warmUp) notes.push(`round ${round}: the token pool (${count}) ran out after ${stats.elapsedMs.toFixed(0)} ms; the rate is over that shorter time`);
        }
        if (stats.ok !== stats.completed || stats.errors > 0) {
          notes.push(
            `round ${round} ${contender}: ${stats.completed - stats.ok} unexpected answers ${JSON.stringify(stats.statuses)}, ${stats.errors} errors${stats.firstError ? ` (${stats.firstError})` : ''}`,
          );
        }
        if (!warmUp) results[contender].push(stats);
        line.push(`${contender} ${Math.round(stats.rps)} req/s (client cpu ${(stats.clientCpu * 100).toFixed(0)}%)`);
      }
      log(`  ${warmUp ? 'warm-up' : `round ${round}`}: ${line.join(', ')}`);
    }

    collectGarbage();
    const memoryAfter = process.memoryUsage();
    const rps = (c: Contender): number[] => results[c].map((s) => s.rps);
    const p = (c: Contender, q: 'p50' | 'p99'): number => median(results[c].map((s) => s.latencyMs[q]));
    const cpu = (c: Contender): number => median(results[c].map((s) => s.clientCpu));
    const baseline = 'baseline.node-http.rps';
    const figures: Figure[] = [
      { name: baseline, value: median(rps('bare')), unit: 'req/s' },
      { name: 'emulator.events.rps', value: median(rps('events')), unit: 'req/s', vs: { baseline, ratio: pairedRatio(rps('events'), rps('bare')) }, goal: { op: '>=', ratio: 0.5 } },
      { name: 'emulator.tokens.rps', value: median(rps('tokens')), unit: 'req/s', vs: { baseline, ratio: pairedRatio(rps('tokens'), rps('bare')) }, goal: { op: '>=', ratio: 0.25 } },
    ];
    for (const c of ['bare', 'events', 'tokens'] as const) {
      const name = c === 'bare' ? 'baseline.node-http' : `emulator.${c}`;
      figures.push(
        { name: `${name}.latency.p50`, value: p(c, 'p50'), unit: 'ms', detail: true },
        { name: `${name}.latency.p99`, value: p(c, 'p99'), unit: 'ms', detail: true },
        { name: `${name}.client-cpu`, value: cpu(c), unit: 'share of a core', detail: true },
      );
    }
    const logs = emulator.store.logs.length - storeBefore.logs;
    figures.push(
      { name: 'emulator.heap.growth', value: mb(memoryAfter.heapUsed - memoryBefore.heapUsed), unit: 'MB' },
      { name: 'emulator.rss.after', value: mb(memoryAfter.rss), unit: 'MB', detail: true },
      { name: 'emulator.systemlog.events', value: emulator.store.logs.length, unit: 'events' },
      { name: 'emulator.signals.stored', value: emulator.store.signals.length - storeBefore.signals, unit: 'signals', detail: true },
      { name: 'emulator.jtis.stored', value: emulator.store.usedJtis.size, unit: 'jtis', detail: true },
    );
    const signRate = await rs256SignRate(setup.signingKey, 500);
    figures.push({ name: 'crypto.rs256.sign.rps', value: signRate, unit: 'sign/s' });
    notes.push(
      `the token endpoint signs one RS256 access token per request; this machine signs ${Math.round(signRate)} a second with nothing else running, ` +
        `so tokens ran at ${((median(rps('tokens')) / signRate) * 100).toFixed(0)}% of that ceiling`,
    );
    const heapPerEvent = logs > 0 ? (memoryAfter.heapUsed - memoryBefore.heapUsed) / logs : 0;
    notes.push(
      `memory: the emulator's stores grew to ${emulator.store.logs.length} System Log events, ${emulator.store.signals.length} signals and ${emulator.store.usedJtis.size} remembered jtis; ` +
        `heap ${mb(memoryBefore.heapUsed).toFixed(0)} -> ${mb(memoryAfter.heapUsed).toFixed(0)} MB (~${(heapPerEvent / 1024).toFixed(1)} KB per System Log event with its signals and jtis, never freed: the org keeps its history), rss ${mb(memoryAfter.rss).toFixed(0)} MB`,
    );
    const bareCpu = cpu('bare');
    if (bareCpu > 0.85) {
      notes.push(`the load client used ${(bareCpu * 100).toFixed(0)}% of a core against the bare server: the baseline is partly client-bound, so the ratios flatter the emulator a little`);
    }
    return { figures, notes };
  } finally {
    await emulator?.close();
    await closeServer(bare.server);
  }
}
