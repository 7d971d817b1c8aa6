/**
 * The packets waiting for their copy on another interface, kept as numbers: a pool of slots, a hash from
 * fingerprint to the pending ones (chains through the pool, in arrival order), and a ring of slot
 * numbers in arrival order from which the oldest expire. Nothing here allocates per packet: a packet
 * is copied into the packet store (`kept`, packet-store.ts) only when the correlator keeps it.
 *
 * A slot is freed the moment its packet is matched (most are, microseconds after they came), so the pool
 * holds only packets still waiting: in a healthy capture a few hundred rows that stay in the processor's
 * cache, at worst (nothing forwarded) one matching window's worth. The arrival ring keeps 8 bytes per
 * packet of the window; an entry whose slot was freed and reused since is recognised by the slot's
 * generation and skipped. (Keeping matched packets in a ring until time passed them made the correlator
 * write and re-read ~25 MB a second at 400k packets/s, and evicted the connection table from the cache.)
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
  /** Payload bytes the hash covers (Row.PAYLOAD_HASHED). */
  PAYLOAD_HASHED = 32,
  STRIDE = 33,
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
  /** Pending (unmatched) packets in the pool. */
  pending: number;
  /** Rows of Slot.STRIDE numbers. */
  f: Float64Array;
  /** The packet's row in the packet store when it was kept (sampled, or a kept packet's partner), else -1. */
  kept: Int32Array;
  /** Fingerprint bucket → first / last pending slot (-1 when empty); as many buckets as slots. */
  bucketHead: Int32Array;
  bucketTail: Int32Array;
  /** Free slots, a stack of `free` entries. */
  freeSlots: Int32Array;
  free: number;
  /** Per slot, how many times it was released: an arrival entry naming an older generation is stale. */
  gen: Int32Array;
  /** Arrival ring: (slot, generation) pairs, oldest at `head`, `count` entries, capacity `arrivalMask + 1`. */
  arrivals: Int32Array;
  arrivalMask: number;
  head: number;
  count: number;
}

export function newPacketRing(capacity = 4096): PacketRing {
  let cap = 16;
  while (cap < capacity) cap *= 2;
  const freeSlots = new Int32Array(cap);
  // Popped from the top: slot 0 first.
  for (let k = 0; k < cap; k++) freeSlots[k] = cap - 1 - k;
  return {
    cap,
    mask: cap - 1,
    pending: 0,
    f: new Float64Array(cap * Slot.STRIDE),
    kept: new Int32Array(cap).fill(-1),
    bucketHead: new Int32Array(cap).fill(-1),
    bucketTail: new Int32Array(cap).fill(-1),
    freeSlots,
    free: cap,
    gen: new Int32Array(cap),
    arrivals: new Int32Array(2 * cap),
    arrivalMask: cap - 1,
    head: 0,
    count: 0,
  };
}

/**
 * A free slot (the pool doubles when none is left); the caller fills its row, then calls `linkPending`.
 * Returns the slot.
 */
export function claimSlot(r: PacketRing): number {
  if (r.free === 0) grow(r);
  return r.freeSlots[--r.free]!;
}

/**
 * Put slot `i` (its KEY and T filled) at the end of its fingerprint chain, and of the arrival ring: it
 * may now be matched, and expires in arrival order.
 */
export function linkPending(r: PacketRing, i: number): void {
  // With nothing pending every arrival entry is stale: start the ring afresh (in a healthy capture most
  // packets are matched before the next one waits, and the ring would otherwise fill with stale entries).
  if (r.pending === 0) {
    r.head = 0;
    r.count = 0;
  }
  chain(r, i);
  if (r.count > r.arrivalMask) growArrivals(r);
  const at = ((r.head + r.count) & r.arrivalMask) * 2;
  r.arrivals[at] = i;
  r.arrivals[at + 1] = r.gen[i]!;
  r.count++;
}

function chain(r: PacketRing, i: number): void {
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

/** Take pending slot `i` out of its chain (it was matched, or it expires); `releaseSlot` frees it after. */
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

/** Free slot `i` (unlinked already): its arrival entry goes stale, its kept row is forgotten. */
export function releaseSlot(r: PacketRing, i: number): void {
  r.f[i * Slot.STRIDE + Slot.STATE] = SlotState.FREE;
  r.kept[i] = -1;
  r.gen[i] = (r.gen[i]! + 1) | 0;
  r.freeSlots[r.free++] = i;
}

/** First pending slot whose fingerprint falls in `key`'s bucket (compare KEY yourself), -1 if none. */
export function firstInBucket(r: PacketRing, key: number): number {
  return r.bucketHead[key & r.mask]!;
}

/** The slot of the oldest packet still pending, -1 if none (stale arrival entries are dropped on the way). */
export function oldestPending(r: PacketRing): number {
  const a = r.arrivals;
  while (r.count !== 0) {
    const at = r.head * 2;
    const i = a[at]!;
    if (a[at + 1] === r.gen[i] && r.f[i * Slot.STRIDE + Slot.STATE] === SlotState.PENDING) return i;
    r.head = (r.head + 1) & r.arrivalMask;
    r.count--;
  }
  return -1;
}

/** Drop the oldest arrival entry (after `oldestPending` named it). */
export function dropOldest(r: PacketRing): void {
  r.head = (r.head + 1) & r.arrivalMask;
  r.count--;
}

/** The arrival entries still naming a pending packet, oldest first. */
function pendingInArrivalOrder(r: PacketRing): number[] {
  const out: number[] = [];
  for (let k = 0; k < r.count; k++) {
    const at = ((r.head + k) & r.arrivalMask) * 2;
    const i = r.arrivals[at]!;
    if (r.arrivals[at + 1] === r.gen[i] && r.f[i * Slot.STRIDE + Slot.STATE] === SlotState.PENDING) out.push(i);
  }
  return out;
}

/** Double the pool: slots keep their numbers; the chains are rebuilt (in arrival order) for the new bucket count. */
function grow(r: PacketRing): void {
  const old = r.cap;
  const cap = old * 2;
  const f = new Float64Array(cap * Slot.STRIDE);
  f.set(r.f);
  const gen = new Int32Array(cap);
  gen.set(r.gen);
  const kept = new Int32Array(cap).fill(-1);
  kept.set(r.kept);
  const freeSlots = new Int32Array(cap);
  freeSlots.set(r.freeSlots.subarray(0, r.free));
  let free = r.free;
  for (let k = cap - 1; k >= old; k--) freeSlots[free++] = k;
  const order = pendingInArrivalOrder(r);
  r.cap = cap;
  r.mask = cap - 1;
  r.f = f;
  r.gen = gen;
  r.kept = kept;
  r.freeSlots = freeSlots;
  r.free = free;
  r.pending = 0;
  r.bucketHead = new Int32Array(cap).fill(-1);
  r.bucketTail = new Int32Array(cap).fill(-1);
  for (const i of order) chain(r, i);
}

/** Double the arrival ring, oldest entry first. */
function growArrivals(r: PacketRing): void {
  const size = (r.arrivalMask + 1) * 2;
  const a = new Int32Array(2 * size);
  for (let k = 0; k < r.count; k++) {
    const from = ((r.head + k) & r.arrivalMask) * 2;
    a[2 * k] = r.arrivals[from]!;
    a[2 * k + 1] = r.arrivals[from + 1]!;
  }
  r.arrivals = a;
  r.arrivalMask = size - 1;
  r.head = 0;
}
