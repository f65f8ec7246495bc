/**
 * Query plans of whatever a function runs: a second connection whose statements record the SQL
 * and parameters they are run with, so `EXPLAIN QUERY PLAN` can be asked about exactly those,
 * without the code under test exposing its SQL.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../src/db/connection.js';

export interface CapturedStatement {
  source: string;
  args: unknown[];
}

export interface PlanRecorder {
  /** Runs fn against the recording connection and returns the statements it executed (distinct SQL, first arguments seen). */
  capture(fn: (db: Db) => unknown): CapturedStatement[];
  /** `EXPLAIN QUERY PLAN` of a captured statement, as an indented tree. */
  explain(statement: CapturedStatement): string[];
}

const RUNNERS = new Set(['all', 'get', 'iterate', 'run']);

export function planRecorder(db: Db): PlanRecorder {
  let recorded: CapturedStatement[] | undefined;
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const stmt = prepare(source);
    return new Proxy(stmt, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof property === 'string' && RUNNERS.has(property) && typeof value === 'function') {
          return (...args: unknown[]) => {
            if (recorded && !recorded.some((r) => r.source === source)) recorded.push({ source, args });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }) as Db['prepare'];

  return {
    capture(fn) {
      recorded = [];
      try {
        const result = fn(db);
        // Generators (iterateInvoices) only run their queries when consumed.
        if (result && typeof (result as Iterable<unknown>)[Symbol.iterator] === 'function' && typeof result !== 'string' && !Array.isArray(result)) {
          for (const _ of result as Iterable<unknown>) void _;
        }
        return recorded;
      } finally {
        recorded = undefined;
      }
    },
    explain(statement) {
      const rows = prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(...(statement.args as Parameters<Database.Statement['all']>)) as {
        id: number;
        parent: number;
        detail: string;
      }[];
      const depth = new Map<number, number>([[0, -1]]);
      return rows.map((r) => {
        const d = (depth.get(r.parent) ?? -1) + 1;
        depth.set(r.id, d);
        return `${'  '.repeat(d)}${r.detail}`;
      });
    },
  };
}

/** A plan line that reads a whole table row by row (not through an index, not a rowid range). */
export function isFullScan(line: string, tables: ReadonlySet<string>): boolean {
  const match = /^\s*SCAN (\S+)(.*)$/.exec(line);
  return match !== null && tables.has(match[1]!) && !/USING|VIRTUAL TABLE/.test(match[2] ?? '');
}

export function usesTempSort(line: string): boolean {
  return /USE TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY|LAST TERM OF ORDER BY)/.test(line);
}
