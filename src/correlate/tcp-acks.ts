import { TcpFlag } from '../model/packet.js';
import { ConnField } from './connection-table.js';

/**
 * What TCP's own acknowledgments say about a segment the captures show arriving but never leaving. A
 * capture can miss packets (the kernel's capture buffer overflows on a busy gateway, `-i any` above all);
 * the receiver cannot: a cumulative ACK at or beyond a segment's end (RFC 9293 §3.4) means the far end
 * got every byte of it. If that ACK came before any retransmission of the segment, the segment itself got
 * through — the gateway forwarded it and the capture missed the copy. (Had the gateway dropped it, the
 * far end could acknowledge it only after a retransmission arrived.)
 *
 * Kept per connection and direction in the connection table's row (ConnField.ACK_MAX…), as 32-bit
 * sequence numbers compared modulo 2^32.
 */
const ACK_SEEN = 1;
const END_SEEN = 4;
const RETRANS_SEEN = 16;

/** a is after b in sequence space (RFC 9293 §3.4: modulo 2^32). */
export function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** The sequence number just past a segment: its data, and one each for SYN and FIN. */
export function segmentEnd(seq: number, payloadLength: number, flags: number): number {
  return (seq + payloadLength + (flags & TcpFlag.SYN ? 1 : 0) + (flags & TcpFlag.FIN ? 1 : 0)) >>> 0;
}

/** Record what a TCP packet (`flags`, `seq`, `ack`, `payloadLength`) of connection row `row`, direction `dir`, shows (ack, sequence end, retransmission). */
export function observeTcp(f: Float64Array, row: number, dir: 0 | 1, flags: number, seq: number, ack: number, payloadLength: number, t: number): void {
  let seen = f[row + ConnField.TCP_SEEN]!;
  // A reset's acknowledgment vouches for nothing: `REJECT --reject-with tcp-reset` answers a SYN with a RST+ACK
  // in the far end's name without forwarding anything (ipt_REJECT / nf_send_reset).
  if (flags & TcpFlag.ACK && !(flags & TcpFlag.RST)) {
    const k = row + ConnField.ACK_MAX + dir;
    if (!(seen & (ACK_SEEN << dir)) || after(ack, f[k]!)) f[k] = ack;
    seen |= ACK_SEEN << dir;
  }
  const end = segmentEnd(seq, payloadLength, flags);
  if (end !== seq) {
    const k = row + ConnField.SEQ_END_MAX + dir;
    const other = dir === 0 ? 1 : 0;
    // A retransmission: it starts before the highest end this direction already sent, or its bytes were
    // acknowledged already (a spurious one).
    const resent =
      (seen & (END_SEEN << dir) && after(f[k]!, seq)) || (seen & (ACK_SEEN << other) && !after(end, f[row + ConnField.ACK_MAX + other]!));
    if (resent) {
      f[row + ConnField.RETRANS_T + dir] = t;
      seen |= RETRANS_SEEN << dir;
    }
    if (!(seen & (END_SEEN << dir)) || after(end, f[k]!)) f[k] = end;
    seen |= END_SEEN << dir;
  }
  f[row + ConnField.TCP_SEEN] = seen;
}

/**
 * Whether a segment (sequence `seq`, `payloadLength`, `flags`, seen at `t` in direction `dir`) that found
 * no copy was acknowledged by the other direction before any retransmission in its own: then it reached
 * the far end, and only the capture missed it. Segments that occupy no sequence space (bare ACKs) cannot
 * be vouched for this way.
 */
export function acknowledged(f: Float64Array, row: number, dir: 0 | 1, seq: number, payloadLength: number, flags: number, t: number): boolean {
  const end = segmentEnd(seq, payloadLength, flags);
  if (end === seq) return false;
  const seen = f[row + ConnField.TCP_SEEN]!;
  const other = dir === 0 ? 1 : 0;
  if (!(seen & (ACK_SEEN << other))) return false;
  const ack = f[row + ConnField.ACK_MAX + other]!;
  if (after(end, ack)) return false;
  // A retransmission since (or this segment being one): the acknowledgment may be another copy's.
  if (seen & (RETRANS_SEEN << dir) && f[row + ConnField.RETRANS_T + dir]! >= t) return false;
  return true;
}
