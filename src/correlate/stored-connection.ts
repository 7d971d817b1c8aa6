import type { Connection, PacketTime, QuotedError, UnmatchedTimes } from './connection.js';
import { ConnField, type ConnectionTable } from './connection-table.js';
import { Kept, keptGet, packetAt, type PacketStore } from './packet-store.js';
import { Slot } from './packet-ring.js';
import type { DirId, PacketInfo } from './packet-info.js';

/** What a finished correlation keeps of its connections besides the table rows. */
export interface ConnectionData {
  readonly table: ConnectionTable;
  readonly store: PacketStore;
  /** ICMP errors quoting a connection's packets, by connection id (sparse). */
  readonly errors: (QuotedError[] | undefined)[];
  /** Unmatched arrival times, by connection id (sparse: most connections have none). */
  readonly unmatched: (UnmatchedTimes | undefined)[];
  /** Forwarding latencies of all connections, grouped by connection: id's are [latStart[id], latStart[id + 1]). */
  readonly latStart: Int32Array;
  readonly latValues: Float64Array;
  /** The whole second relative times count from. */
  readonly baseSec: number;
  /** Per file, the clock shift its relative times include (clock-skew.ts); empty when none. */
  readonly clockShiftNs: Float64Array;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * A finished connection: its numbers read from the connection table once, its packets made objects
 * when read (packet-store.ts).
 */
export class StoredConnection implements Connection {
  readonly id: number;
  readonly iface: number;
  readonly proto: number;
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
  readonly firstDir: DirId;
  readonly parent: number;
  readonly sawSyn: boolean;
  readonly #data: ConnectionData;

  constructor(data: ConnectionData, id: number, parent: number) {
    const f = data.table.f;
    const row = id * ConnField.STRIDE;
    this.id = id;
    this.iface = f[row + ConnField.IFACE]!;
    this.proto = f[row + ConnField.PROTO]!;
    this.src = f[row + ConnField.SRC]!;
    this.dst = f[row + ConnField.DST]!;
    this.sport = f[row + ConnField.SPORT]!;
    this.dport = f[row + ConnField.DPORT]!;
    this.firstDir = f[row + ConnField.FIRST_DIR]! as DirId;
    this.parent = parent;
    this.sawSyn = f[row + ConnField.SAW_SYN] === 1;
    this.#data = data;
  }

  #row(field: number): number {
    return this.#data.table.f[this.id * ConnField.STRIDE + field]!;
  }

  get first(): PacketInfo {
    return packetAt(this.#data.store, this.#row(ConnField.FIRST_ROW));
  }

  get lastMatchedT(): number {
    return this.#row(ConnField.LAST_MATCHED_T);
  }

  get last(): PacketTime {
    const t = this.#row(ConnField.LAST_T);
    const pos = this.#row(ConnField.LAST_POS);
    const file = Math.floor(pos / 4294967296);
    // The timestamp as its capture wrote it: without the clock shift the relative time includes.
    const shifts = this.#data.clockShiftNs;
    const own = file < shifts.length ? t - shifts[file]! : t;
    let sec = Math.floor(own / 1e9);
    // The division may round across a second boundary; t is exact, so settle it by the remainder.
    if (own - sec * 1e9 < 0) sec--;
    else if (own - sec * 1e9 >= 1e9) sec++;
    return { t, tsSec: this.#data.baseSec + sec, tsNsec: own - sec * 1e9, file, frame: pos - file * 4294967296 };
  }

  get firstT(): number {
    return keptGet(this.#data.store, this.#row(ConnField.FIRST_ROW), Slot.T);
  }

  get lastT(): number {
    return this.#row(ConnField.LAST_T);
  }

  /** Read from the table each time (as `expiredIn`): kept, two typed arrays a connection cost ≈ 0.7 KB a flow. */
  get counts(): readonly number[] {
    const f = this.#data.table.f;
    const at = this.id * ConnField.STRIDE + ConnField.COUNTS;
    return [f[at]!, f[at + 1]!, f[at + 2]!, f[at + 3]!, f[at + 4]!, f[at + 5]!, f[at + 6]!, f[at + 7]!];
  }

  get expiredIn(): readonly number[] {
    return [this.#row(ConnField.EXPIRED), this.#row(ConnField.EXPIRED + 1)];
  }

  get unmatchedInHead(): readonly number[] {
    return this.#data.unmatched[this.id]?.inHead ?? NONE;
  }

  get unmatchedInTail(): readonly number[] {
    return this.#data.unmatched[this.id]?.inTail ?? NONE;
  }

  get unmatchedReplyInHead(): readonly number[] {
    return this.#data.unmatched[this.id]?.replyHead ?? NONE;
  }

  get unmatchedReplyInTail(): readonly number[] {
    return this.#data.unmatched[this.id]?.replyTail ?? NONE;
  }

  get peer(): PacketInfo | null {
    const r = this.#row(ConnField.PEER_ROW);
    return r < 0 ? null : packetAt(this.#data.store, r);
  }

  get replyPeer(): PacketInfo | null {
    const r = this.#row(ConnField.REPLY_PEER_ROW);
    return r < 0 ? null : packetAt(this.#data.store, r);
  }

  get latencies(): Float64Array {
    const d = this.#data;
    return d.latValues.subarray(d.latStart[this.id]!, d.latStart[this.id + 1]!);
  }

  get errors(): readonly QuotedError[] {
    return this.#data.errors[this.id] ?? NONE;
  }

  /** Made each time they are read, as packets are (packet-store.ts): kept, every flow's would outlive the analysis. */
  get samples(): readonly PacketInfo[] {
    const s = this.#data.store;
    const out: PacketInfo[] = [];
    for (let r = this.#row(ConnField.SAMPLE_HEAD); r >= 0; r = keptGet(s, r, Kept.NEXT_SAMPLE)) out.push(packetAt(s, r));
    return out;
  }
}
