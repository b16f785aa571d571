/**
 * One memory run in a process of its own (started with --expose-gc): an emulator on loopback, provisioned as
 * `send` does it (DCR, grant, linked provider, a real token from the token endpoint), then `calls` accepted
 * risk events calls over keep-alive HTTP, 16 in flight, each one event of one subject with its own IP and a
 * 60-character message. Prints one JSON line: the emulator's live heap after a forced collection, before and
 * after the calls, and what its stores hold.
 *
 * Arguments: calls
 */
import { Agent, request } from 'node:http';
import { mintClientAssertion } from '../../src/assertion/mint-client-assertion.ts';
import { generateProviderKeyPair } from '../../src/keys/index.ts';
import { RISK_EVENTS_PATH } from '../../src/okta/risk-events.ts';
import { provisionEmulator } from '../../src/send/provision-emulator.ts';

const calls = Number(process.argv[2]);
if (!Number.isInteger(calls) || calls < 1) throw new TypeError(`calls must be a positive integer, got ${process.argv[2]}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const IN_FLIGHT = 16;
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function post(url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => void (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const liveHeapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const keys = await generateProviderKeyPair();
const org = await provisionEmulator({
  keys,
  clock: { now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
  emulator: { eventsRateLimit: 1_000_000_000 },
});
try {
  const assertion = await mintClientAssertion({ clientId: org.clientId, orgUrl: org.orgUrl, privateKey: keys.privateJwk });
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: 'okta.riskEvents.manage',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }).toString();
  const token = await post(new URL('/oauth2/v1/token', org.orgUrl), { 'content-type': 'application/x-www-form-urlencoded' }, form);
  if (token.status !== 200) throw new Error(`the token request answered ${token.status}`);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${(JSON.parse(token.text) as { access_token: string }).access_token}` };
  const eventsUrl = new URL(RISK_EVENTS_PATH, org.orgUrl);

  const before = liveHeapMb();
  let next = 0;
  let accepted = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const body = JSON.stringify([{ timestamp: new Date().toISOString(), subjects: [{ ip, riskLevel: 'HIGH', message: `Detected suspicious activity from a known botnet node ${i}` }] }]);
      const res = await post(eventsUrl, headers, body);
      if (res.status !== 202) throw new Error(`events call ${i} answered ${res.status}: ${res.text.slice(0, 200)}`);
      accepted += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ms = performance.now() - started;
  agent.destroy();
  const after = liveHeapMb();
  const { store } = org.emulator;
  process.stdout.write(
    `${JSON.stringify({ calls: accepted, ms, heapBeforeMb: before, heapAfterMb: after, logs: store.logs.length, signals: store.signals.length, assertionJtis: store.usedJtis.size })}\n`,
  );
} finally {
  await org.close();
}
