/**
 * The SSF flow's push phase (src/ssf/ssf-phases.ts) on its own: how it hands each SET to the collection's one
 * push request (the pause before each push, `setsLeft`), what a retry resends, and the System Log phase's
 * refusal to start with SETs unsent. No Newman and no org: the phase's hooks are called as the step runner
 * calls them, with a real key, so every SET is really signed.
 */
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { SSF_REQUESTS, type SsfFolderName, type SsfRequestName, type SsfVariableName } from '../../src/collection/ssf-collection.ts';
import { HarnessError } from '../../src/errors.ts';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { RUN_REQUESTS, type Phase } from '../../src/run/phases.ts';
import { Redactor } from '../../src/run/redact.ts';
import { RunContext } from '../../src/run/run-context.ts';
import type { StepRunner } from '../../src/run/step-runner.ts';
import { userRiskChange } from '../../src/ssf/signal-events.ts';
import { SET_RESEND_WINDOW_MS, ssfPhases, type SsfPhaseId } from '../../src/ssf/ssf-phases.ts';
import { rejectionOf } from '../helpers/errors.ts';

type SsfPhase = Phase<SsfPhaseId, SsfFolderName, SsfRequestName>;
const PUSH = SSF_REQUESTS.pushSet;
const EMAIL = 'admin@example.com';

describe('the SSF flow’s push phase', function () {
  this.timeout(20_000);
  let keys: ProviderKeyPair;
  let clock: number;
  let ctx: RunContext<SsfVariableName>;
  let boundaries: SsfPhaseId[];
  let push: SsfPhase;
  let confirm: SsfPhase;
  let tearDown: SsfPhase;

  before(async () => {
    keys = await generateProviderKeyPair();
  });

  beforeEach(() => {
    clock = Date.UTC(2026, 11, 6, 12);
    boundaries = [];
    ctx = new RunContext<SsfVariableName>({
      // The phase reads the environment, the keys, the clock, the redactor and the signal.
      settings: {} as never,
      runId: 'unit',
      orgUrl: 'http://127.0.0.1:9',
      org: {} as never,
      journal: { data: {} } as never,
      keys,
      redactor: new Redactor(),
      clock: { now: () => clock, sleep: async (ms) => void (clock += ms) },
      environment: { securityEventToken: '', setsLeft: '' },
      signal: undefined,
      log: () => {},
    });
    const events = [
      userRiskChange({ email: EMAIL, current: 'low', previous: 'none', reason: 'unit', atMs: clock }),
      userRiskChange({ email: EMAIL, current: 'none', previous: 'low', reason: 'unit', atMs: clock }),
    ];
    const runner = { healthy: true } as unknown as StepRunner<SsfFolderName, SsfRequestName>;
    const phases = ssfPhases({ ctx, runner, issuer: 'https://transmitter.example.com', events, onPhase: async (id) => void boundaries.push(id), log: () => {} });
    [, push, confirm, tearDown] = phases as [SsfPhase, SsfPhase, SsfPhase, SsfPhase];
  });

  /** The pause before a push in the pass: what Newman's beforeItem hands the phase. */
  const pauseBeforePush = (): Promise<'go' | 'stop'> | undefined => push.hooks!.beforeItem!(PUSH);
  const answer = (status: number): void => push.hooks!.afterResponse!({ name: PUSH, status, body: '', headers: {} });
  const token = (): string => ctx.env.get('securityEventToken');
  const jti = (): unknown => decodeJwt(token()).jti;

  it('puts the first SET in securityEventToken at the pause before the first push, and says one more follows', async () => {
    expect(await pauseBeforePush()).to.equal('go');
    expect({ events: Object.keys(decodeJwt(token()).events as object).length, setsLeft: ctx.env.get('setsLeft') }).to.deep.equal({ events: 1, setsLeft: '1' });
  });

  it('crosses a boundary before the second SET, mints it, and says none follows', async () => {
    await pauseBeforePush();
    const first = jti();
    answer(202);
    expect(await pauseBeforePush()).to.equal('go');
    expect({ boundaries, setsLeft: ctx.env.get('setsLeft'), newJti: jti() !== first }).to.deep.equal({ boundaries: ['push-security-event-tokens'], setsLeft: '0', newJti: true });
  });

  it('clears securityEventToken as soon as a push is answered', async () => {
    await pauseBeforePush();
    answer(202);
    expect(token()).to.equal('');
  });

  it('stops the run at the boundary before the next SET after Ctrl-C, minting nothing', async () => {
    const controller = new AbortController();
    Object.defineProperty(ctx, 'signal', { value: controller.signal });
    await pauseBeforePush();
    answer(202);
    controller.abort();
    expect({ step: await pauseBeforePush(), token: token() }).to.deep.equal({ step: 'stop', token: '' });
  });

  it('resends the SET in flight as it is when its push goes again alone, within the resend window', async () => {
    await pauseBeforePush();
    const sent = token();
    answer(500);
    clock += SET_RESEND_WINDOW_MS;
    expect({ go: await push.prepare![PUSH]!(), same: token() === sent, setsLeft: ctx.env.get('setsLeft'), paused: pauseBeforePush() }).to.deep.equal({ go: true, same: true, setsLeft: '0', paused: undefined });
  });

  it('mints the SET in flight afresh past the resend window when every attempt was refused with a 429', async () => {
    await pauseBeforePush();
    const first = jti();
    push.hooks!.beforeRequest!(PUSH);
    answer(429);
    clock += SET_RESEND_WINDOW_MS + 1;
    expect({ go: await push.prepare![PUSH]!(), newJti: jti() !== first }).to.deep.equal({ go: true, newJti: true });
  });

  it('does not send the SET in flight again past the resend window after a 5xx (the org may have taken it)', async () => {
    await pauseBeforePush();
    answer(500);
    clock += SET_RESEND_WINDOW_MS + 1;
    expect(await push.prepare![PUSH]!()).to.equal(false);
  });

  it('does not send the SET in flight again past the resend window after a lost answer (the org may have taken it)', async () => {
    await pauseBeforePush();
    push.hooks!.beforeRequest!(PUSH);
    clock += SET_RESEND_WINDOW_MS + 1;
    expect(await push.prepare![PUSH]!()).to.equal(false);
  });

  it('resends the SET in flight after a lost answer within the resend window', async () => {
    await pauseBeforePush();
    const sent = token();
    push.hooks!.beforeRequest!(PUSH);
    clock += 1000;
    expect({ go: await push.prepare![PUSH]!(), same: token() === sent }).to.deep.equal({ go: true, same: true });
  });

  it('asks for another push alone while SETs are left, crossing the boundary first, and none once all went', async () => {
    await pauseBeforePush();
    answer(202);
    const more = await push.again![PUSH]!();
    await pauseBeforePush();
    answer(202);
    expect({ more, boundaries, after: await push.again![PUSH]!() }).to.deep.equal({ more: true, boundaries: ['push-security-event-tokens'], after: false });
  });

  it('goes on to the System Log check once every SET was pushed', async () => {
    for (let i = 0; i < 2; i++) {
      await pauseBeforePush();
      answer(202);
    }
    expect(await confirm.before!()).to.deep.equal(RUN_REQUESTS);
  });

  it('refuses to start the System Log check with SETs unsent (the collection no longer repeats its push): ERR_RUN_BROKEN, exit code 3', async () => {
    await pauseBeforePush();
    answer(202);
    const error = await rejectionOf(confirm.before!());
    expect(error).to.be.instanceOf(HarnessError);
    expect({ code: (error as HarnessError).code, exitCode: (error as HarnessError).exitCode, message: (error as Error).message }).to.deep.equal({
      code: 'ERR_RUN_BROKEN',
      exitCode: 3,
      message: `The collection pushed 1 of the run's 2 SETs: its request "${PUSH}" did not go again while setsLeft was above 0.`,
    });
  });

  it('leaves no SET in the environment at the teardown, even one whose answer was lost', async () => {
    await pauseBeforePush();
    await tearDown.before!();
    expect({ token: token(), setsLeft: ctx.env.get('setsLeft') }).to.deep.equal({ token: '', setsLeft: '' });
  });
});
