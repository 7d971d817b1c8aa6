/**
 * The analysis result: the JSON contract of `natlens analyze --format json` (docs/analysis.schema.json).
 * Names here are part of the contract; add fields, never rename.
 */
import type { InputWarning } from './errors.js';
import type { Counters } from './source.js';
import type { TableName } from './ruleset.js';
import type { TraceStep, NatRewrite } from './trace.js';

export const CHECK_IDS = [
  'ip-forward-disabled',
  'forward-chain-drop',
  'intermittent-drop',
  'rp-filter-drop',
  'no-route',
  'egress-neighbor-unresolved',
  'arp-disabled',
  'mtu-exceeded',
  'snat-missing',
  'dnat-backend-unreachable',
  'stale-conntrack',
  'snapshot-backend-mismatch',
  'upstream-no-reply',
  // Beyond FAILURES.md's catalogue: the cause an engineer checks first when a busy gateway drops new connections.
  'conntrack-table-full',
  // Beyond the catalogue too: established connections that break after a conntrack flush, restart or failover.
  'conntrack-state-lost',
  // And a busy gateway's: a SNAT rule with too few source ports for the connections to one destination.
  'snat-ports-exhausted',
  // And the link's: the interface the traffic should leave by has no carrier, or is set down.
  'interface-down',
  // And the inbound face of a gateway that lost rules: a port forward or floating IP whose DNAT rule is gone.
  'dnat-missing',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const DISPOSITIONS = [
  'delivered',
  'stopped-at-gateway',
  'forwarded-untranslated',
  'translation-mismatch',
  'no-reply',
  'reply-not-returned',
  'partial',
  'local',
  'outside-capture',
] as const;
export type FlowDisposition = (typeof DISPOSITIONS)[number];

export type Severity = 'error' | 'warning' | 'info';
export type Confidence = 'confirmed' | 'likely' | 'possible';

/** Proof, by kind. Every item points at a file and a frame, line or byte offset. */
export type Evidence =
  | {
      readonly kind: 'frame';
      readonly file: string;
      readonly iface: string;
      readonly frame: number;
      /** ISO-8601 with nanoseconds. */
      readonly time: string;
      readonly summary: string;
    }
  | {
      readonly kind: 'rule';
      readonly file: string;
      readonly line: number;
      readonly table: TableName;
      readonly chain: string;
      readonly text: string;
      readonly counters: Counters | null;
    }
  | { readonly kind: 'policy'; readonly file: string; readonly line: number; readonly table: TableName; readonly chain: string; readonly policy: string; readonly counters: Counters | null }
  /** `boot`: the line is the boot configuration's (sysctl.d), and names the configuration file that sets it. */
  | { readonly kind: 'sysctl'; readonly file: string; readonly line: number; readonly key: string; readonly value: string; readonly boot?: string }
  /** A snapshot line: a route, a neighbour, an address, a conntrack entry, an interface, a kernel log line, an ipset set's member. */
  | { readonly kind: 'route' | 'neighbour' | 'address' | 'conntrack' | 'interface' | 'log' | 'ipset'; readonly file: string; readonly line: number; readonly text: string }
  | { readonly kind: 'note'; readonly text: string };

export interface Finding {
  readonly check: CheckId;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly title: string;
  readonly detail: string;
  readonly evidence: readonly Evidence[];
  /** Commands, the first fixes now, later ones make it survive a reboot. */
  readonly fix: readonly string[];
  /** Flow ids this finding explains. */
  readonly flows: readonly string[];
}

export interface FlowEndpoint {
  readonly src: string;
  readonly dst: string;
  /** TCP/UDP ports; for ICMP echo, `sport` holds the echo id and `dport` is null. */
  readonly sport: number | null;
  readonly dport: number | null;
}

export interface FlowRuleRef {
  readonly file: string;
  readonly line: number;
  readonly table: TableName;
  readonly chain: string;
  readonly text: string;
}

/** Packet counts of a flow on one interface. */
export interface FlowIfaceCounts {
  /** Packets in the original direction (request) seen on this interface. */
  readonly request: number;
  /** Packets in the reply direction. */
  readonly reply: number;
}

/** One packet of a flow as the flow view and reports show it. Bounded per flow. */
export interface FlowPacket {
  readonly file: string;
  readonly iface: string;
  readonly frame: number;
  readonly time: string;
  readonly direction: 'request' | 'reply';
  readonly ttl: number;
  readonly ipId: number;
  readonly length: number;
  readonly summary: string;
  /** The copy of this packet on the other interface, or null where it is missing. */
  readonly match: { readonly file: string; readonly iface: string; readonly frame: number; readonly latencyNs: number } | null;
  /** No copy was captured, but the far end's TCP acknowledgment proves it was forwarded (the capture missed it). */
  readonly copyNotCaptured: boolean;
  /**
   * Segmentation offload: 'merged', an arrival that left cut into smaller segments (`match` is the first of
   * them); 'piece', one of those segments (`match` is the arrival, null when it was not sampled). Absent otherwise.
   */
  readonly offload?: 'merged' | 'piece';
  /** Inside the window both captures cover, in a flow that could be judged (packets of outside-capture flows never are). */
  readonly judged: boolean;
}

export interface Flow {
  readonly id: string;
  readonly proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';
  /** As the flow's first packet arrived. */
  readonly original: FlowEndpoint;
  readonly ingress: string;
  readonly egress: string | null;
  /** What the snapshot's rules say should leave (null when the simulator could not tell). */
  readonly expected: (FlowEndpoint & { readonly rule: FlowRuleRef | null; readonly portsMayChange: boolean }) | null;
  /** What actually left (null when nothing did). */
  readonly observed: FlowEndpoint | null;
  readonly disposition: FlowDisposition;
  /** Keyed by interface name. */
  readonly packets: Readonly<Record<string, FlowIfaceCounts>>;
  /**
   * Share of judged packets lost at the gateway (0..1): requests with no copy on the egress side and,
   * once requests pass, replies with no copy back on the ingress side; null when nothing was judged.
   */
  readonly lossRate: number | null;
  /** Median time through the gateway (ns) of matched request packets, null without matches. */
  readonly latencyNs: number | null;
  readonly first: string;
  readonly last: string;
  readonly evidence: readonly Evidence[];
  /** The simulator's walk for the flow's first packet. */
  readonly trace: { readonly steps: readonly TraceStep[]; readonly rewrites: readonly NatRewrite[]; readonly disposition: string; readonly assumptions: readonly string[] } | null;
  /** First packets of the flow (bounded), for the flow detail and the evidence file. */
  readonly samples: readonly FlowPacket[];
}

export interface InputFile {
  readonly path: string;
  /** 'capture' | 'snapshot' | 'ignored'. */
  readonly kind: 'capture' | 'snapshot' | 'ignored';
  /** Capture format (pcap, pcap-ns, pcapng) or snapshot kind (iptables-save, sysctl, …). */
  readonly format: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Interface names this file holds packets of (captures). */
  readonly interfaces: readonly string[];
  readonly packets: number;
  readonly first: string | null;
  readonly last: string | null;
  /** Packets the capture itself lost, where the file says (pcapng interface statistics); null otherwise. */
  readonly captureDrops: number | null;
}

export interface RuleUsage {
  readonly file: string;
  readonly line: number;
  readonly table: TableName;
  readonly chain: string;
  readonly text: string;
  readonly counters: Counters | null;
  /** Flow ids whose simulated path went through this rule's target. */
  readonly flows: readonly string[];
}

export interface Analysis {
  readonly tool: { readonly name: 'natlens'; readonly version: string };
  readonly inputs: readonly InputFile[];
  readonly summary: {
    readonly verdict: 'ok' | 'packets-stop';
    /** One sentence. */
    readonly sentence: string;
    readonly flows: number;
    readonly byDisposition: Readonly<Partial<Record<FlowDisposition, number>>>;
  };
  readonly findings: readonly Finding[];
  readonly flows: readonly Flow[];
  readonly warnings: readonly InputWarning[];
  readonly interfaces: {
    readonly inside: string | null;
    readonly outside: string | null;
    /** How the roles were decided. */
    readonly how: string;
  };
  readonly capture: {
    /** Per interface: the capture window. */
    readonly windows: readonly { readonly iface: string; readonly file: string; readonly first: string | null; readonly last: string | null; readonly packets: number }[];
    /** Window every interface's capture covers (null when they do not overlap). */
    readonly overlap: { readonly first: string; readonly last: string } | null;
    /** Estimated clock offset of the outside capture relative to the inside one (ns), from matched pairs. */
    readonly clockOffsetNs: number | null;
  };
  readonly rules: readonly RuleUsage[];
}

export interface AnalyzeProgress {
  readonly phase: 'snapshot' | 'captures' | 'correlate' | 'diagnose' | 'done';
  /** Capture bytes read so far / in all. */
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly packets: number;
}

export interface AnalyzeOptions {
  /** Force interface roles (otherwise inferred from the snapshot). */
  readonly inside?: string;
  readonly outside?: string;
  /** Called now and then while captures are read (at most every ~64k packets and at phase changes). */
  readonly onProgress?: (p: AnalyzeProgress) => void;
}
