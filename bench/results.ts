/**
 * bench/results.json: the latest result of every bench module, each with when it ran and on what.
 * Written by the runner (merging: a module not run keeps its previous entry), read by
 * bench/table.ts to regenerate the README's performance table.
 */
import fs from 'node:fs';
import type { BenchResult } from './harness.js';

export interface ModuleRecord {
  module: string;
  /** When the module finished (ISO time). */
  at: string;
  /** Run with --quick (small sizes). */
  quick: boolean;
  seconds: number;
  result?: BenchResult;
  error?: string;
  node?: string;
  cpus?: number;
}

export interface ResultsFile {
  modules: Record<string, ModuleRecord>;
}

export function readResults(file: string): ResultsFile {
  if (!fs.existsSync(file)) return { modules: {} };
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ResultsFile>;
  return { modules: parsed.modules ?? {} };
}

export function mergeResults(file: string, records: ModuleRecord[], machine: { node: string; cpus: number }): void {
  const results = readResults(file);
  for (const record of records) results.modules[record.module] = { ...record, ...machine };
  const sorted = Object.fromEntries(Object.entries(results.modules).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(file, `${JSON.stringify({ modules: sorted }, null, 2)}\n`);
}
