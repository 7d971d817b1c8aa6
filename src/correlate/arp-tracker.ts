/** ARP requests and replies per interface: who asked for which address, and whether anyone answered. */

export interface ArpQuestion {
  readonly iface: number;
  readonly target: number;
  requests: number;
  /** Senders (protocol addresses) that asked. */
  readonly askers: Set<number>;
  readonly firstFrame: { file: number; frame: number; tsSec: number; tsNsec: number };
  lastFrame: { file: number; frame: number; tsSec: number; tsNsec: number };
  replies: number;
  replyFrame: { file: number; frame: number; tsSec: number; tsNsec: number } | null;
}

export interface ArpTracker {
  /** Keyed by `${iface}|${target}`. */
  readonly questions: Map<string, ArpQuestion>;
  requests: number;
  replies: number;
}

export function newArpTracker(): ArpTracker {
  return { questions: new Map(), requests: 0, replies: 0 };
}

const REQUEST = 1;
const REPLY = 2;

export function observeArp(
  t: ArpTracker,
  iface: number,
  op: number,
  spa: number,
  tpa: number,
  at: { file: number; frame: number; tsSec: number; tsNsec: number },
): void {
  if (op === REQUEST) {
    // Gratuitous ARP (sender = target) announces, it does not ask.
    if (spa === tpa) return;
    t.requests++;
    const k = `${iface}|${tpa}`;
    let q = t.questions.get(k);
    if (!q) {
      q = { iface, target: tpa, requests: 0, askers: new Set(), firstFrame: at, lastFrame: at, replies: 0, replyFrame: null };
      t.questions.set(k, q);
    }
    q.requests++;
    q.askers.add(spa);
    q.lastFrame = at;
  } else if (op === REPLY) {
    t.replies++;
    const q = t.questions.get(`${iface}|${spa}`);
    if (q) {
      q.replies++;
      if (!q.replyFrame) q.replyFrame = at;
    }
  }
}
