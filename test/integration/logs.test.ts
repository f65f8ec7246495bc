/**
 * Logs as the person running the portal meets them: readable lines on a terminal, JSON lines when
 * the output goes to a file, journald or a log shipper.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { assertBuilt, CLI, waitFor } from '../helpers/cli.js';
import { tempDir } from '../helpers/portal.js';
import { freePort, startServer, type ServerProcess } from '../helpers/server-process.js';

function collect(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  return { stream, text: () => text };
}

describe('createLogger', () => {
  test('writes one JSON object per line to a stream', () => {
    const out = collect();
    createLogger({ level: 'info', destination: out.stream }).info({ invoice: 'INV-000001' }, 'invoice issued');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'invoice issued', invoice: 'INV-000001' });
  });

  test('pretty lines still have secrets scrubbed', () => {
    const out = collect();
    const logger = createLogger({ level: 'info', destination: out.stream, pretty: true, secrets: ['key-SECRET-123'] });
    logger.warn({ url: 'https://api.example/enrol?api_key=key-SECRET-123' }, 'OpenLearning answered');
    const text = out.text();
    expect(text).toMatch(/WARN.*: OpenLearning answered/);
    expect(text).toContain('api_key=[redacted]');
    expect(text).not.toContain('key-SECRET-123');
    expect(text.trimStart().startsWith('{')).toBe(false);
  });
});

describe('portal serve', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  test('writes JSON lines when its output is not a terminal', async () => {
    const port = await freePort();
    server = await startServer({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: tempDir() }, port);
    await fetch(`${server.url}/healthz`);
    const nonEmpty = server.child
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(nonEmpty.length).toBeGreaterThan(1);
    for (const line of nonEmpty) expect(() => JSON.parse(line), line).not.toThrow();
    expect(server.logs().map((l) => l.msg)).toContain(`portal listening on 127.0.0.1:${port}`);
  });

  test('pretty-prints on a terminal', async () => {
    assertBuilt();
    const port = await freePort();
    // script(1) gives the portal a pseudo-terminal as stdout, as when someone runs `npm start`.
    const child = spawn('script', ['-qfec', `${process.execPath} ${CLI} serve`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: tempDir(), NO_COLOR: '1' },
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      await waitFor(() => /SANDBOX MODE/.test(out) || undefined, 20_000, 'the sandbox line');
      expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: portal listening on 127\.0\.0\.1:\d+/m);
      expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: SANDBOX MODE/m);
      expect(out).toMatch(/^\s+mode: "sandbox"/m);
      expect(out).not.toMatch(/^\{"level"/m);
    } finally {
      // The whole group: script and the portal under it.
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  });
});
