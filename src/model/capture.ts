/** What the capture readers (src/ingest) yield. */

/** Link-layer header types (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  NULL: 0,
  EN10MB: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/**
 * One captured record. Readers yield the SAME object for every record and overwrite it on the next
 * step (no allocation per packet): copy what you keep. `data` is a view into the reader's buffer and
 * is only valid until the generator is resumed.
 */
export interface CaptureRecord {
  /** Path as given by the user (or '-' for stdin). */
  file: string;
  /** 1-based, counting every packet record in the file in order, as Wireshark numbers frames. */
  frame: number;
  /** Byte offset of the record (pcap record header / pcapng block start) in the file. */
  offset: number;
  /** Timestamp split so that it stays exact to the nanosecond without BigInt: seconds since the epoch… */
  tsSec: number;
  /** …and nanoseconds within that second, 0..999_999_999. */
  tsNsec: number;
  caplen: number;
  origLen: number;
  linkType: number;
  /** pcapng interface id within the file (0 for classic pcap). */
  interfaceId: number;
  /** Interface name where the file says it (pcapng if_name); '' otherwise. */
  interfaceName: string;
  data: Uint8Array;
}

/** One interface a capture file describes (pcapng IDB; classic pcap has exactly one). */
export interface CaptureInterface {
  readonly id: number;
  readonly name: string;
  readonly linkType: number;
  readonly snaplen: number;
  /** Nanoseconds per timestamp unit numerator/denominator are implementation detail; this is descriptive. */
  readonly tsresol: string;
}

/**
 * What a pcapng Interface Statistics Block says about one interface's capture (dumpcap and Wireshark write
 * one per interface when they stop): when it really started and ended — not just its first and last
 * packet — and how many packets the capture itself lost. Null where the block leaves an option out.
 */
export interface CaptureStatistics {
  /** File-wide interface id (as CaptureInterface.id). */
  readonly interfaceId: number;
  /** Byte offset of the block. */
  readonly offset: number;
  /**
   * isb_starttime / isb_endtime read in the interface's if_tsresol and, where that is not microseconds,
   * also in microseconds: dumpcap writes them in microseconds whatever the interface's resolution (seen
   * with Wireshark 4.x nanosecond captures). Whoever uses them picks the reading that fits the packets.
   */
  readonly start: readonly { readonly sec: number; readonly nsec: number }[];
  readonly end: readonly { readonly sec: number; readonly nsec: number }[];
  /** isb_ifrecv: packets the interface received. */
  readonly received: number | null;
  /** isb_ifdrop: dropped by the interface for lack of resources. */
  readonly interfaceDropped: number | null;
  /** isb_osdrop: dropped by the operating system (the capture buffer was full). */
  readonly osDropped: number | null;
}

/** Summary of one capture file after reading it through. */
export interface CaptureSummary {
  readonly path: string;
  readonly format: CaptureFormat;
  readonly bytes: number;
  readonly packets: number;
  readonly interfaces: readonly CaptureInterface[];
  /** ISO-8601 with nanoseconds, or null for an empty capture. */
  readonly first: string | null;
  readonly last: string | null;
}
