/**
 * Sandbox mode: with no OpenLearning key configured the portal plays OpenLearning itself, so the
 * whole flow can be walked on a fresh install. Its signing key lives next to the sandbox database
 * (DATA_DIR/sandbox/), generated on first start.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import type { Config } from '../config.js';
import { dataPaths } from '../data-paths.js';

export interface Sandbox {
  privateKey: KeyObject;
  publicPem: string;
}

export function loadSandbox(config: Pick<Config, 'dataDir'>): Sandbox {
  const file = dataPaths(config).sandboxKey;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(fs.readFileSync(file));
  return { privateKey, publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
}
