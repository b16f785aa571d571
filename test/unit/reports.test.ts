/**
 * The merged reports (src/run/reports.ts): a verify that retried a request made several Newman runs (the
 * retried request runs alone), and the reports must read as one pass over the collection, with superseded attempts left out and no secret on disk. Hand-made summaries,
 * no org and no Newman run.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { NewmanRunSummary } from 'newman';
import { REQUESTS, SECRET_VARIABLES } from '../../src/collection/collection.ts';
import { REDACTED, Redactor } from '../../src/run/redact.ts';
import { HTMLEXTRA_FILE, mergeSummaries, writeReports, type ReportRun } from '../../src/run/reports.ts';
import { ACCESS_TOKEN, API_TOKEN, ASSERTION, CALLS, STARTED, summaryOf, type Call } from '../helpers/report-fixtures.ts';

type Run = Record<string, any>;
const runOf = (summary: NewmanRunSummary): Run => summary.run as unknown as Run;
const names = (summary: NewmanRunSummary): string[] => runOf(summary).executions.map((e: any) => e.item.name);

/** A call whose first attempt got a 503 and whose retry passed. */
const superseded: Call = { ...CALLS.listClients, status: 503, statusText: 'Service Unavailable', assertions: [['Status is 200 OK', 'expected 503 to be 200']] };

/** A summary with its failures filled as Newman fills them: one per failed assertion, named by its request, with its execution's cursor. */
function withFailures(summary: NewmanRunSummary): NewmanRunSummary {
  const run = runOf(summary);
  run.failures = run.executions.flatMap((e: any) =>
    (e.assertions ?? []).filter((a: any) => a.error).map((a: any) => ({ error: a.error, source: { name: e.item.name }, at: 'assertion', cursor: e.cursor })),
  );
  return summary;
}

/** The summary with the cursor refs of its executions at `positions` to drop: what the step runner hands over for superseded attempts. */
function dropping(summary: NewmanRunSummary, ...positions: number[]): ReportRun {
  return { summary, dropRefs: positions.map((i) => runOf(summary).executions[i].cursor.ref) };
}

describe('merged reports: mergeSummaries', () => {
  it('keeps every run’s executions, in run order', () => {
    const merged = mergeSummaries([
      { summary: summaryOf([CALLS.createClient, CALLS.listClients], STARTED, STARTED + 100) },
      { summary: summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300) },
    ]);
    expect(names(merged)).to.deep.equal([REQUESTS.createClient, REQUESTS.listClients, REQUESTS.listProviders]);
  });

  it('leaves out the executions a run names in dropRefs', () => {
    const merged = mergeSummaries([
      dropping(summaryOf([superseded], STARTED, STARTED + 100), 0),
      { summary: summaryOf([CALLS.listClients], STARTED + 200, STARTED + 300) },
    ]);
    expect(runOf(merged).executions.map((e: any) => e.response.code)).to.deep.equal([200]);
  });

  it('drops a superseded attempt only from the run that names it', () => {
    const later = summaryOf([CALLS.listClients], STARTED + 200, STARTED + 300);
    const merged = mergeSummaries([
      { summary: summaryOf([CALLS.createClient], STARTED, STARTED + 100), dropRefs: [runOf(later).executions[0].cursor.ref] },
      { summary: later },
    ]);
    expect(names(merged)).to.deep.equal([REQUESTS.createClient, REQUESTS.listClients]);
  });

  it('keeps the passed executions of a request the collection repeated in one run, dropping only the superseded one', () => {
    const merged = mergeSummaries([
      dropping(withFailures(summaryOf([CALLS.listClients, superseded], STARTED, STARTED + 100)), 1),
      { summary: summaryOf([CALLS.listClients], STARTED + 200, STARTED + 300) },
    ]);
    expect({ codes: runOf(merged).executions.map((e: any) => e.response.code), failures: runOf(merged).failures }).to.deep.equal({ codes: [200, 200], failures: [] });
  });

  it('leaves out the failures of a dropped attempt', () => {
    const merged = mergeSummaries([
      dropping(withFailures(summaryOf([superseded], STARTED, STARTED + 100)), 0),
      { summary: withFailures(summaryOf([CALLS.listClients], STARTED + 200, STARTED + 300)) },
    ]);
    expect(runOf(merged).failures).to.deep.equal([]);
  });

  it('keeps the failures of a kept request', () => {
    const merged = mergeSummaries([{ summary: withFailures(summaryOf([superseded], STARTED, STARTED + 100)) }]);
    expect(runOf(merged).failures.map((f: any) => f.source.name)).to.deep.equal([REQUESTS.listClients]);
  });

  it('counts requests again from the kept executions', () => {
    const merged = mergeSummaries([
      dropping(summaryOf([superseded, CALLS.grantScope], STARTED, STARTED + 100), 0),
      { summary: summaryOf([CALLS.listClients], STARTED + 200, STARTED + 300) },
    ]);
    expect(runOf(merged).stats.requests).to.deep.equal({ total: 2, pending: 0, failed: 0 });
  });

  it('counts a kept execution with a request error as a failed request', () => {
    const summary = summaryOf([CALLS.listProviders, CALLS.updateProvider], STARTED, STARTED + 100);
    runOf(summary).executions[1].requestError = { message: 'socket hang up' };
    expect(runOf(mergeSummaries([{ summary }])).stats.requests).to.deep.equal({ total: 2, pending: 0, failed: 1 });
  });

  it('counts assertions again from the kept executions, failed ones apart', () => {
    const merged = mergeSummaries([
      dropping(summaryOf([superseded], STARTED, STARTED + 100), 0),
      { summary: summaryOf([CALLS.createClient, { ...CALLS.grantScope, assertions: [['Status is 201 Created', 'expected 404 to be 201']] }], STARTED + 200, STARTED + 300) },
    ]);
    expect(runOf(merged).stats.assertions).to.deep.equal({ total: 3, pending: 0, failed: 1 });
  });

  it('adds up the stats Newman counts per run that the merge does not count again', () => {
    const first = summaryOf([CALLS.createClient], STARTED, STARTED + 100);
    const second = summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300);
    runOf(first).stats.testScripts = { total: 3, pending: 0, failed: 1 };
    runOf(second).stats.testScripts = { total: 2, pending: 1, failed: 0 };
    expect(runOf(mergeSummaries([{ summary: first }, { summary: second }])).stats.testScripts).to.deep.equal({ total: 5, pending: 1, failed: 1 });
  });

  it('reports the phases as one iteration, not one per run', () => {
    const merged = mergeSummaries([
      { summary: summaryOf([CALLS.createClient], STARTED, STARTED + 100) },
      { summary: summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300) },
    ]);
    expect(runOf(merged).stats.iterations).to.deep.equal({ total: 1, pending: 0, failed: 0 });
  });

  it('starts when the first run started and completes when the last run completed', () => {
    const merged = mergeSummaries([
      { summary: summaryOf([CALLS.createClient], STARTED, STARTED + 100) },
      { summary: summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300) },
    ]);
    expect(runOf(merged).timings).to.include({ started: STARTED, completed: STARTED + 300 });
  });

  it('averages the response time over the kept executions only', () => {
    const merged = mergeSummaries([
      dropping(summaryOf([{ ...superseded, timeMs: 1000 }, { ...CALLS.grantScope, timeMs: 30 }], STARTED, STARTED + 100), 0),
      { summary: summaryOf([{ ...CALLS.listClients, timeMs: 10 }], STARTED + 200, STARTED + 300) },
    ]);
    expect(runOf(merged).timings.responseAverage).to.equal(20);
  });

  it('averages the response time as 0 when nothing is kept', () => {
    const merged = mergeSummaries([dropping(summaryOf([superseded], STARTED, STARTED + 100), 0)]);
    expect(runOf(merged).timings.responseAverage).to.equal(0);
  });

  it('shows the environment as the last run left it', () => {
    const first = summaryOf([CALLS.createClient], STARTED, STARTED + 100);
    const last = summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300);
    (last as any).environment = { values: [{ key: 'providerId', value: 'rkp0001' }] };
    expect(mergeSummaries([{ summary: first }, { summary: last }]).environment).to.equal(last.environment);
  });

  it('adds up the bytes every run received', () => {
    const first = summaryOf([CALLS.createClient], STARTED, STARTED + 100);
    const second = summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300);
    runOf(first).transfers = { responseTotal: 120 };
    runOf(second).transfers = { responseTotal: 30 };
    expect(runOf(mergeSummaries([{ summary: first }, { summary: second }])).transfers).to.deep.equal({ responseTotal: 150 });
  });

  it('carries the first run error, from whichever run broke', () => {
    const first = summaryOf([CALLS.createClient], STARTED, STARTED + 100);
    const second = summaryOf([CALLS.listProviders], STARTED + 200, STARTED + 300);
    const third = summaryOf([CALLS.updateProvider], STARTED + 400, STARTED + 500);
    runOf(second).error = { message: 'second broke' };
    runOf(third).error = { message: 'third broke' };
    expect(runOf(mergeSummaries([{ summary: first }, { summary: second }, { summary: third }])).error).to.deep.equal({ message: 'second broke' });
  });

  it('carries no run error when no run broke', () => {
    const merged = mergeSummaries([{ summary: summaryOf([CALLS.createClient], STARTED, STARTED + 100) }]);
    expect(runOf(merged).error).to.equal(undefined);
  });
});

describe('merged reports: writeReports', () => {
  const require = createRequire(import.meta.url);
  // The junit reporter walks the collection's items (postman-collection SDK objects), as Newman hands them over.
  // htmlextra reads the executions' requests and responses as SDK objects too (headers.members, toJSON).
  const { Collection, Request, Response } = require('postman-collection') as {
    Collection: new (definition: object) => { forEachItem(callback: (item: { name: string }) => void): void };
    Request: new (definition: object) => unknown;
    Response: new (definition: object) => unknown;
  };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'okta-risk-reports-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** One run per call, as verify's phases make them, over a collection that holds the calls' items. */
  function phaseRuns(calls: Call[]): ReportRun[] {
    const collection = new Collection({
      info: { name: 'okta-risk-provider' },
      item: calls.map((c) => ({ id: `id-${c.name}`, name: c.name, request: { method: c.method, url: `https://acme.okta.com${c.path}` } })),
    });
    const items = new Map<string, unknown>();
    collection.forEachItem((item) => void items.set(item.name, item));
    return calls.map((call, i) => {
      const summary = summaryOf([call], STARTED + i * 100, STARTED + i * 100 + 50);
      (summary as any).collection = collection;
      for (const e of runOf(summary).executions) {
        const url = `https://acme.okta.com${call.path}`;
        const response = { ...e.response, stream: Buffer.from(call.responseBody ?? '', 'utf8') };
        Object.assign(e, {
          item: items.get(e.item.name),
          cursor: { iteration: 0, ref: `ref-${i}` },
          request: new Request({ ...e.request, url }),
          response: new Response(response),
        });
      }
      return { summary };
    });
  }

  const redactor = (): Redactor => new Redactor().add(API_TOKEN, ACCESS_TOKEN, ASSERTION);
  const request = (runs: ReportRun[], reporters: Array<'junit' | 'htmlextra'>) => ({
    runs,
    dir,
    reporters,
    title: 'Okta risk provider verification: acme.okta.com',
    redactor: redactor(),
    secretKeys: SECRET_VARIABLES,
    secretBodyRequests: [REQUESTS.getAccessToken],
  });
  const calls = [CALLS.createClient, CALLS.getAccessToken, CALLS.sendRiskEvents];

  it('writes nothing and names nothing when there was no run', async () => {
    expect(await writeReports(request([], ['junit', 'htmlextra']))).to.deep.equal([]);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('writes nothing and names nothing when no report was asked for', async () => {
    expect(await writeReports(request(phaseRuns(calls), []))).to.deep.equal([]);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('names the junit file it wrote', async () => {
    expect(await writeReports(request(phaseRuns(calls), ['junit']))).to.deep.equal([{ kind: 'junit', path: join(dir, 'junit.xml') }]);
  });

  it('writes one junit file whose suites are every phase’s requests', async () => {
    await writeReports(request(phaseRuns(calls), ['junit']));
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect([...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(calls.map((c) => c.name));
  });

  it('writes the htmlextra page under its own name, not report.html', async () => {
    const written = await writeReports(request(phaseRuns(calls), ['htmlextra']));
    expect(written).to.deep.equal([{ kind: 'htmlextra', path: join(dir, HTMLEXTRA_FILE) }]);
    expect(existsSync(join(dir, HTMLEXTRA_FILE))).to.equal(true);
  });

  it('keeps the API token, client assertion and access token out of the htmlextra page before any redaction', async () => {
    // No secret known to the redactor: htmlextra's own options (Authorization skipped, the token call's bodies
    // and the secret variables hidden) must keep them out.
    await writeReports({ ...request(phaseRuns(calls), ['htmlextra']), redactor: new Redactor() });
    const html = readFileSync(join(dir, HTMLEXTRA_FILE), 'utf8');
    expect([API_TOKEN, ASSERTION, ACCESS_TOKEN].filter((secret) => html.includes(secret))).to.deep.equal([]);
  });

  it('redacts a secret a junit file would otherwise carry', async () => {
    const runs = phaseRuns([{ ...CALLS.getAccessToken, assertions: [['Status is 200 OK', `expected 401, assertion ${ASSERTION}`]] }]);
    await writeReports(request(runs, ['junit']));
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(xml).to.include(REDACTED).and.not.include(ASSERTION);
  });

  it('writes the reports readable by others (0644): they hold no secret', async () => {
    await writeReports(request(phaseRuns(calls), ['junit']));
    expect(statSync(join(dir, 'junit.xml')).mode & 0o777).to.equal(0o644);
  });
});
