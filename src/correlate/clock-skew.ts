import type { CaptureRecord } from '../model/capture.js';
import type { InputWarning } from '../model/errors.js';
import { Net, type DecodedPacket } from '../model/packet.js';
import type { CaptureWindow } from './capture-merge.js';
import { fingerprint } from './fingerprint.js';

/** Packets seen in both captures needed before their clocks are judged to differ. */
const MIN_PAIRS = 5;
/** A difference below this is forwarding latency (or a clock offset matching tolerates), not a skew to correct. */
const SKEW_NS = 5e7;
/** Pairs within this of their median agree on it. */
const AGREE_NS = 1e7;

/** One packet of a capture's beginning: when (ns since the epoch: a double, exact to a few hundred ns) and its TTL. */
interface Seen {
  readonly t: number;
  readonly ttl: number;
}

/**
 * How far each capture's clock is off the first one's, from the packets both saw (a packet and its forwarded
 * copy keep their IP ID, payload and sequence numbers, fingerprint.ts; their TTLs are one apart). Captures of
 * one gateway share its clock, but captures taken on two hosts (the gateway and the node it runs on, a VM and
 * its hypervisor) may differ by seconds, and packets are matched within a window of milliseconds: without a
 * correction nothing would match and every flow would seem to stop. Fed the packets of the look at the
 * captures' beginning (interface-by-mac.ts), then asked for the shifts.
 */
export class ClockLook {
  /** Per capture, its packets by fingerprint (null: the fingerprint came twice, so it cannot pair). */
  readonly #seen: Map<number, Seen | null>[];

  constructor(captures: number) {
    this.#seen = Array.from({ length: captures }, () => new Map());
  }

  visit(file: number, rec: CaptureRecord, d: DecodedPacket): void {
    if (d.net !== Net.IPV4 || d.fragment || d.truncatedAt !== 0) return;
    const seen = this.#seen[file]!;
    const key = fingerprint(d);
    seen.set(key, seen.has(key) ? null : { t: rec.tsSec * 1e9 + rec.tsNsec, ttl: d.ttl });
  }

  /**
   * The nanoseconds to add to each capture's timestamps to put them on the first capture's clock (0 where
   * they agree or cannot be compared, standard input among them), each correction said by a `clock-skew` warning.
   */
  shifts(paths: readonly string[], onWarning: (w: InputWarning) => void): number[] {
    const seen = this.#seen;
    const shifts = paths.map(() => 0);
    // Each capture is put on the clock of one already placed (the first capture's, directly or through another).
    const placed = new Set<number>([0]);
    let progress = paths.length > 1;
    while (progress) {
      progress = false;
      for (let k = 1; k < paths.length; k++) {
        if (placed.has(k) || !seen[k]!.size) continue;
        for (const ref of placed) {
          const skew = skewBetween(seen[ref]!, seen[k]!);
          if (skew === null) continue;
          placed.add(k);
          progress = true;
          if (Math.abs(skew.ns) < SKEW_NS) break;
          shifts[k] = shifts[ref]! - skew.ns;
          onWarning({
            code: 'clock-skew',
            file: paths[k]!,
            message: `this capture's clock is ${describeNs(skew.ns)} ${skew.ns > 0 ? 'ahead of' : 'behind'} that of ${paths[ref]} (${skew.pairs} packets seen in both, ${skew.agree} within 10 ms of that): its packets are matched as if taken ${describeNs(skew.ns)} ${skew.ns > 0 ? 'earlier' : 'later'}; the times shown are each capture's own`,
          });
          break;
        }
      }
    }
    return shifts;
  }
}

/** The median time from `a`'s packets to their copies (or originals) in `b`, when enough of them agree on it. */
function skewBetween(a: Map<number, Seen | null>, b: Map<number, Seen | null>): { ns: number; pairs: number; agree: number } | null {
  const deltas: number[] = [];
  for (const [key, x] of a) {
    if (!x) continue;
    const y = b.get(key);
    if (!y || Math.abs(x.ttl - y.ttl) !== 1) continue;
    deltas.push(y.t - x.t);
  }
  if (deltas.length < MIN_PAIRS) return null;
  deltas.sort((p, q) => p - q);
  const m = deltas[deltas.length >> 1]!;
  const agree = deltas.filter((d) => Math.abs(d - m) <= AGREE_NS).length;
  if (agree < MIN_PAIRS || agree < 0.6 * deltas.length) return null;
  return { ns: Math.round(m), pairs: deltas.length, agree };
}

function describeNs(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(a / 1e9).toFixed(3)} s`;
  return `${(a / 1e6).toFixed(1)} ms`;
}

/** A capture window's times moved by `shiftNs` (onto the reference capture's clock). */
export function shiftWindow(w: CaptureWindow, shiftNs: number): CaptureWindow {
  if (shiftNs === 0) return w;
  const move = (x: { sec: number; nsec: number } | null): { sec: number; nsec: number } | null => {
    if (!x) return null;
    const total = x.nsec + shiftNs;
    const sec = x.sec + Math.floor(total / 1e9);
    return { sec, nsec: total - Math.floor(total / 1e9) * 1e9 };
  };
  return {
    ...w,
    first: move(w.first),
    last: move(w.last),
    ranFrom: move(w.ranFrom),
    ranTo: move(w.ranTo),
    spans: w.spans?.map((s) => ({ ...s, first: move(s.first)!, last: move(s.last)! })) ?? null,
  };
}
