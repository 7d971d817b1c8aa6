import { Row } from './packet-row.js';
import { Proto } from '../model/packet.js';
import { isEcho, type DirId, type PacketInfo } from './packet-info.js';
import { Slot } from './packet-ring.js';

/**
 * The packets the correlator keeps past their matching (a connection's samples, their partners, each
 * connection's first packet and observed translations), as rows of numbers, not objects. A capture of a
 * few thousand connections keeps over a hundred thousand of them; as objects they were the largest
 * fixed cost of an analysis (allocating them, and the garbage collector copying them from the young
 * generation to the old), though most are never looked at. A row becomes a `PacketInfo` object when
 * something reads it (`packetAt`).
 *
 * A row starts with the pending-slot layout (`Slot`, packet-ring.ts: a pending packet is kept by copying
 * its slot), followed by what the correlator learns of the packet later (`Kept`). Every field is an
 * integer exact in a double.
 */
export const enum Kept {
  /** Final direction on its interface (DirId). */
  DIR = 33,
  /** Row of its copy (or original) on another interface, -1 if none. */
  MATCH = 34,
  /** 1: no copy was captured, but the far end acknowledged it (tcp-acks.ts). */
  COPY_UNSEEN = 35,
  /** Index in its connection's sample list, -1 when not sampled. */
  SAMPLE = 36,
  /** Next row in its connection's sample list, -1 at the end. */
  NEXT_SAMPLE = 37,
  /**
   * Offload (resegment.ts): Cut.MERGED, an arrival that left as several smaller segments (MATCH: the first);
   * Cut.PIECE, one of those (MATCH: the arrival, when it was kept); 0 otherwise.
   */
  CUT = 38,
  STRIDE = 40,
}

export const enum Cut {
  NONE = 0,
  MERGED = 1,
  PIECE = 2,
}

/**
 * Rows live in chunks of 2^CHUNK_BITS that never move: growing adds a chunk (doubling one array and
 * copying it cost a tenth of a whole analysis of a 2 × 100k capture pair).
 */
const CHUNK_BITS = 12;
const CHUNK_ROWS = 1 << CHUNK_BITS;
const ROW_MASK = CHUNK_ROWS - 1;

export interface PacketStore {
  readonly chunks: Float64Array[];
  rows: number;
}

export function newPacketStore(): PacketStore {
  return { chunks: [], rows: 0 };
}

/** The chunk holding `row`; its numbers start at `keptAt(row)`. */
function keptChunk(s: PacketStore, row: number): Float64Array {
  return s.chunks[row >>> CHUNK_BITS]!;
}

function keptAt(row: number): number {
  return (row & ROW_MASK) * Kept.STRIDE;
}

export function keptGet(s: PacketStore, row: number, field: number): number {
  return s.chunks[row >>> CHUNK_BITS]![(row & ROW_MASK) * Kept.STRIDE + field]!;
}

export function keptSet(s: PacketStore, row: number, field: number, v: number): void {
  s.chunks[row >>> CHUNK_BITS]![(row & ROW_MASK) * Kept.STRIDE + field] = v;
}

function claimRow(s: PacketStore): number {
  const row = s.rows++;
  if ((row & ROW_MASK) === 0) s.chunks.push(new Float64Array(CHUNK_ROWS * Kept.STRIDE));
  const f = keptChunk(s, row);
  const at = keptAt(row);
  f[at + Kept.MATCH] = -1;
  f[at + Kept.COPY_UNSEEN] = 0;
  f[at + Kept.SAMPLE] = -1;
  f[at + Kept.NEXT_SAMPLE] = -1;
  return row;
}

/**
 * Write one packet's numbers, read from its row (`src` at `from`, packet-row.ts, with the correlator's clock
 * and fingerprint in it), at `at` of `f` in the `Slot` layout (a pending slot or a kept row): the fields a
 * match compares, where and when it was captured, and its connection.
 */
export function writePacketFields(f: Float64Array, at: number, src: Float64Array, from: number, iface: number, arrival: DirId, connId: number, connDir: 0 | 1): void {
  const proto = src[from + Row.PROTO]!;
  const icmp = proto === Proto.ICMP;
  const icmpType = src[from + Row.ICMP_TYPE]!;
  f[at + Slot.KEY] = src[from + Row.KEY]!;
  f[at + Slot.IFACE] = iface;
  f[at + Slot.IP_ID] = src[from + Row.IP_ID]!;
  f[at + Slot.PAYLOAD_LENGTH] = src[from + Row.PAYLOAD_LENGTH]!;
  f[at + Slot.PAYLOAD_HASH] = src[from + Row.PAYLOAD_HASH]!;
  f[at + Slot.PAYLOAD_HASHED] = src[from + Row.PAYLOAD_HASHED]!;
  f[at + Slot.PROTO] = proto;
  f[at + Slot.TCP_SEQ] = src[from + Row.TCP_SEQ]!;
  f[at + Slot.TCP_ACK] = src[from + Row.TCP_ACK]!;
  f[at + Slot.TCP_FLAGS] = src[from + Row.TCP_FLAGS]!;
  f[at + Slot.ICMP_TYPE] = icmp ? icmpType : -1;
  f[at + Slot.ICMP_CODE] = icmp ? src[from + Row.ICMP_CODE]! : -1;
  f[at + Slot.ICMP_SEQ] = icmp ? src[from + Row.ICMP_SEQ]! : 0;
  f[at + Slot.T] = src[from + Row.T]!;
  f[at + Slot.TTL] = src[from + Row.TTL]!;
  f[at + Slot.ARRIVAL] = arrival;
  f[at + Slot.CONN_DIR] = connDir;
  f[at + Slot.CONN_ID] = connId;
  f[at + Slot.SRC_MAC] = src[from + Row.SRC_MAC]!;
  f[at + Slot.DST_MAC] = src[from + Row.DST_MAC]!;
  f[at + Slot.SRC] = src[from + Row.SRC]!;
  f[at + Slot.DST] = src[from + Row.DST]!;
  f[at + Slot.TS_SEC] = src[from + Row.TS_SEC]!;
  f[at + Slot.TS_NSEC] = src[from + Row.TS_NSEC]!;
  f[at + Slot.FRAME] = src[from + Row.FRAME]!;
  f[at + Slot.FILE] = src[from + Row.FILE]!;
  // The ICMP echo id takes the source port's place (NAT may rewrite it as it rewrites ports).
  f[at + Slot.SPORT] = icmp ? (isEcho(icmpType) ? src[from + Row.ICMP_ID]! : 0) : src[from + Row.SPORT]!;
  f[at + Slot.DPORT] = icmp ? 0 : src[from + Row.DPORT]!;
  f[at + Slot.LENGTH] = src[from + Row.IP_TOTAL_LENGTH]!;
  f[at + Slot.DF] = src[from + Row.DF]!;
}

/** Keep the packet being pushed (its row `src` at `from`): a new row. */
export function keepRow(s: PacketStore, src: Float64Array, from: number, iface: number, arrival: DirId, connId: number, connDir: 0 | 1): number {
  const row = claimRow(s);
  const f = keptChunk(s, row);
  const at = keptAt(row);
  writePacketFields(f, at, src, from, iface, arrival, connId, connDir);
  f[at + Kept.DIR] = arrival;
  return row;
}

/** Keep a pending packet: its slot's numbers (ring row `from` of `ringF`) copied into a new row. */
export function keepSlot(s: PacketStore, ringF: Float64Array, from: number): number {
  const row = claimRow(s);
  const f = keptChunk(s, row);
  const at = keptAt(row);
  for (let k = 0; k < Slot.STRIDE; k++) f[at + k] = ringF[from + k]!;
  f[at + Kept.DIR] = ringF[from + Slot.ARRIVAL]!;
  return row;
}

/**
 * A kept row as an object, made each time it is asked for and not kept: kept, the objects of every packet ever
 * read outlived the analysis (a hundred thousand flows' samples written as JSON kept ≈ 300 MB of them), while
 * one made again is young garbage. Nothing compares them by identity, nor writes to them.
 */
export function packetAt(s: PacketStore, row: number): PacketInfo {
  return new StoredPacket(s, row);
}

/**
 * A kept row's numbers as a PacketInfo, filled once; its partner is looked up when read. The fields are
 * PacketInfo's own (declared by merging this interface into the class, not listed a second time).
 */
interface StoredPacket extends Filled<Omit<PacketInfo, 'match'>> {}

/** PacketInfo's fields, writable while the constructor fills them. */
type Filled<T> = { -readonly [K in keyof T]: T[K] };

class StoredPacket implements PacketInfo {
  readonly #store: PacketStore;
  readonly #matchRow: number;

  /**
   * Small integers go in as such (`| 0`): read from the row's doubles as they are, every field of the object was a
   * boxed double of its own (30 of them, ≈ 480 bytes a packet).
   */
  constructor(s: PacketStore, row: number) {
    const f = keptChunk(s, row);
    const at = keptAt(row);
    this.file = f[at + Slot.FILE]! | 0;
    this.frame = f[at + Slot.FRAME]! | 0;
    this.iface = f[at + Slot.IFACE]! | 0;
    this.tsSec = f[at + Slot.TS_SEC]!;
    this.tsNsec = f[at + Slot.TS_NSEC]! | 0;
    this.t = f[at + Slot.T]!;
    this.arrivalDir = (f[at + Slot.ARRIVAL]! | 0) as DirId;
    this.dir = (f[at + Kept.DIR]! | 0) as DirId;
    this.proto = f[at + Slot.PROTO]! | 0;
    this.src = f[at + Slot.SRC]!;
    this.dst = f[at + Slot.DST]!;
    this.sport = f[at + Slot.SPORT]! | 0;
    this.dport = f[at + Slot.DPORT]! | 0;
    this.icmpType = f[at + Slot.ICMP_TYPE]! | 0;
    this.icmpCode = f[at + Slot.ICMP_CODE]! | 0;
    this.icmpSeq = f[at + Slot.ICMP_SEQ]! | 0;
    this.ipId = f[at + Slot.IP_ID]! | 0;
    this.ttl = f[at + Slot.TTL]! | 0;
    this.length = f[at + Slot.LENGTH]! | 0;
    this.df = f[at + Slot.DF] === 1;
    this.payloadLength = f[at + Slot.PAYLOAD_LENGTH]! | 0;
    this.payloadHash = f[at + Slot.PAYLOAD_HASH]!;
    this.tcpSeq = f[at + Slot.TCP_SEQ]!;
    this.tcpAck = f[at + Slot.TCP_ACK]!;
    this.tcpFlags = f[at + Slot.TCP_FLAGS]! | 0;
    this.srcMac = f[at + Slot.SRC_MAC]!;
    this.dstMac = f[at + Slot.DST_MAC]!;
    this.key = f[at + Slot.KEY]!;
    this.connDir = (f[at + Slot.CONN_DIR]! | 0) as 0 | 1;
    this.connId = f[at + Slot.CONN_ID]! | 0;
    this.copyUnseen = f[at + Kept.COPY_UNSEEN] === 1;
    const cut = f[at + Kept.CUT]!;
    this.offload = cut === Cut.MERGED ? 'merged' : cut === Cut.PIECE ? 'piece' : null;
    this.sample = f[at + Kept.SAMPLE]! | 0;
    this.#store = s;
    this.#matchRow = f[at + Kept.MATCH]! | 0;
  }

  get match(): PacketInfo | null {
    return this.#matchRow < 0 ? null : packetAt(this.#store, this.#matchRow);
  }
}
