/** Packet time stays exact to the nanosecond: whole seconds + nanoseconds, never float seconds. */

export interface NsTime {
  readonly sec: number;
  readonly nsec: number;
}

/** Nanoseconds since the epoch as a BigInt (for arithmetic off the hot path). */
export function toNs(sec: number, nsec: number): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

/** `2026-11-26T09:58:30.123456789Z`. */
export function isoNs(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  const base = d.toISOString().slice(0, 19);
  return `${base}.${String(nsec).padStart(9, '0')}Z`;
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
