/**
 * `send` with a DPoP-bound service app: `--dpop` sends proofs from the first token request, a bound app is
 * found without it, the org's token_type decides how the events calls are authorized, and a renewal reuses the
 * org's nonce. Every run is against the embedded emulator, which checks each proof (htm, htu, iat, jti, ath,
 * the binding) as Okta does.
 */
import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.ts';
import { formatSendSummary } from '../../src/send/format-summary.ts';
import { ndjson, sendToEmulator } from './helpers.ts';

const SWITCH_LINE = 'DPoP: the token endpoint answered invalid_dpop_proof "The DPoP proof JWT header is missing.": the app is DPoP-bound; switching to DPoP-bound tokens (as --dpop does) and sending the token request again with a DPoP proof.\n';

/** `sendToEmulator` with the flags first: most of these tests set flags only. */
const send = (input: string, flags: Parameters<typeof sendToEmulator>[2] = {}, emulator: Parameters<typeof sendToEmulator>[1] = {}, extra: Parameters<typeof sendToEmulator>[3] = {}) =>
  sendToEmulator(input, emulator, flags, extra);

/** The token endpoint's System Log events: the outcome of each, and the key thumbprint a success bound. */
function tokenRequests(emulator: Emulator): Array<{ result: string; jkt?: string }> {
  return emulator.store.logs
    .map((l) => l.event as { eventType: string; outcome?: { result: string }; debugContext?: { debugData?: { dpopKeyThumbprint?: string } } })
    .filter((e) => e.eventType.startsWith('app.oauth2.token.grant'))
    .map((e) => ({ result: e.outcome!.result, ...(e.debugContext?.debugData?.dpopKeyThumbprint && { jkt: e.debugContext.debugData.dpopKeyThumbprint }) }));
}

describe('send with a DPoP-bound service app', function () {
  this.timeout(30_000);

  it('with --dpop registers the emulator app DPoP-bound, answers the nonce challenge and delivers every signal', async () => {
    const { result, emulator } = await send(ndjson(1500), { dpop: true });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.dpop).to.equal(true);
    expect(emulator.store.signals).to.have.length(1500);
    const requests = tokenRequests(emulator);
    expect(requests.map((r) => r.result)).to.deep.equal(['CHALLENGE', 'SUCCESS']);
    expect(requests[1]!.jkt).to.be.a('string');
  });

  it('says in the summary that the token was DPoP-bound', async () => {
    const { result } = await send(ndjson(3), { dpop: true });
    expect(formatSendSummary(result)).to.include('with POST /api/v1/risk/events/ip (DPoP-bound token):');
  });

  it('finds a DPoP-bound app without --dpop, says so once on stderr, and delivers every signal', async () => {
    const { result, emulator, err } = await send(ndjson(3), {}, { dpopByDefault: true });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.dpop).to.equal(true);
    expect(err.text.split(SWITCH_LINE)).to.have.length(2);
    expect(tokenRequests(emulator).map((r) => r.result)).to.deep.equal(['FAILURE', 'CHALLENGE', 'SUCCESS']);
    expect(emulator.store.signals).to.have.length(3);
  });

  it('sends Bearer tokens, and says nothing of DPoP, when the app is not DPoP-bound', async () => {
    const { result, err } = await send(ndjson(3));
    expect(result.exitCode).to.equal(0);
    expect(result.dpop).to.equal(false);
    expect(err.text).to.not.include('DPoP');
    expect(formatSendSummary(result)).to.not.include('DPoP');
  });

  it("with --dpop and an app the org does not bind, uses the Bearer token the org answered", async () => {
    const { result, emulator } = await send(ndjson(3), { dpop: true }, { dpopByDefault: false });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.dpop).to.equal(false);
    expect(tokenRequests(emulator)).to.deep.equal([{ result: 'SUCCESS' }]);
    expect(emulator.store.signals).to.have.length(3);
  });

  it('renews a DPoP-bound token mid-stream with the nonce it holds, no second challenge', async () => {
    // One signal a call and one call a minute: 70 calls span 69 minutes, past the 60-minute token.
    const { result, emulator } = await send(ndjson(70), { dpop: true, eventsRateLimit: 1 }, {}, { limits: { eventsPerCall: 1, subjectsPerEvent: 1 } });
    expect(result.exitCode, formatSendSummary(result)).to.equal(0);
    expect(result.tokensMinted).to.equal(2);
    expect(tokenRequests(emulator).map((r) => r.result)).to.deep.equal(['CHALLENGE', 'SUCCESS', 'SUCCESS']);
    expect(emulator.store.signals).to.have.length(70);
  });

  it('prints no access token, DPoP proof or client assertion', async () => {
    const { out, err } = await send(ndjson(3), { dpop: true });
    expect(out.text + err.text).to.not.match(/eyJ[\w-]+\.[\w-]+/);
  });
});
