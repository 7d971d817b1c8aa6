import type { InputWarning } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import type { SimPacket, Trace } from '../model/trace.js';
import type { SimulateOptions } from '../simulate/simulate.js';
import { isoNs } from '../model/time.js';
import { parseMac } from './mac.js';
import { linkState } from '../gateway/link-state.js';
import { natRulesKnown } from '../gateway/nat-rules-present.js';
import { answeredUnseen, assembleFlows, isProbe, egressCaptured, type AssembledFlow, type JudgeWindow } from './flow-assembly.js';
import type { CaptureWindow } from './capture-merge.js';
import { shiftWindow } from './clock-skew.js';
import { readCaptures, type CaptureLook } from './read-captures.js';
import { finishCorrelator, keepRecentMatches, markOwnMacSeen, newCorrelator, pushPacket, pushRow, setClockShifts, type CorrelatorState } from './correlator.js';
import { decideRoles, type InterfaceRoles } from './interface-roles.js';
import type { ReaderThread } from './ingest-thread.js';
import type { RowRecord } from './packet-row.js';
import type { DecodedPacket } from '../model/packet.js';

export interface CorrelateOptions {
  readonly inside?: string;
  readonly outside?: string;
  /**
   * How far apart in capture time a packet and its copy may be; default 250 ms. Forwarding takes
   * microseconds and both interfaces of one gateway are captured against the same kernel clock, so this
   * leaves room for queueing and small clock offsets while keeping the pending window (memory) small.
   */
  readonly windowNs?: number;
  /** Unmatched packets this close to the end of the shortest capture are not judged lost (default 50 ms + |clock offset|). */
  readonly endMarginNs?: number;
  readonly simulate: ((p: SimPacket, snapshot: Snapshot, options?: SimulateOptions) => Trace) | null;
  readonly onProgress?: (packets: number, bytesRead: number) => void;
  /** A reading thread started for these captures (ingest-thread.ts), or none: read them here. */
  readonly reader?: ReaderThread | null;
  readonly onWarning: (w: InputWarning) => void;
  /** Files to read per interface (capture-merge.ts): their packets are not in time order. Read here, never on the reading thread. */
  readonly splitByInterface?: ReadonlyMap<number, readonly number[]>;
}

export interface Correlation {
  readonly ifaces: readonly string[];
  readonly windows: readonly CaptureWindow[];
  readonly state: CorrelatorState;
  readonly flows: readonly AssembledFlow[];
  readonly roles: InterfaceRoles;
  /** Window in which every capture ran, absolute; null when they do not overlap. */
  readonly overlap: { readonly from: { sec: number; nsec: number }; readonly to: { sec: number; nsec: number } } | null;
  readonly judge: JudgeWindow;
  /** Captured names taken for gateway interfaces by their MAC (interface-by-mac.ts): captured name → gateway name. */
  readonly aliases: ReadonlyMap<string, string>;
  /**
   * Clock offset of the outside capture relative to the inside one (ns), from matched pairs: half the
   * difference of the median one-way delays in both directions (forwarding takes as long either way);
   * with pairs in one direction only, that direction's median delay (an upper bound).
   */
  readonly clockOffsetNs: number | null;
}

function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

type Instant = { readonly sec: number; readonly nsec: number };

function later(a: Instant, b: Instant): boolean {
  return a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec);
}

/**
 * When each interface was captured: from the first of its files to the last. A capture rotated by tcpdump
 * (`-C` size, `-G` time: eth0.pcap, eth0.pcap1…) is one capture in several files, one after the other; taken
 * file by file, no two files of one interface overlap and nothing could be judged. A capture of several
 * interfaces at once counts for them together, an `-i any` capture's files (Linux cooked) as one capture whatever
 * interfaces each happens to hold; a merged capture's interfaces each for itself (their own spans, as the captures
 * they were taken as).
 */
export function coverage(windows: readonly CaptureWindow[]): Coverage[] {
  const by = new Map<string, { name: string; parts: { file: string; from: Instant; to: Instant }[]; shared: string[] | null }>();
  const add = (key: string, name: string, file: string, from: Instant, to: Instant, interfaces: readonly string[] | null = null): void => {
    const c = by.get(key) ?? { name, parts: [], shared: interfaces ? [...interfaces] : null };
    c.parts.push({ file, from, to });
    if (c.shared && interfaces) c.shared = c.shared.filter((i) => interfaces.includes(i));
    by.set(key, c);
  };
  for (const w of windows) {
    if (w.spans?.length) for (const sp of w.spans) add(sp.iface, sp.iface, w.file, sp.first, sp.last);
    else if (w.first && w.last && w.everyInterface) {
      // Every file of an -i any capture holds every interface, whichever it happens to have packets of; what it
      // could not place is named after the file (any_00001_20261207110021), another name in each rotated file.
      add(ANY_CAPTURE, '', w.file, w.ranFrom ?? w.first, w.ranTo ?? w.last, w.interfaces);
    } else if (w.first && w.last) {
      // A pcapng of several named interfaces captured them all, even those it holds no packet of (a ring buffer's
      // last file with a few frames of one).
      const held = w.named ?? w.interfaces;
      const name = held.length ? [...held].sort().join('+') : w.file;
      add(name, name, w.file, w.ranFrom ?? w.first, w.ranTo ?? w.last);
    }
  }
  return [...by.values()].map(({ name: given, parts, shared }) => {
    // An -i any capture is named by the interfaces all its files hold.
    const name = shared ? ([...shared].sort().join('+') || '-i any') : given;
    parts.sort((a, b) => (later(a.from, b.from) ? 1 : later(b.from, a.from) ? -1 : 0));
    let to = parts[0]!.to;
    const gaps: { after: Instant; before: Instant; file: string }[] = [];
    for (const p of parts.slice(1)) {
      const gapNs = (p.from.sec - to.sec) * 1e9 + (p.from.nsec - to.nsec);
      if (gapNs > FILE_GAP_NS) gaps.push({ after: to, before: p.from, file: p.file });
      if (later(p.to, to)) to = p.to;
    }
    return { name, from: parts[0]!.from, to, gaps };
  });
}

/** The key of -i any captures' windows in `coverage`: their files are one capture, rotated. */
const ANY_CAPTURE = '\0any';

/** Files of one interface further apart than this may not be all of its capture (a rotated file left out). */
const FILE_GAP_NS = 10e9;

export interface Coverage {
  readonly name: string;
  readonly from: Instant;
  readonly to: Instant;
  /** Silences between one file's last packet and the next file's first, longer than FILE_GAP_NS. */
  readonly gaps: readonly { readonly after: Instant; readonly before: Instant; readonly file: string }[];
}

/** Read, merge and correlate the captures; judge every flow. */
export function correlate(captures: readonly string[], snapshot: Snapshot | null, options: CorrelateOptions): Correlation {
  const names = new Map<number, string>();
  const macs = new Map<number, number>();
  const localAddresses = new Set<number>();
  if (snapshot) {
    for (const i of snapshot.host.interfaces) {
      names.set(i.ifindex, i.name);
      for (const a of i.addresses) if (a.family === 4) localAddresses.add(a.v4);
    }
  }
  const ifaces: string[] = [];
  // The warnings about the captures as a whole name them all.
  const allCaptures = captures.join(', ');
  const ifaceIndex = new Map<string, number>();
  const ownMacSeen = new Set<string>();
  const learnedMacs = new Map<string, number>();
  const windowNs = options.windowNs ?? 2.5e8;
  const gatewayMacs = new Set((snapshot?.host.interfaces ?? []).map((i) => (i.mac ? parseMac(i.mac) : -1)).filter((m) => m > 0));
  const state = newCorrelator({ localAddresses, macs, windowNs, gatewayMacs });

  const indexOf = (name: string): number => {
    let i = ifaceIndex.get(name);
    if (i === undefined) {
      i = ifaces.length;
      ifaces.push(name);
      ifaceIndex.set(name, i);
      const mac = snapshot?.host.interfaces.find((x) => x.name === name)?.mac;
      // The MAC its frames carry when they never carry the snapshot's (interface-by-mac.ts, learnedMacs).
      const m = learnedMacs.get(name) ?? (mac ? parseMac(mac) : -1);
      if (m > 0) macs.set(i, m);
      // The look at the captures' beginning saw this interface's MAC in its capture (see isForeign).
      if (ownMacSeen.has(name) || (learnedMacs.get(name) ?? -1) > 0) markOwnMacSeen(state, i);
    }
    return i;
  };

  // The interface's index: the same name comes packet after packet, so the last one is kept at hand.
  let lastName = '';
  let lastIndex = -1;
  const indexOfLast = (iface: string): number => {
    if (iface !== lastName) {
      lastIndex = indexOf(iface);
      lastName = iface;
    }
    return lastIndex;
  };
  const packet = (rec: RowRecord, d: DecodedPacket, file: number, iface: string): void => pushPacket(state, rec, d, file, indexOfLast(iface));
  const row = (f: Float64Array, at: number, iface: string): void => pushRow(state, f, at, indexOfLast(iface));
  // Read on the reading thread when one was started (it also tells the captures' interfaces by MAC),
  // else here: the same packets in the same order either way.
  const host = snapshot?.host ?? null;
  const onClockShifts = (shifts: readonly number[]): void => setClockShifts(state, shifts);
  const onLook = (look: CaptureLook): void => {
    for (const n of look.ownMacSeen) ownMacSeen.add(n);
    for (const [n, mac] of look.learnedMacs) {
      learnedMacs.set(n, mac);
      if (mac > 0) gatewayMacs.add(mac);
    }
    if (look.sharedLink) keepRecentMatches(state);
  };
  const split = options.splitByInterface;
  const threaded = split ? null : (options.reader?.read({ interfaceNames: names, host }, { row, onWarning: options.onWarning, onClockShifts, onLook, progress: options.onProgress }) ?? null);
  const { windows: ownWindows, aliases, clockShiftNs } =
    threaded ??
    readCaptures(captures, snapshot, { interfaceNames: names, onWarning: options.onWarning, onClockShifts, onLook, ...(split ? { splitByInterface: split } : {}) }, { packet, progress: options.onProgress });
  // The captures' windows on the first capture's clock, as the packets were matched (clock-skew.ts).
  const windows = ownWindows.map((w, i) => shiftWindow(w, clockShiftNs[i] ?? 0));
  finishCorrelator(state);

  // The window every interface's capture covers: max of starts, min of ends — when each capture ran where the
  // file says so (pcapng interface statistics), else its first and last packet.
  let overlap: Correlation['overlap'] = null;
  const covered = coverage(windows);
  for (const c of covered) {
    for (const g of c.gaps) {
      const s = (g.before.sec - g.after.sec + (g.before.nsec - g.after.nsec) / 1e9).toFixed(1);
      options.onWarning({
        code: 'capture-gap',
        file: g.file,
        message: `${c.name} has no packet for ${s} s before this file (${isoNs(g.after.sec, g.after.nsec).slice(11, 23)}–${isoNs(g.before.sec, g.before.nsec).slice(11, 23)} UTC): if a file of its capture was left out, give it too — flows in that time are judged as if ${c.name} had been captured`,
      });
    }
  }
  if (covered.length) {
    const from = covered.map((c) => c.from).reduce((a, b) => (later(b, a) ? b : a));
    const to = covered.map((c) => c.to).reduce((a, b) => (later(a, b) ? b : a));
    if (!later(from, to)) overlap = { from, to };
    else {
      const ran = covered.map((c) => `${c.name} ${isoNs(c.from.sec, c.from.nsec).slice(11, 23)}–${isoNs(c.to.sec, c.to.nsec).slice(11, 23)}`);
      options.onWarning({
        code: 'no-overlap',
        file: allCaptures,
        message: `the captures do not overlap in time (${ran.join(', ')} UTC): no packet can be followed from one to the other; capture both interfaces at the same time`,
      });
    }
  }
  // Names the user gave may be the captures' own (--inside a): they mean the interface it was taken for.
  const alias = (n: string | undefined): string | undefined => (n === undefined ? undefined : (aliases.get(n) ?? n));
  // Interfaces captured without a single packet count among the captured ones (capture-merge.ts, quietInterfaces).
  const quietWindows = windows.filter((w) => w.packets === 0 && w.interfaces.length > 0);
  const quiet = quietWindows.flatMap((w) => w.interfaces.filter((n) => !ifaces.includes(n)));
  // So do the gateway's interfaces an `-i any` capture holds no packet of (not those set down: nothing captures them).
  const anyCapture = windows.find((w) => w.everyInterface && w.packets > 0) ?? null;
  const anyQuiet = anyCapture
    ? (snapshot?.host.interfaces ?? []).filter((i) => !i.flags.includes('LOOPBACK') && linkState(i) !== 'admin-down' && !ifaces.includes(i.name) && !quiet.includes(i.name)).map((i) => i.name)
    : [];
  const roles = decideRoles([...ifaces, ...quiet, ...anyQuiet], snapshot, { inside: alias(options.inside), outside: alias(options.outside) });
  let clockOffsetNs: number | null = null;
  // The offset the matched pairs still show once the captures' clocks were put together (clock-skew.ts): the
  // windows below are on that common clock, so this, not the offset between the clocks, is what is left uncertain.
  let residualOffsetNs: number | null = null;
  if (roles.inside && roles.outside) {
    const ii = ifaceIndex.get(roles.inside);
    const oi = ifaceIndex.get(roles.outside);
    const outbound = median(state.pairDeltas.get(`${ii}>${oi}`) ?? []);
    const inbound = median(state.pairDeltas.get(`${oi}>${ii}`) ?? []);
    if (outbound !== null && inbound !== null) clockOffsetNs = Math.round((outbound - inbound) / 2);
    else clockOffsetNs = outbound ?? (inbound !== null ? -inbound : null);
    // What the pairs show is left after the captures' clocks were put together: the offset between the
    // clocks themselves includes the shift.
    residualOffsetNs = clockOffsetNs;
    if (clockOffsetNs !== null) {
      const shiftOf = (iface: string): number => clockShiftNs[ownWindows.findIndex((w) => w.interfaces.includes(iface))] ?? 0;
      clockOffsetNs -= shiftOf(roles.outside) - shiftOf(roles.inside);
    }
  }

  // A packet that arrived just before one capture stopped may have left after it: do not call it lost.
  // Forwarding takes microseconds; the margin covers that plus the clock offset left between the captures (a
  // capture whose clock ran seconds ahead, put back in step, leaves microseconds: counting the seconds judged nothing
  // of a capture's last seconds).
  const rel = (x: { sec: number; nsec: number }): number => (x.sec - state.baseSec) * 1e9 + x.nsec;
  const margin = options.endMarginNs ?? 5e7 + Math.abs(residualOffsetNs ?? 0);
  const judge: JudgeWindow = overlap ? { from: rel(overlap.from), to: rel(overlap.to) - margin } : { from: Infinity, to: -Infinity };

  const sim = options.simulate && snapshot ? options.simulate : null;
  // Interfaces whose captures held IPv4 connections (not merely ARP or IPv6 noise), and those whose capture held
  // nothing at all: the link carried nothing while the others ran, which is what the flows are judged by.
  const captured = new Set(state.connections.map((c) => ifaces[c.iface]!));
  for (const name of anyQuiet) {
    captured.add(name);
    if (name !== roles.inside && name !== roles.outside) continue;
    options.onWarning({
      code: 'empty-capture',
      file: anyCapture!.file,
      message: `this -i any capture holds no packet of ${name}: nothing was sent or received on ${name} while it ran, so what should have left by it and is not there counts as stopped`,
    });
  }
  for (const w of quietWindows) {
    for (const name of w.interfaces) captured.add(name);
    const names = w.interfaces.join(', ');
    options.onWarning({
      code: 'empty-capture',
      file: w.file,
      message: `this capture of ${names} holds no packet: nothing was sent or received on ${names} while it ran. The file does not say when that was; it is taken to have run while the other captures did, so what should have left by ${names} and is not there counts as stopped`,
    });
  }
  const flows = assembleFlows({
    state,
    snapshot,
    judge,
    simulate: sim ? (p, egress) => sim(p, snapshot!, egress ? { assumeEgress: egress.name, assumeEgressWhy: egress.why } : {}) : null,
    ifaceName: (i) => ifaces[i] ?? `if${i}`,
    natRulesKnown: natRulesKnown(snapshot),
    captured,
    roles: { inside: roles.inside, outside: roles.outside },
  });
  state.foreignByIface.forEach((n, i) => {
    if (!n) return;
    options.onWarning({
      code: 'foreign-frames',
      file: allCaptures,
      message: `${n} IPv4 frame${n === 1 ? '' : 's'} on ${ifaces[i]} went neither from nor to the gateway (none of its MACs in ip addr): the capture was taken on a link others share — the parent NIC of a macvlan interface, a bridge, a mirror port — and ${n === 1 ? 'it was' : 'they were'} left out`,
    });
  });
  const probes = flows.filter((f) => f.forwarded > 0 && isProbe(f)).length;
  if (probes > 0) {
    options.onWarning({
      code: 'traceroute-probes',
      file: allCaptures,
      message: `${probes} flow${probes === 1 ? ' was a traceroute probe' : 's were traceroute probes'} (UDP to ports 33434–33534, or a TTL of a few hops run out beyond the gateway: ICMP time exceeded came back): the gateway forwarded ${probes === 1 ? 'it' : 'them'}; an ICMP answer, or none from a silent hop, is what a probe expects, so ${probes === 1 ? 'it counts' : 'they count'} as delivered`,
    });
  }
  state.cut.mergedOn.forEach((n, i) => {
    if (!n) return;
    const out = state.cut.piecesOn.flatMap((m, o) => (m && o !== i ? [`${ifaces[o]} cut into ${m} smaller ones`] : []));
    options.onWarning({
      code: 'segmentation-offload',
      file: allCaptures,
      message: `${n} TCP segment${n === 1 ? '' : 's'} arrived on ${ifaces[i]} merged — by receive offload (GRO/LRO), or unsegmented from a sender on the same host (TSO/GSO over a veth) — and left by ${out.join(', ') || 'the other interface cut into smaller ones'} (segmentation offload off there). Each was matched to its pieces: the interfaces' packet counts differ for that reason, not because packets were lost`,
    });
  });
  state.cut.refragmentedOn.forEach((n, o) => {
    if (!n) return;
    const mtu = snapshot?.host.interfaces.find((x) => x.name === ifaces[o])?.mtu;
    options.onWarning({
      code: 'refragmented',
      file: allCaptures,
      message: `${n} datagram${n === 1 ? '' : 's'} without DF left by ${ifaces[o]} in smaller fragments than ${n === 1 ? 'it' : 'they'} arrived in: ${ifaces[o]}'s MTU${mtu ? ` (${mtu})` : ''} is smaller than the other side's, so the gateway fragmented ${n === 1 ? 'it' : 'them'} again. Each was matched by its first fragment; the same traffic with DF set would get ICMP "fragmentation needed" instead (mtu-exceeded)`,
    });
  });
  if ((state.unseenCopies > 0 || state.unseenEchoes > 0) && overlap) {
    const n = state.unseenCopies;
    const e = state.unseenEchoes;
    const what = [
      n ? `${n} TCP segment${n === 1 ? '' : 's'} the far end acknowledged before any retransmission` : '',
      e ? `${e} echo request${e === 1 ? '' : 's'} whose reply the gateway relayed back` : '',
    ].filter(Boolean);
    const k = n + e;
    options.onWarning({
      code: 'copies-not-captured',
      file: allCaptures,
      message: `${what.join(' and ')} arrived with no copy captured on the other side: the capture missed ${k === 1 ? 'the copy' : 'those copies'}, the gateway forwarded ${k === 1 ? 'it' : 'them'} (counted as forwarded)`,
    });
  }
  // Flows not judged although their requests were: the interface they leave by was not captured (missing), or its
  // capture holds nothing of them though they were answered through the gateway (unseen: that capture missed them).
  const missing = new Map<string, number>();
  const unseen = new Map<string, number>();
  for (const f of flows) {
    if (f.disposition !== 'outside-capture' || f.forwarded > 0 || f.requestsJudged === 0) continue;
    const egress = f.trace?.disposition.kind === 'forwarded' ? f.trace.disposition.egress : '';
    if (!egressCaptured(f.trace, captured)) missing.set(egress, (missing.get(egress) ?? 0) + 1);
    else if (answeredUnseen(f)) {
      const name = egress || ([...captured].find((n) => n !== ifaces[f.ingress.iface]) ?? '');
      unseen.set(name, (unseen.get(name) ?? 0) + 1);
    }
  }
  for (const [name, n] of unseen) {
    const filter =
      name && name === roles.inside
        ? `\`host <EIP>\` on the inside, where the packets carry the private addresses`
        : `\`host <private address>\` on the outside, where the packets carry the EIPs`;
    options.onWarning({
      code: 'answered-not-captured',
      file: allCaptures,
      message: `${n} flow${n === 1 ? ' was' : 's were'} answered through the gateway — the far end's replies left by the way in — though the capture of ${name || 'the other interface'} holds none of ${n === 1 ? 'its' : 'their'} packets: that capture missed them (a capture filter that does not take the addresses as they are on that side, such as ${filter}; another interface or namespace). Not judged: capture ${name || 'it'} without such a filter`,
    });
  }
  // Say which interfaces were missing, once each, with the flows that could not be followed.
  for (const [name, n] of missing) {
    options.onWarning({
      code: 'egress-not-captured',
      file: allCaptures,
      message: name
        ? `no capture holds ${name}: ${n} flow${n === 1 ? '' : 's'} the rules send out by it cannot be followed through the gateway (capture it too: tcpdump -i ${name} -w ${name}.pcap)`
        : `only ${[...captured].join(', ')} was captured: ${n} flow${n === 1 ? '' : 's'} cannot be followed through the gateway (capture its other interface too${snapshot ? '' : ', or give the snapshot so the rules name it'})`,
    });
  }

  return { ifaces, windows: ownWindows, state, flows, roles, overlap, judge, clockOffsetNs, aliases };
}
