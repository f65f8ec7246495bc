/**
 * Servers and load generators as separate processes, for the benchmarks that measure a server from
 * the outside: the portal as `npm start` runs it, baseline servers, the autocannon load generator.
 * Everything listens on loopback, and every child is ended when the benchmark ends.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult, RunRequest } from './load-generator.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A free loopback port (taken and released at once; good enough on a machine we do not race). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size of the process in bytes (from /proc; 0 where that is not available). */
  rssBytes(): number;
  close(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time a process has used so far, ms: its main thread, and all its other threads (workers, libuv, V8) together. Linux only; zeros elsewhere. */
export function cpuTimeOf(pid: number): { mainMs: number; otherMs: number } {
  // utime and stime, in clock ticks (100 a second on Linux), are fields 14 and 15 of /proc/<pid>/task/<tid>/stat.
  const ticks = (stat: string): number => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  let mainMs = 0;
  let otherMs = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      let ms: number;
      try {
        ms = ticks(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')) * 10;
      } catch {
        continue; // the thread ended meanwhile
      }
      if (tid === String(pid)) mainMs += ms;
      else otherMs += ms;
    }
  } catch {
    // not Linux, or the process is gone
  }
  return { mainMs, otherMs };
}

/** A baseline server (bench/baseline-servers.ts) in its own process. */
export async function startBaseline(kind: 'bare' | 'jose' | 'gateway', env: Record<string, string>): Promise<ServerProcess> {
  const child = fork(path.join(here, 'baseline-servers.js'), [kind], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`baseline ${kind} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, rssBytes: () => rssOf(child.pid!), close: () => stop(child) };
}

export interface PortalProcess extends ServerProcess {
  /** From spawning `node main.js` to the first 200 from /healthz, ms. */
  startMs: number;
}

/**
 * The portal exactly as `npm start` runs it (node <compiled>/src/main.js), configured through its
 * environment, in a scratch working directory so no .env file of the project is read. Its log
 * lines (one per request, as in production) go to /dev/null.
 */
export async function startPortalProcess(cwd: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<PortalProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = path.join(here, '..', 'src', 'main.js');
  fs.mkdirSync(cwd, { recursive: true });
  const started = performance.now();
  // BENCH_PORTAL_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof': profile the portal under a module's load.
  const extraArgs = process.env.BENCH_PORTAL_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extraArgs, ...nodeArgs, main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the portal exited during start:\n${stderr}`);
    try {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (performance.now() - started > 120_000) throw new Error(`the portal did not answer /healthz within 2 minutes:\n${stderr}`);
  }
  const startMs = performance.now() - started;
  return { url, pid: child.pid!, startMs, rssBytes: () => rssOf(child.pid!), close: () => stop(child) };
}

/** The autocannon load generator (bench/load-generator.ts) in its own process. */
export class LoadGenerator {
  private readonly child: ChildProcess;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.child = fork(path.join(here, 'load-generator.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  private ask<T>(message: object): Promise<T> {
    const answer = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          this.child.once('message', (m: { ok: boolean; error?: string } & T) => (m.ok ? resolve(m) : reject(new Error(m.error))));
          this.child.send(message);
        }),
    );
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  /** Signs `count` more distinct tokens for later runs (not timed as part of any run). */
  sign(privateKeyPem: string, audience: string, count: number): Promise<{ signed: number; ms: number }> {
    return this.ask({ type: 'sign', privateKeyPem, audience, count });
  }

  async run(request: Omit<RunRequest, 'type'>): Promise<LoadResult> {
    return (await this.ask<{ result: LoadResult }>({ type: 'run', ...request })).result;
  }

  close(): Promise<void> {
    return stop(this.child);
  }
}
