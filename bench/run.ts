/**
 * Runs every bench module (bench/*.bench.ts) and prints a table per module.
 *
 *   npm run bench                      all modules; results merged into bench/results.json
 *   npm run bench -- invoice-list      only bench/*invoice-list*.bench.ts
 *   npm run bench -- --quick           every module small (about a minute); bench/results-quick.json
 *   BENCH_JSON=out.json npm run bench  write the results there instead
 *
 * A module is any file named <name>.bench.ts in this directory that exports `name` and
 * `run(ctx): Promise<BenchResult>` (see harness.ts); nothing needs registering.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatGoals, formatTable, type BenchContext, type BenchModule } from './harness.js';
import { mergeResults, type ModuleRecord } from './results.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The directory holding package.json, from dist-bench/bench/ (compiled) or bench/ (run from source). */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && path.basename(dir) !== 'dist-bench') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

/**
 * src/paths.ts finds views/, locales/, public/ and the migrations relative to its own compiled location,
 * which is dist-bench/src/ here. Links in dist-bench make those lookups land on the real
 * directories, so modules can use code that reads them (templates, fonts, migrations).
 */
function linkAssets(root: string, outDir: string): void {
  if (path.resolve(outDir) === path.resolve(root)) return;
  const links: [string, string][] = [
    ['views', 'views'],
    ['locales', 'locales'],
    ['public', 'public'],
    [path.join('src', 'db', 'migrations'), path.join('src', 'db', 'migrations')],
  ];
  for (const [target, at] of links) {
    const source = path.join(root, target);
    const link = path.join(outDir, at);
    if (!fs.existsSync(source) || fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    try {
      fs.symlinkSync(source, link, 'junction');
    } catch {
      fs.cpSync(source, link, { recursive: true });
    }
  }
}

async function main(): Promise<void> {
  const root = findRoot(here);
  linkAssets(root, path.dirname(here));
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  // Modules that do not read ctx.quick still see it (harness.compare caps its budgets by it).
  if (quick) process.env.BENCH_QUICK = '1';
  const files = fs
    .readdirSync(here)
    .filter((f) => /\.bench\.js$/.test(f))
    .sort();
  // Selected by file name (<name>.bench.ts) before importing, so an unrelated module's imports
  // cannot stop the one asked for.
  const selected = filters.length === 0 ? files : files.filter((f) => filters.some((filter) => f.replace(/\.bench\.js$/, '').includes(filter)));
  const modules: BenchModule[] = [];
  for (const file of selected) {
    let mod: Partial<BenchModule>;
    try {
      mod = (await import(pathToFileURL(path.join(here, file)).href)) as Partial<BenchModule>;
    } catch (error) {
      console.error(`bench: ${file} failed to load: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
      continue;
    }
    if (typeof mod.name !== 'string' || typeof mod.run !== 'function') {
      console.error(`bench: ${file} does not export name and run(ctx); skipped`);
      continue;
    }
    modules.push(mod as BenchModule);
  }
  if (modules.length === 0) {
    console.error(`bench: no modules${filters.length ? ` matching ${filters.join(', ')}` : ''} (files: ${files.join(', ') || 'none'})`);
    process.exitCode = 1;
    return;
  }
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') console.error('bench: run node with --expose-gc for steadier figures');

  const started = performance.now();
  const results: ModuleRecord[] = [];
  for (const mod of modules) {
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${mod.name.replace(/[^a-z0-9-]/gi, '_')}-`));
    const ctx: BenchContext = {
      root,
      tmpDir,
      env: process.env,
      quick,
      size: (full, small) => (quick ? small : full),
      log: (m) => console.error(`[${mod.name}] ${m}`),
    };
    const moduleStarted = performance.now();
    console.error(`\n== ${mod.name}${mod.description ? `: ${mod.description}` : ''}`);
    try {
      const result = await mod.run(ctx);
      const seconds = (performance.now() - moduleStarted) / 1000;
      results.push({ module: mod.name, at: new Date().toISOString(), quick, result, seconds });
      console.log(`\n## ${mod.name} (${seconds.toFixed(0)} s)\n`);
      console.log(formatTable(result));
      if (result.goals?.length) console.log(`\n${formatGoals(result.goals)}`);
      for (const note of result.notes ?? []) console.log(`\n${note}`);
    } catch (error) {
      const seconds = (performance.now() - moduleStarted) / 1000;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.push({ module: mod.name, at: new Date().toISOString(), quick, error: message, seconds });
      console.log(`\n## ${mod.name}: FAILED\n${message}`);
      process.exitCode = 1;
    } finally {
      if (process.env.BENCH_KEEP !== '1') fs.rmSync(tmpDir, { recursive: true, force: true });
      else console.error(`[${mod.name}] kept ${tmpDir}`);
    }
  }
  const total = (performance.now() - started) / 1000;
  console.log(`\nbench: ${modules.length} module(s) in ${total.toFixed(0)} s on ${os.cpus().length} CPU(s), node ${process.version}`);
  // Each module's latest result is kept (a run of one module leaves the others' results as they
  // were), so the README table can be regenerated from a file built up over several runs.
  const file = process.env.BENCH_JSON ?? path.join(root, 'bench', quick ? 'results-quick.json' : 'results.json');
  mergeResults(file, results, { node: process.version, cpus: os.cpus().length });
  console.error(`bench: results in ${path.relative(process.cwd(), file) || file}${quick ? ' (quick: small sizes, not figures to quote)' : ''}`);
}

await main();
