/** Packet time stays exact to the nanosecond: whole seconds + nanoseconds, never float seconds. */

export interface NsTime {
  readonly sec: number;
  readonly nsec: number;
}

/** Nanoseconds since the epoch as a BigInt (for arithmetic off the hot path). */
export function toNs(sec: number, nsec: number): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

let cachedSec = NaN;
let cachedBase = '';

/** `2026-11-26T09:58:30.123456789Z`. (The date part is cached per second: packets come in bursts.) */
export function isoNs(sec: number, nsec: number): string {
  if (sec !== cachedSec) {
    cachedBase = new Date(sec * 1000).toISOString().slice(0, 19);
    cachedSec = sec;
  }
  return `${cachedBase}.${String(nsec).padStart(9, '0')}Z`;
}

export function isoFromNs(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const nsec = ns % 1_000_000_000n;
  return isoNs(Number(sec), Number(nsec));
}

/** Difference a − b in nanoseconds, as a plain number (exact below 2^53 ns ≈ 104 days). */
export function diffNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (aSec - bSec) * 1e9 + (aNsec - bNsec);
}
