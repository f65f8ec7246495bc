/**
 * Tokens (billing and invoice links, payment references) come from the pooled generator: each must
 * be new, of the size asked for, and the learner's copy must not change when the pool refills.
 */
import { describe, expect, test } from 'vitest';
import { pooledRandomBytes } from '../../src/random.js';

describe('pooled random bytes', () => {
  test('twenty thousand 32-byte tokens, across many refills of the pool, are all different', () => {
    const random = pooledRandomBytes();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const bytes = random(32);
      expect(bytes).toHaveLength(32);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(20_000);
  });

  test('a token handed out keeps its bytes after the pool is refilled, and odd and large sizes work', () => {
    const random = pooledRandomBytes();
    const first = random(32);
    const copy = Buffer.from(first);
    for (let i = 0; i < 300; i++) random(17);
    expect(first.equals(copy)).toBe(true);
    expect(random(5000)).toHaveLength(5000);
    expect(random(4096)).toHaveLength(4096);
    expect(random(1)).toHaveLength(1);
  });
});
