import { describe, expect, it } from 'vitest';
import { applyTimestamp, timeScaleFromTsresol } from '../../src/ingest/time-scale.js';

/** Reference conversion in BigInt: floor(ts / units) seconds, floor(rem · 1e9 / units) ns. */
function reference(tsresol: number, offset: number, ts: bigint): [number, number] {
  const units = tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol & 0x7f);
  return [Number(ts / units) + offset, Number(((ts % units) * 1_000_000_000n) / units)];
}

describe('pcapng timestamp scaling', () => {
  const cases: [number, bigint][] = [
    [6, 1_795_687_113_123_456n],
    [6, 0n],
    [6, 2n ** 64n - 1n],
    [9, 1_795_687_113_999_999_999n],
    [9, 2n ** 63n + 12345n],
    [9, 2n ** 64n - 1n],
    [3, 1_795_687_113_999n],
    [12, 1_795_687_113_000_000_000_001n & (2n ** 64n - 1n)],
    [0x80 | 20, (1_795_687_113n << 20n) + 0x80003n],
    [0x80 | 30, (1_795_687_116n << 30n) + (1n << 30n) - 1n],
    [0x80 | 32, (1_795_687_113n << 32n) + 0xffffffffn],
    [0x80 | 40, 2n ** 64n - 1n],
    [0x80 | 5, 12345n],
  ];
  for (const [tsresol, ts] of cases) {
    it(`tsresol 0x${tsresol.toString(16)} ts ${ts}`, () => {
      const scale = timeScaleFromTsresol(tsresol, 7)!;
      const out = { tsSec: -1, tsNsec: -1 };
      applyTimestamp(scale, Number(ts >> 32n), Number(ts & 0xffffffffn), out);
      expect([out.tsSec, out.tsNsec]).toEqual(reference(tsresol, 7, ts));
    });
  }

  it('exhaustively near second boundaries at µs and ns', () => {
    const out = { tsSec: 0, tsNsec: 0 };
    for (const tsresol of [6, 9]) {
      const scale = timeScaleFromTsresol(tsresol, 0)!;
      const units = 10n ** BigInt(tsresol);
      for (let s = 1_700_000_000n; s < 1_700_000_050n; s++) {
        for (const delta of [-1n, 0n, 1n]) {
          const ts = s * units + delta;
          applyTimestamp(scale, Number(ts >> 32n), Number(ts & 0xffffffffn), out);
          expect([out.tsSec, out.tsNsec]).toEqual(reference(tsresol, 0, ts));
        }
      }
    }
  });

  it('refuses resolutions finer than a double can count', () => {
    expect(timeScaleFromTsresol(16, 0)).toBeNull();
    expect(timeScaleFromTsresol(0x80 | 53, 0)).toBeNull();
    expect(timeScaleFromTsresol(15, 0)?.unitsPerSec).toBe(1e15);
  });
});
