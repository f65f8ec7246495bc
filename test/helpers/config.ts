import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { baseEnv, tempDir } from './portal.js';

type Env = Record<string, string | undefined>;

/** The configuration a test portal would run with, plus `extra` variables (no .env file read). */
export function testConfig(extra: Env): Config {
  return loadConfig(baseEnv(3000, tempDir(), extra), { readDotEnv: false });
}

/** The start-up problems `extra` causes, as "VARIABLE: message" lines; none when it is accepted. */
export function configProblemLines(extra: Env): string[] {
  try {
    testConfig(extra);
    return [];
  } catch (error) {
    return (error as ConfigError).problems.map((p) => `${p.variable}: ${p.message}`);
  }
}
