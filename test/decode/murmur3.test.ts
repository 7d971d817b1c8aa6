import { describe, expect, it } from 'vitest';
import { murmur3x86_32 } from '../../src/decode/murmur3.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('murmur3x86_32', () => {
  // Reference values from smhasher's MurmurHash3.cpp (MurmurHash3_x86_32) compiled with gcc, covering
  // every tail length (0-3 bytes past the last whole 4-byte block), seeds, and bytes ≥ 0x80 (where a
  // sign slip in the 32-bit arithmetic would show).
  it.each([
    ['', 0, 0x00000000],
    ['a', 0, 0x3c2569b2],
    ['ab', 0, 0x9bbfd75f],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0, 0x43ed676a],
    ['abcde', 0, 0xe89b9af6],
    ['foo', 0, 0xf6a5c420],
    ['test', 0, 0xba6bd213],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('hashes %j with seed %d', (s, seed, want) => {
    const b = enc(s);
    expect(murmur3x86_32(b, 0, b.length, seed)).toBe(want);
  });

  it('hashes high bytes and a whole 64-byte prefix like the reference', () => {
    const b = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(murmur3x86_32(b, 0, 64)).toBe(0x0928bc0c);
    expect(murmur3x86_32(Uint8Array.from([0x80, 0xff, 0xfe, 0x90, 0x81]), 0, 5)).toBe(0x08351cb0);
  });

  it('depends only on the bytes, not on where they lie in the buffer', () => {
    const body = Uint8Array.from({ length: 61 }, (_, i) => (i * 151 + 7) & 0xff);
    const want = murmur3x86_32(body, 0, body.length);
    for (let shift = 0; shift < 8; shift++) {
      const big = new Uint8Array(100);
      big.set(body, shift + 3);
      expect(murmur3x86_32(big, shift + 3, shift + 3 + body.length)).toBe(want);
      // An unaligned view over a shared buffer too.
      expect(murmur3x86_32(new Uint8Array(big.buffer, shift + 3, body.length), 0, body.length)).toBe(want);
    }
  });

  it('hashes only the given range and stays unsigned', () => {
    const b = enc('xxfooyy');
    expect(murmur3x86_32(b, 2, 5)).toBe(0xf6a5c420);
    for (let i = 0; i < 50; i++) {
      const h = murmur3x86_32(enc(`payload-${i}`), 0, 9);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});
