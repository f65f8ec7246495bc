import cron from 'node-cron';
import type { JobName } from '../config.js';
import type { Portal } from '../portal.js';

export interface Scheduler {
  stop(): void;
}

/** Runs each job on its cron schedule inside the server process (times in the configured TIMEZONE). */
export function startScheduler(portal: Portal, schedules: Record<JobName, string>): Scheduler {
  const { config } = portal.deps;
  const tasks = Object.entries(schedules)
    .filter(([name]) => portal.runner.has(name as JobName))
    .map(([name, expression]) =>
      cron.schedule(expression, () => void portal.runner.run(name as JobName).catch(() => undefined), {
        name,
        timezone: config.timeZone,
        noOverlap: true,
      }),
    );
  return {
    stop() {
      for (const task of tasks) void task.stop();
    },
  };
}
