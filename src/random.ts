import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

/**
 * The system's cryptographic random generator, asked for 4 KB at a time instead of 32 bytes per
 * call: every landing and invoice draws a token, and a call into the generator per token was 4 %
 * of a landing's time on the event loop. The bytes are the same generator's; each is handed out
 * once, and callers get their own copy.
 */
export function pooledRandomBytes(): (size: number) => Buffer {
  const pool = Buffer.alloc(POOL_BYTES);
  let used = POOL_BYTES;
  return (size) => {
    if (size > POOL_BYTES) return randomFillSync(Buffer.alloc(size));
    if (used + size > POOL_BYTES) {
      randomFillSync(pool);
      used = 0;
    }
    const bytes = Buffer.from(pool.subarray(used, used + size));
    used += size;
    return bytes;
  };
}
