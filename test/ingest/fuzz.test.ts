/**
 * Damaged captures never crash or hang the reader: every mutation of our generated captures ends in
 * records + warnings or an InputError, within bounded memory.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { generatedCaptures } from './generated-captures.js';
import { asVariant, PCAP_VARIANTS } from './pcap-variant-writer.js';
import { readBytes } from './read-all.js';

/** Deterministic xorshift32 so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** The generated captures, and the little-endian µs one as each old pcap variant (pcap-variant-writer.ts), big-endian. */
function capturesToDamage(): { name: string; bytes: Uint8Array }[] {
  const all: { name: string; bytes: Uint8Array }[] = generatedCaptures();
  const plain = Buffer.from(all.find((g) => g.name === 'us-little.pcap')!.bytes);
  for (const v of PCAP_VARIANTS) all.push({ name: `us-little.pcap as ${v.name}, big-endian`, bytes: new Uint8Array(asVariant(plain, v, false)) });
  return all;
}

describe('damaged captures', () => {
  for (const g of capturesToDamage()) {
    it(`${g.name}: 400 random byte flips, truncations and length-field smashes`, () => {
      const next = rng(g.bytes.length);
      const outcomes = { ok: 0, warned: 0, error: 0 };
      for (let i = 0; i < 400; i++) {
        const b = g.bytes.slice(0, i % 4 === 0 ? next() % (g.bytes.length + 1) : g.bytes.length);
        const flips = 1 + (next() % 4);
        for (let f = 0; f < flips && b.length > 0; f++) {
          const at = next() % b.length;
          // Every third mutation writes a whole 32-bit word of 0xff… or a random one (length fields).
          if (f % 3 === 2 && at + 4 <= b.length) new DataView(b.buffer).setUint32(at, next() & 1 ? 0xffffffff : next());
          else b[at] = next() & 0xff;
        }
        try {
          const { records, warnings } = readBytes(b, 1 + (next() % 4096));
          for (const r of records) {
            expect(r.data.length).toBe(r.caplen);
            expect(r.tsNsec).toBeGreaterThanOrEqual(0);
            expect(r.tsNsec).toBeLessThan(1e9);
          }
          if (warnings.length > 0) outcomes.warned++;
          else outcomes.ok++;
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          expect(typeof e.code).toBe('string');
          outcomes.error++;
        }
      }
      expect(outcomes.ok + outcomes.warned + outcomes.error).toBe(400);
    });
  }
});
