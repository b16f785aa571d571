import { expect } from 'chai';
import { MAX_QUEUED_EVENTS, packCalls } from '../../src/send/pack-calls.ts';
import { RISK_LEVELS, type PlannedCall, type RiskLevel, type Signal } from '../../src/send/signal.ts';
import { ipOf } from './helpers.ts';

async function pack(signals: Signal[]): Promise<PlannedCall[]> {
  const calls: PlannedCall[] = [];
  // The spool gives each level's signals in input order; so does this source.
  for await (const call of packCalls(async function* (level: RiskLevel) {
    for (const s of signals) if (s.riskLevel === level) yield s;
  })) calls.push(call);
  return calls;
}

function signals(n: number, level: (i: number) => RiskLevel = (i) => RISK_LEVELS[(i + 2) % 3]!, extra: (i: number) => Partial<Signal> = () => ({})): Signal[] {
  return Array.from({ length: n }, (_, i) => ({ ip: ipOf(i), riskLevel: level(i), ...extra(i) }));
}

const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);

describe('send packing', () => {
  for (const [n, calls] of [
    [1, 1],
    [1000, 1],
    [1001, 2],
    [50_000, 50],
  ] as const) {
    it(`packs ${n} signals into exactly ${calls} call${calls === 1 ? '' : 's'}, every call but the last full`, async () => {
      const planned = await pack(signals(n));
      expect(planned).to.have.length(calls);
      expect(planned.slice(0, -1).every((c) => c.signals === 1000 && c.events.length === 20)).to.equal(true);
      expect(planned.reduce((t, c) => t + c.signals, 0)).to.equal(n);
      expect(planned.every((c) => c.events.every((e) => e.subjects.length >= 1 && e.subjects.length <= 50))).to.equal(true);
    });
  }

  it('sends HIGH first, then MEDIUM, then LOW, though the input starts with LOW', async () => {
    const planned = await pack(signals(5000));
    // No call holds a level below one found in a later call.
    for (let i = 0; i + 1 < planned.length; i++) {
      const lowestHere = Math.max(...RISK_LEVELS.filter((l) => planned[i]!.levels[l] > 0).map(rank));
      const highestNext = Math.min(...RISK_LEVELS.filter((l) => planned[i + 1]!.levels[l] > 0).map(rank));
      expect(lowestHere).to.be.at.most(highestNext);
    }
    expect(planned[0]!.events[0]!.subjects[0]!.riskLevel).to.equal('HIGH');
    expect(planned.at(-1)!.events.at(-1)!.subjects.at(-1)!.riskLevel).to.equal('LOW');
  });

  it('puts subjects in one event only when they share timestamp and expiresAt', async () => {
    const stamps = ['2021-01-20T00:00:00.001Z', '2021-01-20T00:00:01.000Z'];
    const planned = await pack(signals(120, () => 'HIGH', (i) => ({ timestamp: stamps[i % 2]!, ...(i % 4 === 0 && { expiresAt: '2021-01-21T00:00:00Z' }) })));
    const events = planned.flatMap((c) => c.events);
    // Three pairs: (t0, exp) 30, (t0, none) 30, (t1, none) 60 → 1 + 1 + 2 events.
    expect(events.map((e) => [e.timestamp, e.expiresAt ?? null, e.subjects.length])).to.have.deep.members([
      [stamps[0], '2021-01-21T00:00:00Z', 30],
      [stamps[0], null, 30],
      [stamps[1], null, 50],
      [stamps[1], null, 10],
    ]);
    expect(planned).to.have.length(1);
  });

  it('interleaved pairs still fill whole events, as long as the open pairs fit the queue', async () => {
    const pairs = 40;
    const planned = await pack(signals(pairs * 50, () => 'MEDIUM', (i) => ({ timestamp: `2021-01-20T00:00:${String(i % pairs).padStart(2, '0')}Z` })));
    expect(pairs).to.be.below(MAX_QUEUED_EVENTS);
    expect(planned.map((c) => c.signals)).to.deep.equal([1000, 1000]);
  });

  it('omits timestamp and expiresAt from an event whose signals had none', async () => {
    const [call] = await pack(signals(1, () => 'LOW'));
    expect(call!.events).to.deep.equal([{ subjects: [{ ip: '10.0.0.0', riskLevel: 'LOW' }] }]);
  });
});
