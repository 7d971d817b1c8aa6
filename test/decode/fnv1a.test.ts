import { describe, expect, it } from 'vitest';
import { fnv1a32 } from '../../src/decode/fnv1a.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('fnv1a32', () => {
  // Reference values from the FNV authors' test suite (fnv32a of the ASCII strings).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %j', (s, want) => {
    const b = enc(s);
    expect(fnv1a32(b, 0, b.length)).toBe(want);
  });

  it('hashes only the given range and stays unsigned', () => {
    const b = enc('xxfoobaryy');
    expect(fnv1a32(b, 2, 8)).toBe(0xbf9cf968);
    for (let i = 0; i < 50; i++) {
      const h = fnv1a32(enc(`payload-${i}`), 0, 9);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});
