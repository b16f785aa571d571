/**
 * The `html` reporter: one self-contained page per run (`report.html`), rendered with Handlebars from the
 * template in `templates/` and the run's result merged with its Newman summaries. Every style is inline and
 * the page fetches nothing (its Content-Security-Policy forbids it), so it reads the same from a CI artifact
 * on a laptop with no network. Everything in it passes through the run's redactor before it is written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { writeFileAtomic } from '../environment/write-secret-file.ts';
import type { Redactor } from '../run/redact.ts';
import { mergeSummaries, type ReportRun, type WrittenReport } from '../run/reports.ts';
import type { VerifyResult } from '../run/verify.ts';
import { packagePath } from '../package-root.ts';
import { buildReportView, type ReportInput, type ReportView } from './report-view.ts';

/** The file name of the self-contained report in a run's reports folder. */
export const HTML_REPORT_FILE = 'report.html';

/** The template, in the package (resolved from the package root, not the working folder). */
export const HTML_REPORT_TEMPLATE = packagePath('templates', 'report.html.hbs');

/** Request headers the page never shows (as htmlextra is told to skip them). */
export const SKIPPED_HEADERS = ['Authorization'] as const;

let compiled: Handlebars.TemplateDelegate<ReportView> | undefined;

function template(): Handlebars.TemplateDelegate<ReportView> {
  compiled ??= Handlebars.create().compile<ReportView>(readFileSync(HTML_REPORT_TEMPLATE, 'utf8'), { strict: false, noEscape: false });
  return compiled;
}

export interface HtmlReportRequest {
  result: VerifyResult;
  /** The run's Newman summaries, in run order (`StepRunner.reportRuns`). */
  runs: readonly ReportRun[];
  redactor: Redactor;
  /** Requests whose bodies carry secrets and are not shown (the token call). */
  secretBodyRequests: readonly string[];
  /** The flow's guide steps and why its secret calls' bodies are hidden. Default: the Risk API flow's. */
  steps?: ReportInput['steps'];
  bodiesHiddenReason?: string;
  heading?: ReportInput['heading'];
}

/** The page as text, redacted. */
export function renderHtmlReport(request: HtmlReportRequest): string {
  const summary = request.runs.length > 0 ? mergeSummaries([...request.runs]) : undefined;
  const clean = (text: string): string => request.redactor.redact(text);
  // A run Newman stopped at a failure has no completion time: its start and its responses' times stand in.
  const ends = request.runs.map(({ summary: { run } }) => {
    const timings = run.timings as { started?: number; completed?: number };
    const answered = (run.executions as Array<{ response?: { responseTime?: number } }>).reduce((n, e) => n + (e.response?.responseTime ?? 0), 0);
    return timings.completed ?? (timings.started === undefined ? 0 : timings.started + answered);
  });
  const timing = { started: (request.runs[0]?.summary.run.timings as { started?: number } | undefined)?.started, completed: Math.max(0, ...ends) || undefined };
  const view = buildReportView({ result: request.result, summary, secretBodyRequests: request.secretBodyRequests, skipHeaders: SKIPPED_HEADERS, timing, steps: request.steps, bodiesHiddenReason: request.bodiesHiddenReason, heading: request.heading }, clean);
  // Each value was redacted before it was cut or formatted; the page is redacted again as a whole.
  return clean(template()(view).trimStart());
}

/** Writes `report.html` into `dir` and says where it is. */
export async function writeHtmlReport(request: HtmlReportRequest & { dir: string }): Promise<WrittenReport> {
  const path = join(request.dir, HTML_REPORT_FILE);
  await writeFileAtomic(path, renderHtmlReport(request), { mode: 0o644, directoryMode: 0o755 });
  return { kind: 'html', path };
}
