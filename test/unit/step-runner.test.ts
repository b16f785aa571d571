/**
 * The step runner's pass (src/run/step-runner.ts) on its own: a small collection of three folders, run by
 * the real Newman against a loopback server that answers each request as a test tells it to. No org, no
 * journal: what is checked is how many Newman runs a pass makes, what reaches the server and when, and
 * what the pass hands back to the phase loop.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SKIP, type PhaseStart } from '../../src/run/phases.ts';
import { Redactor } from '../../src/run/redact.ts';
import { RunContext } from '../../src/run/run-context.ts';
import { StepRunner, type CollectionLayout, type RetryPolicy, type Segment } from '../../src/run/step-runner.ts';

type Folder = 'A' | 'B' | 'C';
type Name = 'a1' | 'a2' | 'b1' | 'c1' | 'c2';

const FOLDER_REQUESTS: { readonly [F in Folder]: readonly Name[] } = { A: ['a1', 'a2'], B: ['b1'], C: ['c1', 'c2'] };
const LAYOUT: CollectionLayout<Folder, Name> = { folderRequests: FOLDER_REQUESTS, secretKeys: [] };

/**
 * Each request GETs /<its name> and asserts a 200, as the shared collection's requests assert their status;
 * a 429 it leaves to the runner, as the shared collection's events request does.
 */
function collection(): object {
  return {
    info: { name: 'pass', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
    item: (Object.entries(FOLDER_REQUESTS) as Array<[Folder, readonly Name[]]>).map(([folder, names]) => ({
      name: folder,
      item: names.map((name) => ({
        name,
        request: { method: 'GET', url: `{{base}}/${name}` },
        event: [{ listen: 'test', script: { exec: [`if (pm.response.code !== 429) pm.test('${name} answers 200', () => pm.response.to.have.status(200));`] } }],
      })),
    })),
  };
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
}

/** A loopback server that logs each path it is asked for, and answers from a per-path queue (default 200). */
class ScriptedServer {
  readonly seen: string[] = [];
  readonly #answers = new Map<string, Answer[]>();
  readonly #server: Server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    this.seen.push(name);
    const answer = this.#answers.get(name)?.shift() ?? { status: 200 };
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end('{}');
  });

  answer(name: Name, ...answers: Answer[]): void {
    this.#answers.set(name, answers);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const segment = (folder: Folder, policies: Partial<Record<Name, RetryPolicy>> = {}): Segment<Name> => ({ requests: FOLDER_REQUESTS[folder], policies });
const ALL = (): Segment<Name>[] => [segment('A'), segment('B'), segment('C')];
const go = async (): Promise<PhaseStart<Name>> => ({ kind: 'requests' });

describe('the step runner’s pass', () => {
  let server: ScriptedServer;
  let runner: StepRunner<Folder, Name>;
  let clock: number;
  let base: string;

  beforeEach(async () => {
    server = new ScriptedServer();
    base = await server.listen();
    clock = Date.UTC(2026, 11, 4, 12);
    const context = new RunContext<string>({
      // A pass reads only the environment, the redactor, the clock, the signal and the log.
      settings: {} as never,
      runId: 'unit',
      orgUrl: base,
      org: {} as never,
      journal: {} as never,
      keys: {} as never,
      redactor: new Redactor(),
      clock: { now: () => clock, sleep: async (ms) => void (clock += ms) },
      environment: { base },
      signal: undefined,
      log: () => {},
    });
    runner = new StepRunner<Folder, Name>({ collection: collection(), layout: LAYOUT, context, cli: false });
  });

  afterEach(() => server.close());

  it('runs every segment in one Newman run, in collection order, while each boundary says go on', async () => {
    const settled = await runner.pass(ALL(), go);
    expect({ settled, runs: runner.reportRuns.length, seen: server.seen }).to.deep.equal({ settled: { next: 3 }, runs: 1, seen: ['a1', 'a2', 'b1', 'c1', 'c2'] });
  });

  it('enters each later segment with Newman paused before its first request', async () => {
    const seenAtBoundary: string[][] = [];
    await runner.pass(ALL(), async () => {
      // A boundary's work takes real I/O (minting, calls to the org): Newman must not go on meanwhile. Fifty
      // round trips to the server give a Newman run that was not paused the time to send what comes next.
      const before = server.seen.length;
      for (let trip = 0; trip < 50 && server.seen.length - trip === before; trip++) await fetch(`${base}/boundary`);
      seenAtBoundary.push(server.seen.filter((name) => name !== 'boundary'));
      return { kind: 'requests' };
    });
    expect(seenAtBoundary).to.deep.equal([['a1', 'a2'], ['a1', 'a2', 'b1']]);
  });

  it('ends the run at a boundary that does not go on, and hands back where and how', async () => {
    const settled = await runner.pass(ALL(), async (i) => (i === 1 ? SKIP : { kind: 'requests' }));
    expect({ settled, seen: server.seen }).to.deep.equal({ settled: { next: 1, entered: SKIP }, seen: ['a1', 'a2'] });
  });

  it('throws what a boundary threw once Newman has stopped, with nothing of that segment sent', async () => {
    const refused = new Error('the org refused the provider');
    const thrown = await runner.pass(ALL(), () => Promise.reject(refused)).catch((error: unknown) => error);
    expect({ thrown, seen: server.seen }).to.deep.equal({ thrown: refused, seen: ['a1', 'a2'] });
  });

  it('ends the run after a request that failed for good, sending nothing after it', async () => {
    server.answer('a2', { status: 400 });
    const settled = await runner.pass(ALL(), go);
    expect({ settled, healthy: runner.healthy, seen: server.seen }).to.deep.equal({ settled: { next: 1 }, healthy: false, seen: ['a1', 'a2'] });
  });

  it('sends an idempotent request again on its own after a 500, then the rest of its segment a request at a time', async () => {
    server.answer('a1', { status: 500 });
    const settled = await runner.pass([segment('A', { a1: { kind: 'idempotent' } }), segment('B'), segment('C')], go);
    expect({ settled, runs: runner.reportRuns.length, seen: server.seen }).to.deep.equal({ settled: { next: 1 }, runs: 3, seen: ['a1', 'a1', 'a2'] });
  });

  it('sends a retried request again on its own while its segment’s `again` says so, then the rest of its segment', async () => {
    server.answer('a1', { status: 500 });
    let left = 2;
    const repeated: Segment<Name> = { ...segment('A', { a1: { kind: 'idempotent' } }), again: { a1: async () => left-- > 0 } };
    const settled = await runner.pass([repeated, segment('B')], go);
    expect({ settled, runs: runner.reportRuns.length, seen: server.seen }).to.deep.equal({ settled: { next: 1 }, runs: 5, seen: ['a1', 'a1', 'a1', 'a1', 'a2'] });
  });

  it('stops repeating a request, and its segment, once a repeat fails for good', async () => {
    server.answer('a1', { status: 500 }, { status: 200 }, { status: 404 });
    const repeated: Segment<Name> = { ...segment('A', { a1: { kind: 'idempotent' } }), again: { a1: async () => true } };
    await runner.pass([repeated, segment('B')], go);
    expect({ healthy: runner.healthy, seen: server.seen }).to.deep.equal({ healthy: false, seen: ['a1', 'a1', 'a1'] });
  });

  it('keeps only the last attempt of a retried request in the report, naming the one it replaced', async () => {
    server.answer('a1', { status: 500 });
    await runner.pass([segment('A', { a1: { kind: 'idempotent' } })], go);
    expect(runner.phases[0]!.requests.map((r) => [r.name, r.status, r.retries])).to.deep.equal([
      ['a1', 200, ['HTTP 500']],
      ['a2', 200, []],
    ]);
  });

  it('does not send a request again after a 500 when its policy does not allow it', async () => {
    server.answer('a1', { status: 500 });
    const settled = await runner.pass(ALL(), go);
    expect({ settled, passed: runner.phases[0]!.passed, seen: server.seen }).to.deep.equal({ settled: { next: 1 }, passed: false, seen: ['a1'] });
  });

  it('ends the run at a 429 its script let pass, waits until X-Rate-Limit-Reset on the run’s clock, then sends it again', async () => {
    const reset = Math.floor(clock / 1000) + 30;
    server.answer('b1', { status: 429, headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } });
    const started = clock;
    await runner.pass(ALL(), go);
    expect({ waitedAtLeast30s: clock - started >= 30_000, seen: server.seen }).to.deep.equal({ waitedAtLeast30s: true, seen: ['a1', 'a2', 'b1', 'b1'] });
  });

  it('goes a request at a time while a route is still waiting out its rate limit', async () => {
    server.answer('a2', { status: 200, headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(clock / 1000) + 10) } });
    await runner.pass([segment('A')], go);
    const runsBefore = runner.reportRuns.length;
    await runner.pass([segment('A'), segment('B')], go);
    expect({ runs: runner.reportRuns.length - runsBefore, seen: server.seen.slice(2) }).to.deep.equal({ runs: 2, seen: ['a1', 'a2'] });
  });
});
