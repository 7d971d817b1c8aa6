import type { CaptureRecord } from '../model/capture.js';
import { LinkType } from '../model/capture.js';
import { macToString } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import { Net, type DecodedPacket } from '../model/packet.js';
import type { Snapshot } from '../model/snapshot.js';
import { mergeCaptures } from './capture-merge.js';
import type { CookedInterface } from './cooked-interface.js';
import { isGroupMac, macOwners } from './mac.js';
import { SameLinkLook } from './same-link.js';
import { AddressLook } from './interface-by-address.js';

/** How many packets of each capture are looked at. */
const LOOK = 5000;

/**
 * The gateway's name for captured interfaces the snapshot does not know, by the MAC their frames carry.
 * Captures come named by their file (`inside.pcap`, `gw-2026-12-06.pcap`) or taken on the node, on the
 * host end of the pod's veth (`tcpdump -i veth3f2a…`): the frames are the gateway interface's all the same,
 * and every one it sends carries its MAC as source, every one sent to it as destination (`ip addr` names the
 * MAC). An interface whose frames to or from the gateway nearly all (9 in 10) name one of its interfaces is that one —
 * unless that one is captured under its own name too, or another capture taken at the same time points at it as
 * well (captures of it one after the other, a rotated capture, all are it).
 */
export interface CapturedInterfaces {
  /** Captured name → the gateway interface it is. */
  readonly aliases: Map<string, string>;
  /**
   * Captured names that hold frames of several gateway interfaces (a merged capture): each frame is placed
   * on its interface by the MACs it carries (cooked-interface.ts).
   */
  readonly merged: Set<string>;
  /**
   * Gateway interfaces (by the name they go by after `aliases`) whose captures showed frames from or to their own
   * MAC in the packets looked at: the snapshot's MAC is that capture's (correlator.ts, isForeign).
   */
  readonly ownMacSeen: Set<string>;
  /**
   * Gateway interfaces captured under their own name whose snapshot MAC none of their unicast frames carries (the
   * snapshot is from after a restart, or from another gateway), by the MAC the gateway sends from its own addresses
   * there, -1 when none tells: the snapshot's is not used (`unseenMac`).
   */
  readonly learnedMacs: Map<string, number>;
}

/** How far a file of a rotated capture may begin before the one before it ended (ns). */
const ROTATION_OVERLAP_NS = 1e6;

/**
 * Captures of one interface taken one after the other — a capture rotated into files named by time
 * (`tcpdump -G 300 -w eth0-%H%M.pcap`) — rather than side by side (the same frames under two names): no two of
 * them overlap in time (in the packets looked at, which begin each file).
 */
function oneAfterAnother(spans: readonly { first: number; last: number }[]): boolean {
  const s = [...spans].sort((a, b) => a.first - b.first);
  // A file may begin at the very instant the one before ended (a rotation between two frames stamped alike), or just
  // before it: a capture is a little out of time order (dumpcap stamps 40 ns apart in the other order), and a rotation
  // between those two frames makes the files overlap by that much.
  for (let k = 1; k < s.length; k++) if (s[k]!.first < s[k - 1]!.last - ROTATION_OVERLAP_NS) return false;
  return true;
}

export function interfacesByMac(
  paths: readonly string[],
  snapshot: Snapshot | null,
  options: {
    interfaceNames: ReadonlyMap<number, string>;
    cookedInterface: CookedInterface | null;
    /** Files read per interface (capture-merge.ts): looked at the same way, each interface's beginning among the rest. */
    splitByInterface?: ReadonlyMap<number, readonly number[]>;
  },
  onWarning: (w: InputWarning) => void,
  /** Also shown every packet looked at (file index, record, decoded): one look serves clock-skew.ts too. */
  look?: (file: number, rec: CaptureRecord, d: DecodedPacket) => void,
): CapturedInterfaces {
  const aliases = new Map<string, string>();
  const merged = new Set<string>();
  const ownMacSeen = new Set<string>();
  const learnedMacs = new Map<string, number>();
  const none = { aliases, merged, ownMacSeen, learnedMacs };
  const known = new Set(snapshot?.host.interfaces.map((i) => i.name) ?? []);
  const own = macOwners(snapshot?.host.interfaces.map((i) => [i.mac, i.name] as const) ?? []);
  const vote = own.size > 0;
  // Without ip addr (no MACs), the nat rules' addresses tell a capture's side (interface-by-address.ts).
  const byAddress = AddressLook.of(snapshot);
  if (!vote && !look && known.size === 0 && !byAddress) return none;
  const sameLink = new SameLinkLook();
  const allSeen = new Set<string>();

  const votes = new Map<string, { file: string; n: number; to: Map<string, number>; first: number; last: number }>();
  /** Captured name → gateway interfaces whose MAC its frames carried. */
  const owners = new Map<string, Set<string>>();
  const seenNames = new Set<string>();
  /** Gateway interfaces captured under their own name: their Ethernet frames, as `noteGatewayFrame` counts them. */
  const unicast = new Map<string, Unicast>();
  const local = new Set((snapshot?.host.interfaces ?? []).flatMap((i) => i.addresses.filter((a) => a.family === 4).map((a) => a.v4)));
  let baseSec = -1;
  paths.forEach((path, index) => {
    // Standard input can be read once only: it keeps its name.
    if (path === '-') return;
    const ids = options.splitByInterface?.get(index);
    mergeCaptures(
      [path],
      { interfaceNames: options.interfaceNames, cookedInterface: options.cookedInterface, onWarning: () => {}, maxPackets: LOOK, ...(ids ? { splitByInterface: new Map([[0, ids]]) } : {}) },
      {
        packet(rec, d, _file, iface) {
          look?.(index, rec, d);
          sameLink.visit(path, iface, d);
          if (byAddress) {
            allSeen.add(iface);
            byAddress.visit(path, iface, d);
          }
          if (!vote) return;
          seenNames.add(iface);
          const owner = own.get(d.srcMac) || own.get(d.dstMac);
          if (owner) {
            let o = owners.get(iface);
            if (!o) owners.set(iface, (o = new Set()));
            o.add(owner);
          }
          if (known.has(iface)) {
            if (rec.linkType === LinkType.EN10MB && d.srcMac > 0) {
              let u = unicast.get(iface);
              if (!u) unicast.set(iface, (u = { file: path, n: 0, votes: 0, macs: new Map() }));
              noteGatewayFrame(u, d, local);
            }
            return;
          }
          let v = votes.get(iface);
          if (!v) votes.set(iface, (v = { file: path, n: 0, to: new Map(), first: Infinity, last: -Infinity }));
          // From the first second looked at: ns since 1970 are past 2^53, where a double no longer tells 256 ns apart.
          if (baseSec < 0) baseSec = rec.tsSec;
          const t = (rec.tsSec - baseSec) * 1e9 + rec.tsNsec;
          if (t < v.first) v.first = t;
          if (t > v.last) v.last = t;
          // Only frames from or to a gateway interface say anything (neighbours' multicast and broadcast do not).
          if (!owner) return;
          v.n++;
          v.to.set(owner, (v.to.get(owner) ?? 0) + 1);
        },
      },
    );
  });
  const claimed = new Map<string, number>();
  const picks = new Map<string, string>();
  for (const [name, v] of votes) {
    let best = '';
    let n = 0;
    for (const [to, k] of v.to) if (k > n) [best, n] = [to, k];
    if (n >= 2 && n >= 0.9 * v.n && !seenNames.has(best)) {
      picks.set(name, best);
      claimed.set(best, (claimed.get(best) ?? 0) + 1);
      continue;
    }
    // Frames of two or more gateway interfaces, none captured under its own name too: one file holding
    // several interfaces without saying which (mergecap folds alike interface descriptions into one).
    const several = [...v.to].filter(([to, k]) => k >= 2 && !seenNames.has(to));
    const covered = several.reduce((sum, [, k]) => sum + k, 0);
    if (several.length >= 2 && covered >= 0.9 * v.n) {
      merged.add(name);
      const counts = several
        .sort((a, b) => b[1] - a[1])
        .map(([to, k]) => `${to} ${k}`)
        .join(', ');
      onWarning({
        code: 'merged-capture',
        file: v.file,
        message: `this capture holds frames of several gateway interfaces without saying which (of its first ${LOOK.toLocaleString('en')} packets, frames with the gateway's MACs: ${counts}), as mergecap or a mirror port writes them: each frame is placed on the interface whose MAC it carries (ip addr), else its sender's (ip neigh), else by route`,
      });
    }
  }
  for (const [name, to] of picks) {
    if (claimed.get(to) !== 1 && !oneAfterAnother([...picks].filter(([, t]) => t === to).map(([n]) => votes.get(n)!))) continue;
    aliases.set(name, to);
    const mac = snapshot?.host.interfaces.find((i) => i.name === to)?.mac ?? '';
    onWarning({
      code: 'interface-by-mac',
      file: votes.get(name)!.file,
      message: `the gateway's ${to} is not named in this capture (it says ${name}): its frames carry ${to}'s MAC ${mac}, so they are taken as ${to}'s`,
    });
  }
  if (byAddress) {
    const captured = new Set([...[...allSeen].filter((n) => !aliases.has(n)), ...aliases.values()]);
    for (const [n, to] of byAddress.aliases(captured, onWarning)) if (!aliases.has(n) && !merged.has(n)) aliases.set(n, to);
  }
  // A capture repeating a gateway interface's capture on the same link is that interface's too.
  const repeats = sameLink.aliases((n) => (known.has(n) ? n : (aliases.get(n) ?? null)), onWarning);
  for (const [n, to] of repeats) if (!merged.has(n)) aliases.set(n, to);
  // A capture shows its own MAC when frames of the interface it is taken for carry it; a merged one, for each
  // interface its frames are placed on.
  for (const [name, o] of owners) {
    const as = aliases.get(name) ?? name;
    for (const owner of o) if (owner === as || merged.has(name)) ownMacSeen.add(owner);
  }
  for (const [name, u] of unicast) unseenMac(snapshot, name, u, own, ownMacSeen, learnedMacs, onWarning);
  return { aliases, merged, ownMacSeen, learnedMacs };
}

/** Unicast frames of an interface's capture that must show a MAC for the snapshot's to count as unseen. */
const UNSEEN_MIN = 20;

/** Frames of a gateway interface's own capture, and the MACs the gateway sends from its own addresses there. */
interface Unicast {
  readonly file: string;
  /** Unicast frames. */
  n: number;
  /** Frames the gateway sent from its own addresses (`noteGatewayFrame`), and the MACs they came from. */
  votes: number;
  readonly macs: Map<number, number>;
}

/**
 * A frame the gateway sent from one of its own addresses, which names its MAC as the source: IPv4 (a SNATed packet
 * leaving from an EIP, the gateway's own), ARP (by the sender's). Not frames sent to those addresses: what others
 * address them to is what their ARP caches hold, stale ones included.
 */
function noteGatewayFrame(u: Unicast, d: DecodedPacket, local: ReadonlySet<number>): void {
  if (d.dstMac > 0 && !isGroupMac(d.dstMac)) u.n++;
  const from = d.net === Net.ARP ? (local.has(d.arpSpa) ? d.arpSha : 0) : d.net === Net.IPV4 && local.has(d.src) ? d.srcMac : 0;
  if (from <= 0) return;
  u.votes++;
  u.macs.set(from, (u.macs.get(from) ?? 0) + 1);
}

/** Frames the gateway sent from its own addresses (`noteGatewayFrame`) it takes to learn its MAC. */
const LEARN_MIN = 4;

/**
 * An interface captured under its own name whose snapshot MAC none of its unicast frames carries: the snapshot was
 * taken after the gateway restarted (new MACs; its rules and sysctls may have been reset as well), or on another
 * gateway. Warned; and the MAC the gateway sends from its own addresses there (`noteGatewayFrame`, 9 in 10 of those
 * frames), unless another gateway interface's, is learned as the interface's — else it has none.
 */
function unseenMac(
  snapshot: Snapshot | null,
  name: string,
  u: Unicast,
  own: ReadonlyMap<number, string>,
  ownMacSeen: ReadonlySet<string>,
  learnedMacs: Map<string, number>,
  onWarning: (w: InputWarning) => void,
): void {
  const said = snapshot?.host.interfaces.find((i) => i.name === name)?.mac;
  if (!said || ownMacSeen.has(name) || u.n < UNSEEN_MIN) return;
  let best = 0;
  let most = 0;
  for (const [mac, k] of u.macs) if (k > most) [best, most] = [mac, k];
  const learned = u.votes >= LEARN_MIN && most >= 0.9 * u.votes && !own.has(best);
  // A MAC no frame carries would only mislead: which frames arrive and which leave is better told without one.
  learnedMacs.set(name, learned ? best : -1);
  onWarning({
    code: 'snapshot-mac-unseen',
    file: u.file,
    message:
      `the snapshot gives ${name} the MAC ${said}, which none of the ${u.n} unicast frames of its capture looked at carries` +
      (learned ? `; what the gateway sends there from its own addresses comes from ${macToString(best)} (${most} of ${u.votes} frames), taken as ${name}'s` : '') +
      `: the snapshot was taken after the gateway restarted (new MACs — and rules or sysctls may have been reset too), or on another gateway; what it says may not be what the captured packets met`,
  });
}
