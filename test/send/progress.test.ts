import { expect } from 'chai';
import { createProgress } from '../../src/send/progress.ts';
import type { DeliveryReport } from '../../src/send/deliver-calls.ts';
import type { PlannedCall } from '../../src/send/signal.ts';
import { sink } from '../integration/harness.ts';

const call = (index: number): PlannedCall => ({ index, events: [], signals: 1000, levels: { HIGH: 1000, MEDIUM: 0, LOW: 0 } });
const report = (accepted: number) => ({ acceptedSignals: accepted }) as DeliveryReport;

describe('send progress', () => {
  it('writes plain lines when the stream is no terminal', () => {
    const out = sink();
    const progress = createProgress(out);
    progress.start(2, 2000);
    progress.settled!(call(1), 'accepted', report(1000));
    progress.waiting!(59_750);
    progress.retrying!(call(2), 'HTTP 429');
    progress.settled!(call(2), 'accepted', report(2000));
    progress.stop();
    expect(out.text).to.equal(
      [
        'Sending 2000 signals in 2 calls.',
        'call 1/2: 1000 signals accepted (1000/2000 accepted)',
        'waiting 60 s for the rate-limit window to reset',
        'call 2/2: HTTP 429; sending it again',
        'call 2/2: 1000 signals accepted (2000/2000 accepted)',
        '',
      ].join('\n'),
    );
  });

  it('counts SETs, not calls, for --via ssf', () => {
    const out = sink();
    const progress = createProgress(out, { unit: 'SET' });
    const one: PlannedCall = { index: 1, events: [], signals: 1, levels: { HIGH: 1, MEDIUM: 0, LOW: 0 } };
    progress.start(2, 2);
    progress.retrying!(one, 'no answer (ECONNRESET), the same message (same jti)');
    progress.settled!(one, 'accepted', report(1));
    expect(out.text).to.equal(
      ['Sending 2 signals in 2 SETs.', 'SET 1/2: no answer (ECONNRESET), the same message (same jti); sending it again', 'SET 1/2: 1 signal accepted (1/2 accepted)', ''].join('\n'),
    );
  });

  it('draws a bar with signals, calls and the wait on a terminal', () => {
    const out = sink() as ReturnType<typeof sink> & { isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean };
    Object.assign(out, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const progress = createProgress(out);
    progress.start(2, 2000);
    progress.waiting!(30_000);
    progress.settled!(call(1), 'accepted', report(1000));
    progress.stop();
    expect(out.text).to.contain('calls 0/2 | waiting 30 s for the rate-limit window');
    expect(out.text).to.contain('1000/2000 | calls 1/2 | 1000 accepted');
    expect(out.text).not.to.contain('Sending 2000 signals');
  });
});
