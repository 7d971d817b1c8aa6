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

/** Times of a connection's unmatched arrivals, by direction: the first and the latest few (see `Connection`). */
export interface UnmatchedTimes {
  readonly inHead: number[];
  readonly inTail: number[];
  readonly replyHead: number[];
  readonly replyTail: number[];
}

/**
 * A connection as seen on ONE interface, conntrack-like: both directions share it. While packets are
 * pushed a connection is only numbers in the correlator's tables (connection-table.ts, packet-store.ts);
 * `finishCorrelator` makes these objects, whose packets become objects when read.
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
  /** `first.t` and `last.t`, read without making objects. */
  readonly firstT: number;
  readonly lastT: number;
  /** When its latest packet was seen (a connection keeps no object per packet). */
  readonly last: PacketTime;
  /** Relative time (ns) of its latest arrival that left again (matched), either direction; -1 when none did. */
  readonly lastMatchedT: number;
  /** Final direction of the first packet (UNKNOWN until it is matched or expires). */
  readonly firstDir: DirId;
  /** Finalised packets by slot(connDir, dir, matched). */
  readonly counts: readonly number[];
  /**
   * Of the unmatched arrivals, by connDir, those whose TTL had run out (≤ 1): the gateway must drop them
   * and answer time-exceeded (RFC 1812 §5.3.1; a traceroute probe), so they are not judged lost.
   */
  readonly expiredIn: readonly number[];
  /**
   * Times of unmatched packets arriving in the original direction: the first and the latest few, so that
   * those before both captures ran, or after one stopped, are not judged lost.
   */
  readonly unmatchedInHead: readonly number[];
  readonly unmatchedInTail: readonly number[];
  /** The same for unmatched arrivals in the reply direction (a reply in a capture's last moments is not judged lost). */
  readonly unmatchedReplyInHead: readonly number[];
  readonly unmatchedReplyInTail: readonly number[];
  /** Union-find root (connection id): connections joined by matched packets form one flow. */
  readonly parent: number;
  /** First matched partner of an inbound original-direction packet: the observed translation. */
  readonly peer: PacketInfo | null;
  /** First matched partner of an inbound reply. */
  readonly replyPeer: PacketInfo | null;
  /** Forwarding latencies in ns of matched inbound packets (bounded sample). */
  readonly latencies: Float64Array;
  readonly errors: readonly QuotedError[];
  /** First packets of the connection, and the first unmatched ones past those (bounded). */
  readonly samples: readonly PacketInfo[];
  /** Original-direction TCP SYN seen (the connection started inside the capture). */
  readonly sawSyn: boolean;
}

export const MAX_SAMPLES = 16;
/**
 * Connections past the first SAMPLED_CONNECTIONS keep only FEW_SAMPLES first packets: a capture of tens of
 * thousands of connections would otherwise keep ~10 KB of packets for each (a sample and its copy, 320 bytes a
 * row), more than the rest of the analysis together. Their unmatched arrivals are still sampled (MAX_UNMATCHED_SAMPLES).
 */
export const SAMPLED_CONNECTIONS = 8192;
export const FEW_SAMPLES = 4;

/** How many first packets connection `id` (numbered in order of appearance) keeps. */
export function samplesKept(id: number): number {
  return id < SAMPLED_CONNECTIONS ? MAX_SAMPLES : FEW_SAMPLES;
}
export const MAX_UNMATCHED_SAMPLES = 8;
export const TAIL = 32;
export const MAX_LATENCIES = 64;
