import { expect } from 'chai';
import { describeCause, withRetries, type Attempt, type RetryCause, type RetryPlan } from '../../src/run/retry.ts';

const r429: RetryCause = { kind: 'rate-limited' };
const r500: RetryCause = { kind: 'server-error', status: 500 };

/** A plan whose attempts answer the given causes in turn (undefined: the attempt counts). */
function plan(answers: Array<RetryCause | undefined>, extra: Partial<RetryPlan<number>> = {}): RetryPlan<number> & { waits: number[]; sent: number } {
  const p: RetryPlan<number> & { waits: number[]; sent: number } = {
    waits: [] as number[],
    sent: 0,
    maxAttempts: 5,
    allows: () => true,
    attempt: async (n: number): Promise<Attempt<number>> => {
      p.sent++;
      return { result: n, cause: answers[n - 1] };
    },
    delayMs: (cause: RetryCause, made: number) => (cause.kind === 'rate-limited' ? 60_000 : 100 * made),
    wait: async (ms: number): Promise<boolean> => (p.waits.push(ms), true),
    ...extra,
  };
  return p;
}

describe('the retry engine', () => {
  it('answers with the first attempt that counts, naming the causes before it', async () => {
    const p = plan([r429, r500, undefined]);
    expect(await withRetries(p)).to.deep.equal({ kind: 'answered', result: 3, retries: [r429, r500] });
  });

  it('waits what the plan says before each new attempt', async () => {
    const p = plan([r429, r500, undefined]);
    await withRetries(p);
    expect(p.waits).to.deep.equal([60_000, 200]);
  });

  it('gives up after maxAttempts, with the last cause', async () => {
    const p = plan([r500, r500, r500], { maxAttempts: 3 });
    expect(await withRetries(p)).to.deep.equal({ kind: 'gave-up', result: 3, cause: r500, retries: [r500, r500] });
  });

  it('sends a 429 again even when the plan allows no other retry', async () => {
    const p = plan([r429, undefined], { allows: () => false });
    expect((await withRetries(p)).kind).to.equal('answered');
  });

  it('does not send a 5xx again when the plan does not allow it', async () => {
    const p = plan([r500, undefined], { allows: () => false });
    expect(await withRetries(p)).to.deep.equal({ kind: 'gave-up', result: 1, cause: r500, retries: [] });
  });

  it('adopts an attempt the org had acted on instead of sending it again', async () => {
    const p = plan([r500, undefined], { decide: async () => 'adopt' });
    expect(await withRetries(p)).to.deep.equal({ kind: 'adopted', result: 1, retries: [{ kind: 'adopted', after: r500 }] });
    expect(p.sent).to.equal(1);
  });

  it('stops without sending again when the org cannot tell', async () => {
    const p = plan([r500, undefined], { decide: async () => 'unknown' });
    expect(await withRetries(p)).to.deep.equal({ kind: 'unknown', result: 1, cause: r500, retries: [] });
  });

  it('does not ask the plan before sending a 429 again', async () => {
    let asked = 0;
    const p = plan([r429, undefined], { decide: async () => (asked++, 'stop') });
    await withRetries(p);
    expect(asked).to.equal(0);
  });

  it('goes on from an attempt already made', async () => {
    const p = plan([undefined, undefined], { first: { result: 0, cause: r500 } });
    expect(await withRetries(p)).to.deep.equal({ kind: 'answered', result: 2, retries: [r500] });
    expect(p.sent).to.equal(1);
  });

  it('sends nothing more once a wait is cut short', async () => {
    const p = plan([r429, undefined], { wait: async () => false });
    expect(await withRetries(p)).to.deep.equal({ kind: 'interrupted', result: 1, retries: [r429] });
    expect(p.sent).to.equal(1);
  });

  it('stops when the step before an attempt says so', async () => {
    const p = plan([r429, undefined], { before: async () => (p.sent > 0 ? 'stop' : 'go') });
    expect((await withRetries(p)).kind).to.equal('stopped');
  });

  it('describes each cause as the summary shows it', () => {
    expect([r429, r500, { kind: 'no-answer', detail: 'connection reset' }, { kind: 'adopted', after: r500 }].map((c) => describeCause(c as RetryCause))).to.deep.equal([
      'HTTP 429',
      'HTTP 500',
      'connection reset',
      'HTTP 500; the org had done it',
    ]);
  });
});
