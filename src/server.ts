import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestHandler } from './app.js';
import type { Config } from './config.js';
import { createPortal, type Portal, type PortalOverrides } from './portal.js';
import { startScheduler, type Scheduler } from './jobs/scheduler.js';

export interface RunningServer {
  portal: Portal;
  server: http.Server;
  port: number;
  /** Graceful: stop taking requests and new jobs, let running requests and job batches finish. */
  close(): Promise<void>;
}

export async function serve(config: Config, overrides: PortalOverrides = {}): Promise<RunningServer> {
  const portal = createPortal(config, overrides);
  const { logger } = portal.deps;
  const server = http.createServer(requestHandler(portal.app));
  // Slow or stuck clients must not hold connections forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const scheduler: Scheduler | undefined = config.jobs.enabled ? startScheduler(portal, config.jobs.schedules) : undefined;
  // Work left over from before a restart (queued mail, pending enrolments) starts at once.
  portal.runner.kick('deliver-mail');
  portal.runner.kick('retry-enrolments');
  logger.info(
    { url: config.publicUrl, port, mode: config.mode, dataDir: config.dataDir, jobs: config.jobs.enabled },
    `portal listening on ${config.host}:${port}`,
  );
  if (config.mode === 'sandbox') {
    logger.warn(
      { url: `${config.publicUrl}/sandbox` },
      `SANDBOX MODE (no OpenLearning key configured): open ${config.publicUrl}/sandbox to walk the whole flow. No real payments or enrolments; data in ${config.dataDir}. See README "Setting up OpenLearning" to go live.`,
    );
  }

  let closing: Promise<void> | undefined;
  return {
    portal,
    server,
    port,
    close() {
      closing ??= (async () => {
        logger.info('shutting down: finishing requests and running jobs');
        scheduler?.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await portal.runner.stop();
        await closed;
        await portal.close();
        logger.info('shut down cleanly');
      })();
      return closing;
    },
  };
}
