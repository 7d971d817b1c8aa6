/**
 * pcapng timestamps are 64-bit counts of units since the epoch, the unit set per interface by
 * `if_tsresol` (RFC draft-ietf-opsawg-pcapng §4.2: high bit clear → 10^-n s, set → 2^-n s; default
 * 10^-6) and shifted by `if_tsoffset` seconds. We split them into whole seconds + nanoseconds exactly,
 * with plain double arithmetic on the common paths (every intermediate stays below 2^53) and BigInt
 * only for resolutions no real capturer writes.
 */
export interface TimeScale {
  /** Units per second. */
  readonly unitsPerSec: number;
  /** 10 or 2. */
  readonly base: number;
  readonly exponent: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  readonly offsetSec: number;
  /** Description for summaries: `1e-6`, `2^-20`. */
  readonly label: string;
  /**
   * The power that turns a sub-second remainder into nanoseconds (see fractionToNs): 10^(9−e) or
   * 10^(e−9) for decimal units, 2^e or 2^(e−9) for binary ones. Worked out once per interface: a
   * `**` per packet was a quarter of pcapng reading time.
   */
  readonly fracFactor: number;
}

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** Above this the 16-bit long division below could exceed 2^53 in an intermediate. */
const LONG_DIVISION_MAX = 2 ** 37;

/** null when the resolution cannot be represented (beyond 10^-15 or 2^-52 per unit). */
export function timeScaleFromTsresol(tsresol: number, offsetSec: number): TimeScale | null {
  const base = tsresol & 0x80 ? 2 : 10;
  const exponent = tsresol & 0x7f;
  if ((base === 10 && exponent > 15) || (base === 2 && exponent > 52)) return null;
  return {
    unitsPerSec: base ** exponent,
    base,
    exponent,
    offsetSec,
    label: base === 10 ? `1e-${exponent}` : `2^-${exponent}`,
    fracFactor: base === 10 ? 10 ** Math.abs(9 - exponent) : exponent <= 9 ? 2 ** exponent : 2 ** (exponent - 9),
  };
}

export const MICROSECONDS: TimeScale = timeScaleFromTsresol(6, 0)!;

/** Writes the split time into `out` (the reader's reused record). */
export function applyTimestamp(scale: TimeScale, hi: number, lo: number, out: { tsSec: number; tsNsec: number }): void {
  const d = scale.unitsPerSec;
  let sec: number;
  let rem: number;
  if (hi < 0x200000) {
    // Whole count below 2^53: exact as a double.
    const ts = hi * TWO32 + lo;
    sec = Math.floor(ts / d);
    rem = ts - sec * d;
    // The float quotient can round across an integer; the remainder says which way.
    if (rem < 0) {
      sec -= 1;
      rem += d;
    } else if (rem >= d) {
      sec += 1;
      rem -= d;
    }
  } else if (d <= LONG_DIVISION_MAX) {
    // Long division in base 2^16 (nanosecond counts are ~2^60): each step's dividend < d·2^16 < 2^53.
    let cur = hi >>> 16;
    let q = Math.floor(cur / d);
    let r = cur - q * d;
    cur = r * 65536 + (hi & 0xffff);
    let qd = Math.floor(cur / d);
    r = cur - qd * d;
    q = q * 65536 + qd;
    cur = r * 65536 + (lo >>> 16);
    qd = Math.floor(cur / d);
    r = cur - qd * d;
    q = q * 65536 + qd;
    cur = r * 65536 + (lo & 0xffff);
    qd = Math.floor(cur / d);
    r = cur - qd * d;
    q = q * 65536 + qd;
    sec = q;
    rem = r;
  } else {
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    const bd = BigInt(d);
    sec = Number(ts / bd);
    rem = Number(ts % bd);
  }
  out.tsSec = sec + scale.offsetSec;
  out.tsNsec = fractionToNs(scale, rem);
}

/** rem/unitsPerSec of a second in nanoseconds, truncated (as Wireshark's wiretap does). */
function fractionToNs(scale: TimeScale, rem: number): number {
  const e = scale.exponent;
  const f = scale.fracFactor;
  if (scale.base === 10) {
    return e <= 9 ? rem * f : Math.floor(rem / f);
  }
  // 1e9 = 2^9 · 1953125, so rem·1e9/2^e = rem·1953125 / 2^(e-9): exact while rem·1953125 < 2^53.
  if (e <= 9) return Math.floor((rem * 1e9) / f);
  if (rem * 1953125 < TWO53) return Math.floor((rem * 1953125) / f);
  return Number((BigInt(rem) * 1_000_000_000n) >> BigInt(e));
}
