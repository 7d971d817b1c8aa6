import type { PacketInfo, DirId } from './packet-info.js';
import { Dir } from './packet-info.js';

/** An ICMP error quoting one of a connection's packets (RFC 792: the quoted header names the connection). */
export interface QuotedError {
  readonly file: number;
  readonly frame: number;
  readonly iface: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly t: number;
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU of a frag-needed, 0 otherwise. */
  readonly mtu: number;
  /** Source of the error: the gateway itself or a host beyond it. */
  readonly src: number;
  readonly fromGateway: boolean;
  readonly dir: DirId;
}

/** Where and when one packet was captured: the few numbers kept of a connection's latest packet. */
export interface PacketTime {
  /** Relative time (ns), as PacketInfo.t. */
  t: number;
  tsSec: number;
  tsNsec: number;
  file: number;
  frame: number;
}

/** Counter slots: [connDir][dir][matched]. */
export function slot(connDir: 0 | 1, dir: DirId, matched: boolean): number {
  return connDir * 4 + (dir === Dir.OUT ? 2 : 0) + (matched ? 1 : 0);
}

/**
 * A connection as seen on ONE interface, conntrack-like: both directions share it. While packets are
 * pushed the correlator keeps `counts`, `parent`, `last` and `latencies` as numbers in its own tables (no
 * per-packet object access); they are filled in by `finishCorrelator`.
 */
export interface Connection {
  readonly id: number;
  readonly iface: number;
  readonly proto: number;
  /** Original tuple: as its first packet showed it. */
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
  readonly first: PacketInfo;
  /** When its latest packet was seen (a connection keeps no object per packet). */
  readonly last: PacketTime;
  /** Final direction of the first packet (UNKNOWN until it is matched or expires). */
  firstDir: DirId;
  /** Finalised packets by slot(connDir, dir, matched). */
  readonly counts: Int32Array;
  /**
   * Of the unmatched arrivals, by connDir, those whose TTL had run out (≤ 1): the gateway must drop them
   * and answer time-exceeded (RFC 1812 §5.3.1; a traceroute probe), so they are not judged lost.
   */
  readonly expiredIn: Int32Array;
  /**
   * Times of unmatched packets arriving in the original direction: the first and the latest few, so that
   * those before both captures ran, or after one stopped, are not judged lost.
   */
  readonly unmatchedInHead: number[];
  readonly unmatchedInTail: number[];
  /** The same for unmatched arrivals in the reply direction (a reply in a capture's last moments is not judged lost). */
  readonly unmatchedReplyInHead: number[];
  readonly unmatchedReplyInTail: number[];
  /** Union-find parent (connection id): connections joined by matched packets form one flow. */
  parent: number;
  /** First matched partner of an inbound original-direction packet: the observed translation. */
  peer: PacketInfo | null;
  /** First matched partner of an inbound reply. */
  replyPeer: PacketInfo | null;
  /** Forwarding latencies in ns of matched inbound packets (bounded sample). */
  readonly latencies: number[];
  readonly errors: QuotedError[];
  /** First packets of the connection, and the first unmatched ones past those (bounded). */
  readonly samples: PacketInfo[];
  unmatchedSampled: number;
  /** Original-direction TCP SYN seen (the connection started inside the capture). */
  sawSyn: boolean;
}

export const MAX_SAMPLES = 16;
export const MAX_UNMATCHED_SAMPLES = 8;
export const TAIL = 32;
export const MAX_LATENCIES = 64;

export function newConnection(id: number, p: PacketInfo): Connection {
  return {
    id,
    iface: p.iface,
    proto: p.proto,
    src: p.src,
    dst: p.dst,
    sport: p.sport,
    dport: p.dport,
    first: p,
    last: { t: p.t, tsSec: p.tsSec, tsNsec: p.tsNsec, file: p.file, frame: p.frame },
    firstDir: Dir.UNKNOWN,
    counts: new Int32Array(8),
    expiredIn: new Int32Array(2),
    unmatchedInHead: [],
    unmatchedInTail: [],
    unmatchedReplyInHead: [],
    unmatchedReplyInTail: [],
    parent: id,
    peer: null,
    replyPeer: null,
    latencies: [],
    errors: [],
    samples: [],
    unmatchedSampled: 0,
    sawSyn: false,
  };
}
