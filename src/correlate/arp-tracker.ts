/** ARP requests and replies per interface: who asked for which address, and whether anyone answered. */

export interface ArpQuestion {
  readonly iface: number;
  readonly target: number;
  requests: number;
  /** Senders (protocol addresses) that asked. */
  readonly askers: Set<number>;
  /** Askers a reply was addressed to (its target protocol address): a host may answer some askers and not others. */
  readonly answered: Set<number>;
  readonly firstFrame: { file: number; frame: number; tsSec: number; tsNsec: number };
  lastFrame: { file: number; frame: number; tsSec: number; tsNsec: number };
  replies: number;
  replyFrame: { file: number; frame: number; tsSec: number; tsNsec: number } | null;
}

/** A host that spoke for an address by ARP (a reply, or an announcement: gratuitous ARP), from one MAC. */
export interface ArpClaim {
  readonly iface: number;
  readonly address: number;
  readonly mac: number;
  count: number;
  readonly firstFrame: { file: number; frame: number; tsSec: number; tsNsec: number };
}

export interface ArpTracker {
  /** Keyed by `${iface}|${target}`. */
  readonly questions: Map<string, ArpQuestion>;
  /** Keyed by `${iface}|${address}|${mac}`; at most MAX_CLAIMS (an ARP scan must not grow it without bound). */
  readonly claims: Map<string, ArpClaim>;
  /**
   * Who asked from which MAC (a request's sender address and the frame's source MAC), keyed as claims and as bounded:
   * a request says where its sender is without claiming anything, which is how a host's MAC shows when nobody asks for it.
   */
  readonly senders: Map<string, ArpClaim>;
  /**
   * The latest reply that answered no question yet, keyed as questions (bounded as they are): captures are a little
   * out of time order (dumpcap's interfaces, -i any's CPUs, a rotated file's first frame read before the last
   * of the file before it), so a reply may come before the request it answers.
   */
  readonly earlyReplies: Map<string, { readonly asker: number; readonly at: ArpQuestion['firstFrame'] }>;
  requests: number;
  replies: number;
}

const MAX_CLAIMS = 4096;
/** Targets asked for, and askers kept per target: what a capture of an ARP scan or flood may hold is bounded. */
const MAX_QUESTIONS = 16384;
const MAX_ASKERS = 64;

export function newArpTracker(): ArpTracker {
  return { questions: new Map(), claims: new Map(), senders: new Map(), earlyReplies: new Map(), requests: 0, replies: 0 };
}

/** How far from its request a reply read before it may be and still answer it (captures' disorder is milliseconds). */
const EARLY_REPLY_NS = 1e9;

const REQUEST = 1;
const REPLY = 2;

export function observeArp(
  t: ArpTracker,
  iface: number,
  op: number,
  spa: number,
  tpa: number,
  at: { file: number; frame: number; tsSec: number; tsNsec: number },
  /** The frame's source MAC (0 where the link has none). */
  srcMac = 0,
): void {
  if (op === REQUEST) {
    // Gratuitous ARP (sender = target) announces, it does not ask.
    if (spa === tpa) {
      claim(t, iface, spa, srcMac, at);
      return;
    }
    t.requests++;
    record(t.senders, iface, spa, srcMac, at);
    const k = `${iface}|${tpa}`;
    let q = t.questions.get(k);
    if (!q) {
      // An ARP scan asks for every address of a subnet: past MAX_QUESTIONS targets, new ones are only counted.
      if (t.questions.size >= MAX_QUESTIONS) return;
      q = { iface, target: tpa, requests: 0, askers: new Set(), answered: new Set(), firstFrame: at, lastFrame: at, replies: 0, replyFrame: null };
      t.questions.set(k, q);
      const early = t.earlyReplies.get(k);
      if (early) {
        t.earlyReplies.delete(k);
        // Read first, stamped before or (read out of order) after the request.
        const apart = (at.tsSec - early.at.tsSec) * 1e9 + (at.tsNsec - early.at.tsNsec);
        if (Math.abs(apart) <= EARLY_REPLY_NS) {
          q.replies++;
          q.answered.add(early.asker);
          q.replyFrame = early.at;
        }
      }
    }
    q.requests++;
    if (q.askers.size < MAX_ASKERS) q.askers.add(spa);
    q.lastFrame = at;
  } else if (op === REPLY) {
    t.replies++;
    claim(t, iface, spa, srcMac, at);
    const k = `${iface}|${spa}`;
    const q = t.questions.get(k);
    if (q) {
      q.replies++;
      if (q.answered.size < MAX_ASKERS) q.answered.add(tpa);
      if (!q.replyFrame) q.replyFrame = at;
    } else if (t.earlyReplies.size < MAX_QUESTIONS || t.earlyReplies.has(k)) {
      t.earlyReplies.set(k, { asker: tpa, at });
    }
  }
}

function claim(t: ArpTracker, iface: number, address: number, mac: number, at: ArpClaim['firstFrame']): void {
  record(t.claims, iface, address, mac, at);
}

function record(m: Map<string, ArpClaim>, iface: number, address: number, mac: number, at: ArpClaim['firstFrame']): void {
  if (mac === 0 || address === 0) return;
  const k = `${iface}|${address}|${mac}`;
  const c = m.get(k);
  if (c) c.count++;
  else if (m.size < MAX_CLAIMS) m.set(k, { iface, address, mac, count: 1, firstFrame: at });
}
