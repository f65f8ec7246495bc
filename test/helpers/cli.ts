import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths.js';

export const CLI = path.join(PROJECT_ROOT, 'dist', 'cli.js');

/** The CLI as people run it: the built dist/cli.js (npm test builds it first). */
export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it for you)');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  options: { input?: string; cwd?: string; prefix?: string[]; uid?: number; timeoutMs?: number } = {},
): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    // A prefix wraps node, e.g. ['faketime', '+40 days'] runs the CLI at another date.
    const argv = [...(options.prefix ?? []), process.execPath, CLI, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      env: cleanEnv(env),
      cwd: options.cwd ?? PROJECT_ROOT,
      // Another user (root writes anywhere, so a read-only folder needs an unprivileged process).
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
      // A command that should exit but hangs is killed, and shows as code null.
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export function startCli(args: string[], env: Record<string, string | undefined>): ChildProcess & { output: () => string } {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), cwd: PROJECT_ROOT }) as ChildProcess & { output: () => string };
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  child.output = () => out;
  return child;
}

/** Only what the portal is given, plus PATH: the developer's own environment must not leak in. */
function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
