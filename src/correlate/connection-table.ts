import { Proto } from '../model/packet.js';

/**
 * Connections on one interface by their key, as numbers: an open-addressing hash table (linear probing)
 * from (iface, proto, endpoint pair) to connection id, and per connection the few numbers every packet
 * or matched pair updates (original tuple, counters, union-find parent, latest packet time), so that the
 * per-packet path neither builds a string key (a template-string key per packet made the garbage
 * collector the largest cost of a whole analysis) nor touches the `Connection` objects scattered over
 * the heap. The numbers are copied into the objects when the correlator finishes.
 *
 * Each connection's numbers sit together in one Float64Array row (`ConnField` offsets; every value is an
 * integer exact in a double): a lookup and its updates touch two or three cache lines instead of one
 * line per column. The fields every packet touches come first, then those every matched pair touches.
 *
 * The key, as conntrack keys a connection (both directions share it): TCP/UDP and others — both
 * (address, port) endpoints in a fixed order; ICMP — both addresses in a fixed order and the echo id
 * (the identifier plays the port's role for echo, RFC 792; NAT may rewrite it).
 */
export const enum ConnField {
  // Canonical key.
  IFACE = 0,
  PROTO = 1,
  ADDR_LO = 2,
  PORT_LO = 3,
  ADDR_HI = 4,
  PORT_HI = 5,
  // Original tuple: as the connection's first packet showed it.
  SRC = 6,
  DST = 7,
  SPORT = 8,
  DPORT = 9,
  /** Length of the connection's sample list. */
  SAMPLES = 10,
  // Latest packet: its relative time (ns; the capture time follows from the run's base second) and
  // where it was, as file × 2^32 + frame.
  LAST_T = 11,
  LAST_POS = 12,
  /** Union-find parent (connection id). */
  PARENT = 13,
  // The connection's observed translations: rows of the packet store (packet-store.ts), -1 when none.
  PEER_ROW = 14,
  REPLY_PEER_ROW = 15,
  /** Finalised packets by slot(connDir, dir, matched): 8 counters. */
  COUNTS = 16,
  /** Forwarding latencies recorded (bounded by MAX_LATENCIES). */
  LATENCIES = 24,
  /** The connection's first packet (a packet store row). */
  FIRST_ROW = 25,
  /** Final direction of the first packet (DirId). */
  FIRST_DIR = 26,
  /** When its latest arrival that was matched (left again, either direction) arrived; -1 when none did. */
  LAST_MATCHED_T = 27,
  // TCP, by the direction (connDir) of the packets that showed it: the highest acknowledgment number they
  // carried, the highest sequence end (seq + length + SYN + FIN), and when one last went back below that
  // end (a retransmission); TCP_SEEN says which of these are set (tcp-acks.ts).
  ACK_MAX = 32,
  SEQ_END_MAX = 34,
  RETRANS_T = 36,
  TCP_SEEN = 38,
  // Seldom touched once the first packets are past.
  /** The sample list (packet store rows linked through the rows), -1 when empty. */
  SAMPLE_HEAD = 40,
  SAMPLE_TAIL = 41,
  /** Unmatched arrivals sampled past the first MAX_SAMPLES. */
  UNMATCHED_SAMPLED = 42,
  /** 1: an original-direction TCP SYN was seen. */
  SAW_SYN = 43,
  /** Arrivals with no copy whose TTL had run out (≤ 1: the gateway may not forward them), by connDir. */
  EXPIRED = 44,
  STRIDE = 48,
}

export interface ConnectionTable {
  /** Slot → connection id + 1 (0 = empty). Length is a power of two. */
  slots: Int32Array;
  mask: number;
  count: number;
  /** Rows of ConnField.STRIDE numbers by connection id. */
  f: Float64Array;
  /** Where the last failed `findConnection` stopped, and the key it canonicalised: `insertFound` uses them. */
  lastSlot: number;
  kIface: number;
  kProto: number;
  kAddrLo: number;
  kPortLo: number;
  kAddrHi: number;
  kPortHi: number;
}

export function newConnectionTable(capacity = 1024): ConnectionTable {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return {
    slots: new Int32Array(size),
    mask: size - 1,
    count: 0,
    f: new Float64Array(capacity * ConnField.STRIDE),
    lastSlot: -1,
    kIface: 0,
    kProto: 0,
    kAddrLo: 0,
    kPortLo: 0,
    kAddrHi: 0,
    kPortHi: 0,
  };
}

function hashKey(iface: number, proto: number, aLo: number, pLo: number, aHi: number, pHi: number): number {
  // Addresses are unsigned 32-bit; `| 0` keeps their bits for Math.imul.
  let h = Math.imul(iface ^ (proto << 16), 0x9e3779b1);
  h = Math.imul(h ^ (aLo | 0), 0x85ebca6b);
  h = Math.imul(h ^ pLo, 0xc2b2ae35);
  h = Math.imul(h ^ (aHi | 0), 0x27d4eb2f);
  h = Math.imul(h ^ pHi, 0x165667b1);
  return h ^ (h >>> 15);
}

/**
 * Index connections `from`… by each end (`${iface}|${proto}|${address}`) and by both (`…|${lo}|${hi}`) → ids, oldest
 * first, in `index`. For the rare ICMP error no key finds, its quote cut by the capture before its ports (`tcpdump -s
 * 64`) or its destination: what it names is an address or two. Made only when such an error comes, then kept up as
 * connections are added.
 */
export function indexConnectionEnds(t: ConnectionTable, from: number, index: Map<string, number[]>): void {
  const f = t.f;
  const add = (k: string, id: number): void => {
    const ids = index.get(k);
    if (ids) ids.push(id);
    else index.set(k, [id]);
  };
  for (let id = from; id < t.count; id++) {
    const row = id * ConnField.STRIDE;
    const head = `${f[row + ConnField.IFACE]}|${f[row + ConnField.PROTO]}|`;
    const lo = f[row + ConnField.ADDR_LO]!;
    const hi = f[row + ConnField.ADDR_HI]!;
    add(head + lo, id);
    if (hi !== lo) add(head + hi, id);
    add(`${head}${lo}|${hi}`, id);
  }
}

/** Whether connection `id` is between `a` and `b` (any `b` when -1), with port `aPort` on `a`'s side (any when -1). */
export function connectionBetween(t: ConnectionTable, id: number, a: number, b: number, aPort: number): boolean {
  const f = t.f;
  const row = id * ConnField.STRIDE;
  const lo = f[row + ConnField.ADDR_LO]!;
  const hi = f[row + ConnField.ADDR_HI]!;
  if (b < 0 ? lo !== a && hi !== a : lo !== (a < b ? a : b) || hi !== (a < b ? b : a)) return false;
  return aPort < 0 || lo === hi || f[row + (lo === a ? ConnField.PORT_LO : ConnField.PORT_HI)] === aPort;
}

/**
 * The id of the connection on `iface` whose key this packet has, or -1 (then `insertFound` adds the
 * next connection under that key). ICMP packets pass the echo id as `sport` (0 for other types).
 */
export function findConnection(t: ConnectionTable, iface: number, proto: number, src: number, dst: number, sport: number, dport: number): number {
  let aLo: number;
  let pLo: number;
  let aHi: number;
  let pHi: number;
  if (proto === Proto.ICMP) {
    aLo = src < dst ? src : dst;
    aHi = src < dst ? dst : src;
    pLo = sport;
    pHi = 0;
  } else if (src < dst || (src === dst && sport <= dport)) {
    aLo = src;
    pLo = sport;
    aHi = dst;
    pHi = dport;
  } else {
    aLo = dst;
    pLo = dport;
    aHi = src;
    pHi = sport;
  }
  const slots = t.slots;
  const mask = t.mask;
  const f = t.f;
  let i = hashKey(iface, proto, aLo, pLo, aHi, pHi) & mask;
  for (;;) {
    const v = slots[i]!;
    if (v === 0) break;
    const row = (v - 1) * ConnField.STRIDE;
    if (
      f[row + ConnField.ADDR_LO] === aLo &&
      f[row + ConnField.ADDR_HI] === aHi &&
      f[row + ConnField.PORT_LO] === pLo &&
      f[row + ConnField.PORT_HI] === pHi &&
      f[row + ConnField.IFACE] === iface &&
      f[row + ConnField.PROTO] === proto
    ) {
      return v - 1;
    }
    i = (i + 1) & mask;
  }
  t.lastSlot = i;
  t.kIface = iface;
  t.kProto = proto;
  t.kAddrLo = aLo;
  t.kPortLo = pLo;
  t.kAddrHi = aHi;
  t.kPortHi = pHi;
  return -1;
}

/**
 * Add connection `id` (= the number of connections so far) under the key the last failed lookup had,
 * with its original tuple; its counters start at zero and it is its own union-find root.
 */
export function insertFound(t: ConnectionTable, id: number, src: number, dst: number, sport: number, dport: number): void {
  if (t.lastSlot < 0 || id !== t.count) throw new Error(`insertFound(${id}) without a failed lookup for it`);
  if ((id + 1) * ConnField.STRIDE > t.f.length) {
    const f = new Float64Array(t.f.length * 2);
    f.set(t.f);
    t.f = f;
  }
  const f = t.f;
  const row = id * ConnField.STRIDE;
  f[row + ConnField.IFACE] = t.kIface;
  f[row + ConnField.PROTO] = t.kProto;
  f[row + ConnField.ADDR_LO] = t.kAddrLo;
  f[row + ConnField.PORT_LO] = t.kPortLo;
  f[row + ConnField.ADDR_HI] = t.kAddrHi;
  f[row + ConnField.PORT_HI] = t.kPortHi;
  f[row + ConnField.SRC] = src;
  f[row + ConnField.DST] = dst;
  f[row + ConnField.SPORT] = sport;
  f[row + ConnField.DPORT] = dport;
  f[row + ConnField.PARENT] = id;
  f[row + ConnField.SAMPLE_HEAD] = -1;
  f[row + ConnField.SAMPLE_TAIL] = -1;
  f[row + ConnField.PEER_ROW] = -1;
  f[row + ConnField.REPLY_PEER_ROW] = -1;
  f[row + ConnField.LAST_MATCHED_T] = -1;
  t.slots[t.lastSlot] = id + 1;
  t.lastSlot = -1;
  t.count++;
  // Keep the load at most 1/2 so that probe runs stay short.
  if (t.count * 2 > t.slots.length) rehash(t, t.slots.length * 2);
}

function rehash(t: ConnectionTable, size: number): void {
  const slots = new Int32Array(size);
  const mask = size - 1;
  const f = t.f;
  for (let id = 0; id < t.count; id++) {
    const row = id * ConnField.STRIDE;
    const h = hashKey(
      f[row + ConnField.IFACE]!,
      f[row + ConnField.PROTO]!,
      f[row + ConnField.ADDR_LO]!,
      f[row + ConnField.PORT_LO]!,
      f[row + ConnField.ADDR_HI]!,
      f[row + ConnField.PORT_HI]!,
    );
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }
  t.slots = slots;
  t.mask = mask;
}

/** Union-find root of connection `id`, compressing the path. */
export function rootOf(t: ConnectionTable, id: number): number {
  const f = t.f;
  let r = id;
  while (f[r * ConnField.STRIDE + ConnField.PARENT] !== r) r = f[r * ConnField.STRIDE + ConnField.PARENT]!;
  let x = id;
  while (x !== r) {
    const next = f[x * ConnField.STRIDE + ConnField.PARENT]!;
    f[x * ConnField.STRIDE + ConnField.PARENT] = r;
    x = next;
  }
  return r;
}

/** Join the flows of connections `a` and `b` (the lower id becomes the root, as connections are numbered in order of appearance). */
export function unionConnections(t: ConnectionTable, a: number, b: number): void {
  const ra = rootOf(t, a);
  const rb = rootOf(t, b);
  if (ra !== rb) t.f[Math.max(ra, rb) * ConnField.STRIDE + ConnField.PARENT] = Math.min(ra, rb);
}
