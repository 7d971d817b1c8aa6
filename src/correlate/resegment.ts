import { TcpFlag } from '../model/packet.js';

/**
 * Segmentation offload: a TCP segment that left as several. Receive offload (GRO, LRO) merges the segments
 * of a burst into one before the capture sees them, and a sender on the same host (a pod's veth) hands over
 * unsegmented TSO/GSO packets; when the interface the gateway forwards such a packet by does not do
 * segmentation itself, the kernel cuts it into segments of the original size before the capture sees it
 * there. The arrival is one large segment; its copy is a run of smaller ones. The first carries the merged
 * segment's IP ID, sequence number, acknowledgment and first payload bytes (its flags less PSH, FIN, CWR);
 * each next one starts where the one before ended, with the IP ID one higher (or the same: fixed-ID GSO).
 * None of them has the merged segment's length, so the fingerprint (fingerprint.ts) cannot pair them.
 *
 * Two direct-mapped tables keyed by (sequence, acknowledgment) let the correlator find them (correlator.ts):
 * the pending TCP segments that carry data, so that a segment without a copy of its own length can look for
 * a larger one it is the first piece of (or, captured first, the larger one for it); and for each merged
 * segment paired with its first piece, where the next piece must start. A newer entry takes an older one's
 * place: a collision loses a pairing (the acknowledgments still vouch for the segment, tcp-acks.ts), never
 * makes a wrong one, as every field is compared.
 *
 * IP fragmentation is the other way a packet leaves in pieces: a datagram without DF that arrived whole, or
 * in fragments larger than the outgoing interface's MTU, leaves in smaller fragments (conntrack reassembles it
 * first; ip_fragment cuts it again to the MTU). The first fragment keeps the IP ID, the transport header and
 * the first payload bytes; only its length differs. A third table, keyed by (IP ID, protocol), holds the pending
 * packets without DF that are not TCP, where an unmatched first fragment looks for the datagram it began.
 */
export interface Resegmenting {
  /** Pending-ring slot of a pending TCP segment with data, by its (seq, ack); -1 empty. */
  readonly pendingBySeq: Int32Array;
  /** Pieces still to come, by (expected seq, ack): where the run stops, its interface (-1: empty), TTL, last IP ID, time. */
  readonly nextSeq: Float64Array;
  readonly nextAck: Float64Array;
  readonly nextEnd: Float64Array;
  readonly nextIface: Int32Array;
  readonly nextTtl: Int32Array;
  readonly nextIpId: Int32Array;
  readonly nextT: Float64Array;
  /** The merged segment's packet-store row, -1 when it was not kept. */
  readonly nextMerged: Int32Array;
  /** Pending-ring slot of a pending datagram without DF (not TCP), by (IP ID, protocol); -1 empty. */
  readonly pendingById: Int32Array;
  /** Per interface index: datagrams that left by it in smaller fragments than they arrived in. */
  readonly refragmentedOn: number[];
  /** Runs with pieces still expected (entries not yet used up; some may have gone stale). */
  open: number;
  /** Per interface index: merged arrivals on it paired with the run of segments they left as. */
  readonly mergedOn: number[];
  /** Per interface index: pieces that left by it (each run's first included). */
  readonly piecesOn: number[];
}

const SIZE = 8192;

export function newResegmenting(): Resegmenting {
  return {
    pendingBySeq: new Int32Array(SIZE).fill(-1),
    pendingById: new Int32Array(SIZE).fill(-1),
    refragmentedOn: [],
    nextSeq: new Float64Array(SIZE),
    nextAck: new Float64Array(SIZE),
    nextEnd: new Float64Array(SIZE),
    nextIface: new Int32Array(SIZE).fill(-1),
    nextTtl: new Int32Array(SIZE),
    nextIpId: new Int32Array(SIZE),
    nextT: new Float64Array(SIZE),
    nextMerged: new Int32Array(SIZE).fill(-1),
    open: 0,
    mergedOn: [],
    piecesOn: [],
  };
}

/** The table entry for a segment's (seq, ack). */
export function seqSlot(seq: number, ack: number): number {
  let h = Math.imul(seq | 0, 0x9e3779b1) ^ Math.imul((ack | 0) ^ 0x5bd1e995, 0x85ebca6b);
  h ^= h >>> 15;
  return (h >>> 0) & (SIZE - 1);
}

/** The table entry for a datagram's (IP ID, protocol). */
export function idSlot(ipId: number, proto: number): number {
  let h = Math.imul(ipId | (proto << 16), 0x9e3779b1);
  h ^= h >>> 15;
  return (h >>> 0) & (SIZE - 1);
}

/** Flags a segment and the pieces it is cut into share: GSO gives PSH and FIN to the last piece only, CWR to the first. */
const KEPT_FLAGS = 0xff & ~(TcpFlag.PSH | TcpFlag.FIN | TcpFlag.CWR);

export function sameCutFlags(a: number, b: number): boolean {
  return (a & KEPT_FLAGS) === (b & KEPT_FLAGS);
}

/** Expect the piece after one that ended at `seq` (exclusive), of a run on `iface` ending at `end`. */
export function expectPiece(r: Resegmenting, seq: number, ack: number, end: number, iface: number, ttl: number, ipId: number, t: number, mergedKept: number): void {
  const k = seqSlot(seq, ack);
  if (r.nextIface[k] < 0) r.open++;
  r.nextSeq[k] = seq;
  r.nextAck[k] = ack;
  r.nextEnd[k] = end;
  r.nextIface[k] = iface;
  r.nextTtl[k] = ttl;
  r.nextIpId[k] = ipId;
  r.nextT[k] = t;
  r.nextMerged[k] = mergedKept;
}

/** Count a piece that left by `iface` (and, for a run's first, the merged arrival on `mergedIface`). */
export function countPiece(r: Resegmenting, iface: number, mergedIface: number): void {
  r.piecesOn[iface] = (r.piecesOn[iface] ?? 0) + 1;
  if (mergedIface >= 0) r.mergedOn[mergedIface] = (r.mergedOn[mergedIface] ?? 0) + 1;
}

/** Forget the expected piece in entry `k`. */
export function usePiece(r: Resegmenting, k: number): void {
  r.nextIface[k] = -1;
  r.open--;
}
