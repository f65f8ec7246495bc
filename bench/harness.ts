/**
 * The benchmark harness: what a bench module receives, what it returns, and how it times things.
 *
 * Figures are reported as ratios against a baseline measured in the same run and interleaved with
 * the case itself (baseline, case, baseline, case, ...), so a noisy or shared machine slows both
 * alike and the ratio stays meaningful even when the milliseconds do not.
 */

export interface BenchContext {
  /** Project root (the directory holding package.json), whichever directory the bench was compiled to. */
  root: string;
  /** A scratch directory for this run (databases, files); removed at the end unless BENCH_KEEP=1. */
  tmpDir: string;
  env: NodeJS.ProcessEnv;
  /**
   * `npm run bench -- --quick`: every module runs small (the whole run in about a minute), to
   * check that each scenario works, not to produce figures worth quoting.
   */
  quick: boolean;
  /** `full` normally, `quick` with --quick: the one place a module chooses its sizes. */
  size(full: number, quick: number): number;
  /** Progress for people watching (stderr); results go in the returned rows. */
  log(message: string): void;
}

export interface BenchRow {
  case: string;
  /** Median of the case, milliseconds. */
  medianMs: number;
  /** 95th percentile (nearest rank), milliseconds. */
  p95Ms: number;
  /** Median of the baseline measured alongside this case, milliseconds. */
  baselineMs: number;
  /** medianMs / baselineMs: how many baselines this case costs. */
  ratio: number;
  /** Runs of the case behind the median. */
  runs: number;
  /** Anything to read next to the figures: rows matched, rows/s, "full scan", ... */
  note?: string;
}

export interface BenchResult {
  /** What `ratio` divides by, e.g. "primary-key lookup of one invoice". */
  baseline: string;
  rows: BenchRow[];
  /** Free text printed after the table (setup time, query plans of slow cases, ...). */
  notes?: string[];
  /** The performance goals this module checks, each a figure measured in this run against a limit. */
  goals?: BenchGoal[];
}

/**
 * A goal such as "the landing answers at least 0.8x the requests/s of Koa + jose". `measured` is
 * usually a ratio to a baseline timed in the same run (`unit` 'x'), sometimes an absolute figure
 * where the goal is absolute (seconds, MB).
 */
export interface BenchGoal {
  goal: string;
  measured: number;
  unit: string;
  limit: number;
  /** 'min': measured must be >= limit; 'max': <= limit. */
  kind: 'min' | 'max';
  met: boolean;
  /** The figures behind the ratio, e.g. "3,900 vs 4,800 req/s". */
  detail?: string;
}

export function goal(name: string, measured: number, kind: 'min' | 'max', limit: number, unit: string, detail?: string): BenchGoal {
  const met = Number.isFinite(measured) && (kind === 'min' ? measured >= limit : measured <= limit);
  return { goal: name, measured, unit, limit, kind, met, ...(detail ? { detail } : {}) };
}

function formatGoalValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit === 'x' ? 'x' : ` ${unit}`}`;
}

/** `measured (limit)  met`, as printed under a module's table and in the README. */
export function formatGoal(g: BenchGoal): { measured: string; limit: string; verdict: string } {
  return {
    measured: formatGoalValue(g.measured, g.unit),
    limit: `${g.kind === 'min' ? '>=' : '<='} ${formatGoalValue(g.limit, g.unit)}`,
    verdict: g.met ? 'met' : 'NOT MET',
  };
}

export function formatGoals(goals: BenchGoal[]): string {
  const lines = goals.map((g) => {
    const f = formatGoal(g);
    return `  ${f.verdict.padEnd(7)}  ${g.goal}: ${f.measured} (goal ${f.limit})${g.detail ? `; ${g.detail}` : ''}`;
  });
  return ['goals:', ...lines].join('\n');
}

export interface BenchModule {
  /** Short name, the same as the file's (<name>.bench.ts), which `npm run bench -- <name>` selects. */
  name: string;
  description?: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export interface Stats {
  medianMs: number;
  p95Ms: number;
  minMs: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
  return { medianMs: median, p95Ms: at(0.95), minMs: sorted[0] ?? Number.NaN, runs: sorted.length };
}

export interface CompareOptions {
  /** Time to spend on one case (case and baseline runs together), ms. Default 1000 or BENCH_BUDGET_MS. */
  budgetMs?: number;
  /** At least this many runs of the case, whatever the budget. Default 5. */
  minRuns?: number;
  /** At most this many runs of the case. Default 200. */
  maxRuns?: number;
  /** Untimed runs first (statement preparation, page cache). Default 2. */
  warmup?: number;
}

export interface Comparison {
  subject: Stats;
  baseline: Stats;
  ratio: number;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/**
 * Times `subject` and `baseline` interleaved. The baseline is usually far cheaper than the case,
 * so it is run in batches long enough (>= ~0.2 ms) for the timer, and each batch counts as one
 * sample of (batch time / batch size).
 */
export function compare(baseline: () => unknown, subject: () => unknown, options: CompareOptions = {}): Comparison {
  // --quick (BENCH_QUICK=1, set by the runner) caps every case's budget, whatever the module asked for.
  const budgetMs = Math.min(options.budgetMs ?? (Number(process.env.BENCH_BUDGET_MS) || 1000), process.env.BENCH_QUICK === '1' ? 50 : Infinity);
  const minRuns = options.minRuns ?? 5;
  const maxRuns = options.maxRuns ?? 200;
  collectGarbage();
  for (let i = 0; i < (options.warmup ?? 2); i++) {
    subject();
    baseline();
  }
  // Size the baseline batch and estimate the case so the run count fits the budget.
  let batch = 1;
  while (
    batch < 1 << 16 &&
    time(() => {
      for (let i = 0; i < batch; i++) baseline();
    }) < 0.2
  )
    batch *= 2;
  const estimate = Math.max(time(subject), 0.001);
  const baselineEstimate = time(() => {
    for (let i = 0; i < batch; i++) baseline();
  });
  const runs = Math.max(minRuns, Math.min(maxRuns, Math.floor(budgetMs / (estimate + baselineEstimate))));
  const subjectSamples: number[] = [];
  const baselineSamples: number[] = [];
  for (let r = 0; r < runs; r++) {
    baselineSamples.push(
      time(() => {
        for (let i = 0; i < batch; i++) baseline();
      }) / batch,
    );
    subjectSamples.push(time(subject));
  }
  const s = stats(subjectSamples);
  const b = stats(baselineSamples);
  return { subject: s, baseline: b, ratio: s.medianMs / b.medianMs };
}

export function row(caseName: string, comparison: Comparison, note?: string): BenchRow {
  return {
    case: caseName,
    medianMs: comparison.subject.medianMs,
    p95Ms: comparison.subject.p95Ms,
    baselineMs: comparison.baseline.medianMs,
    ratio: comparison.ratio,
    runs: comparison.subject.runs,
    ...(note ? { note } : {}),
  };
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 0.1) return ms.toFixed(2);
  return ms.toFixed(4);
}

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '-';
  if (ratio >= 100) return `${Math.round(ratio).toLocaleString('en')}x`;
  return `${ratio.toFixed(1)}x`;
}

/** A plain-text table, fixed width, for a terminal or a CI log. */
export function formatTable(result: BenchResult): string {
  const header = ['case', 'median ms', 'p95 ms', 'baseline ms', 'ratio', 'runs', 'note'];
  const lines = result.rows.map((r) => [
    r.case,
    formatMs(r.medianMs),
    formatMs(r.p95Ms),
    formatMs(r.baselineMs),
    formatRatio(r.ratio),
    String(r.runs),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => [...(l[i] ?? '')].length)));
  const numeric = new Set([1, 2, 3, 4, 5]);
  const pad = (cells: string[]) =>
    cells
      .map((c, i) => {
        const width = widths[i] ?? 0;
        const gap = ' '.repeat(Math.max(0, width - [...c].length));
        return i === cells.length - 1 ? c : numeric.has(i) ? gap + c : c + gap;
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`baseline: ${result.baseline}`, pad(header), rule, ...lines.map(pad)].join('\n');
}
