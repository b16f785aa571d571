/**
 * One JUnit file and one HTML page per verify run. Newman writes a report per `newman.run`, and verify makes
 * a run per phase; so the phases' summaries are merged and handed to the same reporters Newman uses
 * (its junit reporter, newman-reporter-htmlextra) through a stand-in emitter. Their output is redacted before
 * it is written: no secret reaches the disk.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { NewmanRunSummary } from 'newman';
import { writeFileAtomic } from '../environment/write-secret-file.ts';
import type { Redactor } from './redact.ts';

const require = createRequire(import.meta.url);

type ReporterFn = (emitter: EventEmitter, options: object, runOptions: object) => void;

/**
 * One Newman run for the reports; `dropRefs` are the cursor refs of the executions a retry superseded (a ref,
 * not a name: a request the collection repeats in one run keeps its earlier, passed executions).
 */
export interface ReportRun {
  summary: NewmanRunSummary;
  dropRefs?: string[];
}

export interface ReportRequest {
  /** The runs' Newman summaries, in run order. */
  runs: ReportRun[];
  dir: string;
  /** `junit` and/or `htmlextra`. */
  reporters: Array<'junit' | 'htmlextra'>;
  /** The page title: the org and the run. */
  title: string;
  redactor: Redactor;
  /** Environment keys whose values must never be shown. */
  secretKeys: readonly string[];
  /** Requests whose bodies carry secrets (the token call). */
  secretBodyRequests: readonly string[];
}

export interface WrittenReport {
  /** `html` is the self-contained report (src/report/), written apart from Newman's reporters. */
  kind: 'junit' | 'htmlextra' | 'html';
  path: string;
}

/** htmlextra's page; `report.html` is the self-contained report's. */
export const HTMLEXTRA_FILE = 'htmlextra.html';

type Stat = { total: number; pending: number; failed: number };

/** The phases' summaries as one run's: superseded attempts left out, counts and timings made again. */
export function mergeSummaries(reportRuns: ReportRun[]): NewmanRunSummary {
  const summaries = reportRuns.map((r) => r.summary);
  const first = summaries[0]!;
  const runs = summaries.map((s) => s.run as unknown as Record<string, any>);
  const kept = (run: ReportRun, list: any[] | undefined): any[] => (list ?? []).filter((x) => !run.dropRefs?.includes(x.cursor?.ref ?? ''));
  const stats: Record<string, Stat> = {};
  for (const run of runs) {
    for (const [name, stat] of Object.entries(run.stats as Record<string, Stat>)) {
      const into = (stats[name] ??= { total: 0, pending: 0, failed: 0 });
      into.total += stat.total;
      into.pending += stat.pending;
      into.failed += stat.failed;
    }
  }
  const executions = reportRuns.flatMap((r, i) => kept(r, runs[i]!.executions));
  const failures = reportRuns.flatMap((r, i) => kept(r, runs[i]!.failures));
  // Superseded attempts are gone, so count requests and assertions again from what is kept.
  const assertions = executions.flatMap((e) => e.assertions ?? []);
  stats.requests = { total: executions.length, pending: 0, failed: executions.filter((e) => e.requestError).length };
  stats.assertions = { total: assertions.length, pending: 0, failed: assertions.filter((a: any) => a.error).length };
  // The phases are one pass over the collection, not one iteration each.
  stats.iterations = { total: 1, pending: 0, failed: 0 };
  const responseTimes = executions.map((e) => e.response?.responseTime ?? 0);
  const timings = {
    started: runs[0]!.timings.started,
    completed: runs[runs.length - 1]!.timings.completed,
    responseAverage: responseTimes.length ? responseTimes.reduce((a: number, b: number) => a + b, 0) / responseTimes.length : 0,
  };
  return {
    ...first,
    environment: summaries[summaries.length - 1]!.environment,
    run: {
      ...first.run,
      stats,
      timings,
      executions,
      failures,
      transfers: { responseTotal: runs.reduce((n, r) => n + (r.transfers?.responseTotal ?? 0), 0) },
      error: runs.find((r) => r.error)?.error,
    } as unknown as NewmanRunSummary['run'],
  };
}

/** Writes the run's merged reports and returns where they are. */
export async function writeReports(request: ReportRequest): Promise<WrittenReport[]> {
  if (request.runs.length === 0 || request.reporters.length === 0) return [];
  const summary = mergeSummaries(request.runs);
  const emitter = Object.assign(new EventEmitter(), { summary, exports: [] as Array<{ path: string; content: string }> });
  const written: WrittenReport[] = [];
  if (request.reporters.includes('junit')) {
    const junit = require('newman/lib/reporters/junit') as ReporterFn;
    junit(emitter, { export: join(request.dir, 'junit.xml') }, {});
    written.push({ kind: 'junit', path: join(request.dir, 'junit.xml') });
  }
  if (request.reporters.includes('htmlextra')) {
    const htmlextra = require('newman-reporter-htmlextra') as ReporterFn;
    htmlextra(
      emitter,
      {
        export: join(request.dir, HTMLEXTRA_FILE),
        title: request.title,
        browserTitle: request.title,
        skipHeaders: ['Authorization'],
        skipEnvironmentVars: [...request.secretKeys],
        hideRequestBody: [...request.secretBodyRequests],
        hideResponseBody: [...request.secretBodyRequests],
        showEnvironmentData: false,
        noSyntaxHighlighting: true,
        timezone: 'UTC',
      },
      { reporters: ['htmlextra'], reporter: {}, newmanVersion: require('newman/package.json').version },
    );
    written.push({ kind: 'htmlextra', path: join(request.dir, HTMLEXTRA_FILE) });
  }
  emitter.emit('beforeDone', null, { summary });
  for (const file of emitter.exports) await writeFileAtomic(file.path, request.redactor.redact(file.content), { mode: 0o644, directoryMode: 0o755 });
  return written;
}
