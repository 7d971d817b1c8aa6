import type { DirId, PacketInfo } from './packet-info.js';

/**
 * The packets waiting for their copy on another interface, kept as numbers in a ring (arrival order,
 * oldest at `head`), plus a hash from fingerprint to the pending ones (chains through the ring, in
 * arrival order). Nothing here allocates per packet: a packet becomes an object (`obj`) only when the
 * correlator samples it. Slots whose packet was matched stay in the ring, marked, until time moves past
 * them, so the ring holds at most the packets of one matching window (memory follows the traffic rate,
 * not the capture's length).
 *
 * A slot is one row of `Slot.STRIDE` numbers in a Float64Array (every field is an integer exact in a
 * double): storing a packet or comparing it with a candidate touches a few adjacent cache lines rather
 * than one line in each of thirty column arrays. The fields a match compares come first.
 */
export const enum Slot {
  KEY = 0,
  /** Next / previous pending slot in the same fingerprint bucket (-1 ends). */
  NEXT = 1,
  IFACE = 2,
  IP_ID = 3,
  PAYLOAD_LENGTH = 4,
  PAYLOAD_HASH = 5,
  PROTO = 6,
  TCP_SEQ = 7,
  TCP_ACK = 8,
  TCP_FLAGS = 9,
  ICMP_TYPE = 10,
  ICMP_CODE = 11,
  ICMP_SEQ = 12,
  T = 13,
  TTL = 14,
  ARRIVAL = 15,
  PREV = 16,
  /** SlotState. */
  STATE = 17,
  CONN_DIR = 18,
  CONN_ID = 19,
  SRC_MAC = 20,
  DST_MAC = 21,
  SRC = 22,
  DST = 23,
  TS_SEC = 24,
  TS_NSEC = 25,
  FRAME = 26,
  FILE = 27,
  SPORT = 28,
  DPORT = 29,
  LENGTH = 30,
  DF = 31,
  STRIDE = 32,
}

export const enum SlotState {
  FREE = 0,
  PENDING = 1,
  MATCHED = 2,
}

export interface PacketRing {
  /** Capacity in slots: a power of two. */
  cap: number;
  mask: number;
  head: number;
  count: number;
  /** Pending (unmatched) packets in the ring. */
  pending: number;
  /** Rows of Slot.STRIDE numbers. */
  f: Float64Array;
  /** The packet's object when it was sampled (or materialised as a partner), else null. */
  obj: (PacketInfo | null)[];
  /** Fingerprint bucket → first / last pending slot (-1 when empty); as many buckets as slots. */
  bucketHead: Int32Array;
  bucketTail: Int32Array;
}

export function newPacketRing(capacity = 4096): PacketRing {
  let cap = 16;
  while (cap < capacity) cap *= 2;
  return {
    cap,
    mask: cap - 1,
    head: 0,
    count: 0,
    pending: 0,
    f: new Float64Array(cap * Slot.STRIDE),
    obj: new Array<PacketInfo | null>(cap).fill(null),
    bucketHead: new Int32Array(cap).fill(-1),
    bucketTail: new Int32Array(cap).fill(-1),
  };
}

/**
 * A free slot at the tail (the ring doubles when full); the caller fills its row, then calls
 * `linkPending`. Returns the slot.
 */
export function claimSlot(r: PacketRing): number {
  if (r.count === r.cap) grow(r);
  const i = (r.head + r.count) & r.mask;
  r.count++;
  return i;
}

/** Put slot `i` (its KEY filled) at the end of its fingerprint chain: it may now be matched. */
export function linkPending(r: PacketRing, i: number): void {
  const f = r.f;
  const row = i * Slot.STRIDE;
  const b = f[row + Slot.KEY]! & r.mask;
  const tail = r.bucketTail[b]!;
  f[row + Slot.STATE] = SlotState.PENDING;
  f[row + Slot.PREV] = tail;
  f[row + Slot.NEXT] = -1;
  if (tail < 0) r.bucketHead[b] = i;
  else f[tail * Slot.STRIDE + Slot.NEXT] = i;
  r.bucketTail[b] = i;
  r.pending++;
}

/** Take pending slot `i` out of its chain (it was matched, or it expires). */
export function unlinkPending(r: PacketRing, i: number, state: SlotState): void {
  const f = r.f;
  const row = i * Slot.STRIDE;
  const b = f[row + Slot.KEY]! & r.mask;
  const p = f[row + Slot.PREV]!;
  const n = f[row + Slot.NEXT]!;
  if (p < 0) r.bucketHead[b] = n;
  else f[p * Slot.STRIDE + Slot.NEXT] = n;
  if (n < 0) r.bucketTail[b] = p;
  else f[n * Slot.STRIDE + Slot.PREV] = p;
  f[row + Slot.STATE] = state;
  r.pending--;
}

/** First pending slot whose fingerprint falls in `key`'s bucket (compare KEY yourself), -1 if none. */
export function firstInBucket(r: PacketRing, key: number): number {
  return r.bucketHead[key & r.mask]!;
}

/** Drop the oldest slot (its packet matched or finalised). */
export function releaseHead(r: PacketRing): void {
  const i = r.head;
  r.f[i * Slot.STRIDE + Slot.STATE] = SlotState.FREE;
  r.obj[i] = null;
  r.head = (i + 1) & r.mask;
  r.count--;
}

/** Double the capacity: slots move to 0…count-1 in arrival order and chains are rebuilt in that order. */
function grow(r: PacketRing): void {
  const n = r.count;
  const cap = r.cap * 2;
  const f = new Float64Array(cap * Slot.STRIDE);
  const first = Math.min(n, r.cap - r.head);
  f.set(r.f.subarray(r.head * Slot.STRIDE, (r.head + first) * Slot.STRIDE), 0);
  f.set(r.f.subarray(0, (n - first) * Slot.STRIDE), first * Slot.STRIDE);
  const obj = new Array<PacketInfo | null>(cap).fill(null);
  for (let k = 0; k < n; k++) obj[k] = r.obj[(r.head + k) & r.mask]!;
  r.cap = cap;
  r.mask = cap - 1;
  r.f = f;
  r.obj = obj;
  r.head = 0;
  r.pending = 0;
  r.bucketHead = new Int32Array(cap).fill(-1);
  r.bucketTail = new Int32Array(cap).fill(-1);
  for (let k = 0; k < n; k++) if (f[k * Slot.STRIDE + Slot.STATE] === SlotState.PENDING) linkPending(r, k);
}

/** Slot `i`'s packet as an object (for samples, a connection's peer, a sampled packet's partner). */
export function slotPacket(r: PacketRing, i: number): PacketInfo {
  const f = r.f;
  const row = i * Slot.STRIDE;
  const arrival = f[row + Slot.ARRIVAL]! as DirId;
  return {
    file: f[row + Slot.FILE]!,
    frame: f[row + Slot.FRAME]!,
    iface: f[row + Slot.IFACE]!,
    tsSec: f[row + Slot.TS_SEC]!,
    tsNsec: f[row + Slot.TS_NSEC]!,
    t: f[row + Slot.T]!,
    arrivalDir: arrival,
    dir: arrival,
    proto: f[row + Slot.PROTO]!,
    src: f[row + Slot.SRC]!,
    dst: f[row + Slot.DST]!,
    sport: f[row + Slot.SPORT]!,
    dport: f[row + Slot.DPORT]!,
    icmpType: f[row + Slot.ICMP_TYPE]!,
    icmpCode: f[row + Slot.ICMP_CODE]!,
    icmpSeq: f[row + Slot.ICMP_SEQ]!,
    ipId: f[row + Slot.IP_ID]!,
    ttl: f[row + Slot.TTL]!,
    length: f[row + Slot.LENGTH]!,
    df: f[row + Slot.DF] === 1,
    payloadLength: f[row + Slot.PAYLOAD_LENGTH]!,
    payloadHash: f[row + Slot.PAYLOAD_HASH]!,
    tcpSeq: f[row + Slot.TCP_SEQ]!,
    tcpAck: f[row + Slot.TCP_ACK]!,
    tcpFlags: f[row + Slot.TCP_FLAGS]!,
    srcMac: f[row + Slot.SRC_MAC]!,
    dstMac: f[row + Slot.DST_MAC]!,
    key: f[row + Slot.KEY]!,
    connDir: f[row + Slot.CONN_DIR]! as 0 | 1,
    connId: f[row + Slot.CONN_ID]!,
    match: null,
    sample: -1,
  };
}
