/**
 * The bench's results: figures with an optional baseline and goal, their medians, the printed table and the
 * `reports/bench.json` entries (`[{name, value, unit}]`).
 */

/** One reported figure. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The figure this one is compared with, and the ratio (median of per-round ratios when paired). */
  vs?: { baseline: string; ratio: number };
  /** The goal on the ratio: at least (`>=`) or at most (`<=`) this many times the baseline. */
  goal?: { op: '>=' | '<='; ratio: number };
  /** Kept out of the table (still written to the JSON file). */
  detail?: boolean;
}

/** One `reports/bench.json` entry. */
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of the round-by-round ratios: each pair ran back to back, so slow drift of the machine cancels out. */
export function pairedRatio(values: readonly number[], baselines: readonly number[]): number {
  return median(values.map((v, i) => v / baselines[i]!));
}

export function met(figure: Figure): boolean | undefined {
  if (!figure.goal || !figure.vs) return undefined;
  return figure.goal.op === '>=' ? figure.vs.ratio >= figure.goal.ratio : figure.vs.ratio <= figure.goal.ratio;
}

/** The JSON entries: every figure, plus a `<prefix>.ratio`-style entry for each comparison. */
export function toEntries(figures: readonly Figure[], ratioNames: Record<string, string>): BenchEntry[] {
  const entries: BenchEntry[] = [];
  for (const f of figures) {
    // Small figures (latencies, shares of a core) keep more digits than rates and wall times.
    entries.push({ name: f.name, value: round(f.value, Math.abs(f.value) < 10 ? 3 : 1), unit: f.unit });
    const ratioName = ratioNames[f.name];
    if (f.vs && ratioName) entries.push({ name: ratioName, value: round(f.vs.ratio, 3), unit: 'ratio' });
  }
  return entries;
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function show(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'ms' || unit === 'req/s' || unit === 'MB') return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
  return value >= 100 ? String(Math.round(value)) : value.toFixed(2);
}

/** The table: name, value, unit, ratio to baseline, goal, met / not met. */
export function formatTable(figures: readonly Figure[]): string {
  const baselines = new Set(figures.flatMap((f) => (f.vs ? [f.vs.baseline] : [])));
  const rows = figures
    .filter((f) => !f.detail)
    .map((f) => {
      const verdict = met(f);
      return [
        f.name,
        show(f.value, f.unit),
        f.unit,
        f.vs ? `${f.vs.ratio.toFixed(2)}x ${f.vs.baseline}` : baselines.has(f.name) ? '(baseline)' : '',
        f.goal ? `${f.goal.op} ${f.goal.ratio}x` : '',
        verdict === undefined ? '' : verdict ? 'met' : 'NOT MET',
      ];
    });
  const header = ['name', 'value', 'unit', 'ratio to baseline', 'goal', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
