import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCli, waitFor } from './cli.js';
export { httpClient } from './portal.js';

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The built server (`dist/cli.js serve`) in a child process, as it runs in production. */
export interface ServerProcess {
  child: ChildProcess & { output: () => string };
  url: string;
  /** SIGKILL: no shutdown code runs, as in a power cut or an OOM kill. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** The parsed JSON log lines written so far. */
  logs(): Record<string, unknown>[];
}

export async function startServer(env: Record<string, string | undefined>, port: number): Promise<ServerProcess> {
  const child = startCli(['serve'], env);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${child.output()}`);
      try {
        return (await fetch(`${url}/healthz`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    20_000,
    'the server to answer',
  );
  return {
    child,
    url,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    logs: () =>
      child
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
