import { expect } from 'chai';
import { FOLDER_ORDER, FOLDER_REQUESTS, FOLDERS, REQUESTS, type FolderName, type RequestName } from '../../src/collection/collection.ts';
import { RUN_REQUESTS, SKIP, runPhases, type Phase, type PhaseRunner, type PhaseStart } from '../../src/run/phases.ts';
import { StepRunner, type Segment } from '../../src/run/step-runner.ts';
import { loadCollection } from '../../src/run/verify.ts';
import { verifyPhases } from '../../src/run/verify-phases.ts';

/** A phase's requests: the ones it names, or its whole folder. */
function requestsOf(phase: Pick<Phase<string>, 'folder' | 'requests'>): readonly RequestName[] {
  return phase.requests ?? FOLDER_REQUESTS[phase.folder];
}

type Id = 'a' | 'b' | 'c' | 'end';

/**
 * A runner that runs no Newman: each pass enters the later segments' boundaries in turn, as a pass does, and
 * "fails for good" at the segments named in `failAt` (by their first request).
 */
class FakeRunner implements PhaseRunner {
  healthy = true;
  readonly passes: RequestName[][][] = [];
  finalPhases = 0;
  constructor(readonly failAt: RequestName[] = []) {}
  requestsOf(folder: FolderName): readonly RequestName[] {
    return FOLDER_REQUESTS[folder];
  }
  beginFinalPhase(): void {
    this.healthy = true;
    this.finalPhases++;
  }
  async pass(segments: readonly Segment[], enter?: (index: number) => Promise<PhaseStart>): Promise<{ next: number; entered?: PhaseStart }> {
    this.passes.push(segments.map((s) => [...s.requests]));
    for (let i = 0; i < segments.length; i++) {
      if (i > 0 && enter) {
        const start = await enter(i);
        if (start.kind !== 'requests') return { next: i, entered: start };
      }
      if (this.failAt.includes(segments[i]!.requests[0]!)) {
        this.healthy = false;
        return { next: i + 1 };
      }
    }
    return { next: segments.length };
  }
}

/** Four phases over the first folders; `end` is final. */
function phases(overrides: Partial<Record<Id, Partial<Phase<Id>>>> = {}): Array<Phase<Id>> {
  return [
    { id: 'a', folder: FOLDERS.createServiceApp, ...overrides.a },
    { id: 'b', folder: FOLDERS.updateProvider, ...overrides.b },
    { id: 'c', folder: FOLDERS.confirmSystemLog, ...overrides.c },
    { id: 'end', folder: FOLDERS.tearDown, final: true, ...overrides.end },
  ];
}

async function walk(list: Array<Phase<Id>>, runner: FakeRunner, aborted = () => false): Promise<Id[]> {
  const announced: Id[] = [];
  await runPhases(list, { runner, aborted, onPhase: (id) => void announced.push(id) });
  return announced;
}

describe('the phase loop', () => {
  it('runs every phase in one pass while all goes well, announcing each boundary in order', async () => {
    const runner = new FakeRunner();
    expect(await walk(phases(), runner)).to.deep.equal(['a', 'b', 'c', 'end']);
    expect(runner.passes).to.have.length(1);
  });

  it('skips the phases after one that failed for good, still announcing them, and runs the final phase', async () => {
    const runner = new FakeRunner([REQUESTS.listProviders]);
    const ran: Id[] = [];
    const list = phases({ c: { before: async () => void ran.push('c') }, end: { before: async () => void ran.push('end') } });
    expect(await walk(list, runner)).to.deep.equal(['a', 'b', 'c', 'end']);
    expect(ran).to.deep.equal(['end']);
    expect(runner.passes.at(-1)).to.deep.equal([[REQUESTS.restoreProvider, REQUESTS.revokeGrant, REQUESTS.deactivateApp, REQUESTS.deleteApp]]);
  });

  it('skips every phase that is not final once Ctrl-C was pressed', async () => {
    const runner = new FakeRunner();
    let pressed = false;
    const list = phases({ a: { before: async () => void (pressed = true) } });
    await walk(list, runner, () => pressed);
    expect(runner.passes.map((p) => p[0]![0])).to.deep.equal([REQUESTS.createClient, REQUESTS.restoreProvider]);
  });

  it('runs only the requests a boundary names, in a pass of their own', async () => {
    const runner = new FakeRunner();
    await walk(phases({ end: { before: async () => ({ kind: 'only', requests: [REQUESTS.revokeGrant] }) } }), runner);
    expect(runner.passes.at(-1)).to.deep.equal([[REQUESTS.revokeGrant]]);
  });

  it('lets a phase run itself, and goes on with the next in a new pass', async () => {
    const runner = new FakeRunner();
    let own = 0;
    await walk(phases({ b: { before: async () => ({ kind: 'own', run: async () => void own++ }) } }), runner);
    expect(own).to.equal(1);
    expect(runner.passes.map((p) => p[0]![0])).to.deep.equal([REQUESTS.createClient, REQUESTS.findRiskSignal]);
  });

  it('enters a boundary once, even when the pass stopped there', async () => {
    const runner = new FakeRunner();
    const announced = await walk(phases({ b: { before: async () => SKIP } }), runner);
    expect(announced).to.deep.equal(['a', 'b', 'c', 'end']);
  });

  it('runs the final phase after a boundary threw, skips the phases between unannounced, and throws the error again', async () => {
    const runner = new FakeRunner();
    const failure = new Error('the org refused');
    const list = phases({ b: { before: async () => Promise.reject(failure) } });
    const announced: Id[] = [];
    let thrown: unknown;
    await runPhases(list, { runner, aborted: () => false, onPhase: (id) => void announced.push(id) }).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(failure);
    expect(announced).to.deep.equal(['a', 'b', 'end']);
    expect(runner.finalPhases).to.equal(1);
  });

  it('starts a pass with all its phases when a boundary says so', async () => {
    const runner = new FakeRunner();
    await walk(phases({ a: { before: async () => RUN_REQUESTS } }), runner);
    expect(runner.passes[0]!.flat()).to.have.length(10);
  });
});

describe("verify's phase table", () => {
  const table = verifyPhases({
    // Declaring the table touches none of these; only its hooks and boundaries would.
    ctx: { env: {}, journal: {}, settings: {} } as never,
    runner: {} as never,
    checks: {} as never,
    choice: { kind: 'existing', id: 'rkp1' },
    events: [],
    dpop: {} as never,
    onPhase: async () => {},
    keepForPostman: async () => {},
    tornDown: () => {},
  });

  it("names verify's boundaries in the guide's order, the teardown last and final", () => {
    expect(table.map((p) => [p.id, p.final === true])).to.deep.equal([
      ['create-service-app', false],
      ['update-provider', false],
      ['test-integration', false],
      ['send-risk-events', false],
      ['confirm-system-log', false],
      ['tear-down', true],
    ]);
  });

  it("covers every request of the collection once, in the collection's order", () => {
    expect(table.flatMap((p) => [...requestsOf(p)])).to.deep.equal(FOLDER_ORDER.flatMap((folder) => [...FOLDER_REQUESTS[folder]]));
  });

  it('puts each phase\'s requests in its own folder', () => {
    for (const phase of table) expect(FOLDER_REQUESTS[phase.folder]).to.include.members([...requestsOf(phase)]);
  });
});

describe('the Newman target of a pass', () => {
  let targetOf: (requests: readonly RequestName[]) => string | string[];
  before(async () => {
    // Declaring a runner sends nothing: it only reads the collection's folder order.
    const runner = new StepRunner({ collection: await loadCollection(), context: {} as never, cli: false });
    targetOf = (requests) => runner.targetOf(requests);
  });

  it("names a folder when all of its requests are in the pass", () => {
    expect(targetOf([REQUESTS.findRiskSignal, REQUESTS.restoreProvider, REQUESTS.revokeGrant, REQUESTS.deactivateApp, REQUESTS.deleteApp])).to.deep.equal([
      FOLDERS.confirmSystemLog,
      FOLDERS.tearDown,
    ]);
  });

  it('names the requests of a folder only part of which is in the pass', () => {
    expect(targetOf([REQUESTS.sendRiskEvents, REQUESTS.findRiskSignal])).to.deep.equal([REQUESTS.sendRiskEvents, FOLDERS.confirmSystemLog]);
  });

  it('names one request alone as a string', () => {
    expect(targetOf([REQUESTS.revokeGrant])).to.equal(REQUESTS.revokeGrant);
  });
});
