import { basename, extname } from 'node:path';
import type { CaptureRecord } from '../model/capture.js';
import { LinkType } from '../model/capture.js';
import type { InputWarning } from '../model/errors.js';
import { Net, newDecodedPacket, type DecodedPacket } from '../model/packet.js';
import { decodeRecord } from '../decode/decode-packet.js';
import { openCapture, type OpenCapture } from '../ingest/open-capture.js';
import { openFileSource, stdinSource } from '../ingest/byte-source.js';
import { digestingSource, type DigestingSource } from '../ingest/digesting-source.js';
import type { CookedInterface } from './cooked-interface.js';
import { captureIdentity, continuations } from './rotated-files.js';

/** A frame of a capture holding several interfaces (interface-by-mac.ts): its interface by MAC or route, else the capture's name. */
function placeMerged(c: Cursor, d: DecodedPacket, own: string, place: CookedInterface): string {
  const name = place(d);
  if (name) return name;
  if (d.net === Net.IPV4 || d.net === Net.ARP) c.mergedUnplaced++;
  return own;
}

function noteSpan(c: Cursor, iface: string, sec: number, nsec: number): void {
  const spans = (c.spans ??= new Map());
  const span = spans.get(iface);
  if (span === undefined) {
    spans.set(iface, { iface, first: { sec, nsec }, last: { sec, nsec }, packets: 1 });
    return;
  }
  span.packets++;
  if (sec < span.first.sec || (sec === span.first.sec && nsec < span.first.nsec)) span.first = { sec, nsec };
  if (sec > span.last.sec || (sec === span.last.sec && nsec > span.last.nsec)) span.last = { sec, nsec };
}

/** One capture file being read, with its own reused decoder output. */
interface Cursor {
  readonly index: number;
  readonly capture: OpenCapture;
  /**
   * Hashes what is read: standard input always (it cannot be read twice), files when asked (`digestFiles`:
   * the reading thread hashes the bytes it reads anyway); other files are hashed on another thread (analyze.ts).
   */
  readonly digesting: DigestingSource | null;
  readonly it: Generator<CaptureRecord, void, undefined>;
  readonly decoded: DecodedPacket;
  /** The file's clock shift (clockShiftNs) as whole seconds and nanoseconds (0 ≤ nsec < 1e9). */
  readonly shiftSec: number;
  readonly shiftNsec: number;
  rec: CaptureRecord | null;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  packets: number;
  /** Interfaces (names) this file held packets of. */
  readonly ifaces: Set<string>;
  /** File name without extension: the interface name of a single-interface capture that names none. */
  readonly base: string;
  /** How many of the capture's interfaces `multi` was worked out from (pcapng describes them as it goes). */
  interfacesSeen: number;
  /** Several interfaces, not all named: records are told apart by interface id. */
  multi: boolean;
  /** Names made per interface id / SLL2 ifindex, made once instead of once per packet. */
  readonly byId: string[];
  readonly byIfIndex: Map<number, string>;
  /** Interface indexes of a LINUX_SLL2 (-i any) capture that nothing named (no ip addr): they go by `ifindexN`. */
  readonly unnamedIfIndexes: Set<number>;
  /** The last name added to `ifaces` (skips the set lookup while it does not change). */
  lastIface: string;
  /** Linux cooked v1 (`-i any`) IPv4/ARP packets whose interface could not be told (cooked-interface.ts). */
  cookedUnplaced: number;
  cookedSeen: boolean;
  /** IPv4/ARP frames of a merged capture whose interface could not be told. */
  mergedUnplaced: number;
  /** A merged capture's frames per interface they were placed on. */
  spans: Map<string, InterfaceSpan> | null;
  /** Records that went back in time by more than OUT_OF_ORDER_NS (the file's packets not in time order), the first, the most. */
  backSteps: number;
  backFrame: number;
  backMaxNs: number;
  /**
   * One interface's reading of a file read per interface: the interface id it is for (its frames' span is that
   * interface's window, `spans`); null otherwise.
   */
  readonly only: number | null;
  /** The file this one continues, a piece of the same capture (rotated-files.ts): read only once that one is read. */
  after: Cursor | null;
}

/**
 * How far a record may go back in time and still count as in order. An `-i any` capture hands over the packets of
 * several interfaces a little out of order (microseconds to milliseconds between CPUs); dumpcap capturing several
 * interfaces writes each one's packets as the kernel retires its blocks, up to a block timeout apart (129–201 ms
 * measured in the lab's multi-interface captures) — disorder the correlator's matching window (250 ms) absorbs.
 * Beyond a second, the file is captures joined one after the other (pcapng sections from `cat`, `mergecap -a`).
 */
const OUT_OF_ORDER_NS = 1e9;

/**
 * How an out-of-time-order warning ends while the capture is read as it comes; analyze.ts reads such a capture again
 * per interface where it can and ends the warning with READ_PER_INTERFACE instead (the verdict tells them apart).
 */
export const READ_AS_THEY_COME =
  ' They are read as they come, so copies seconds or minutes apart in the file are not matched: merge them in time order (mergecap -w merged.pcapng <files>, without -a) or give the captures as separate files';
export const READ_PER_INTERFACE = ' Each of its interfaces was read on its own and merged with the rest in time order';

/** When one interface's frames of a capture begin and end, and how many there are. */
export interface InterfaceSpan {
  readonly iface: string;
  first: { sec: number; nsec: number };
  last: { sec: number; nsec: number };
  packets: number;
}

export interface CaptureWindow {
  readonly file: string;
  readonly format: string;
  readonly packets: number;
  readonly bytes: number;
  readonly interfaces: readonly string[];
  readonly first: { sec: number; nsec: number } | null;
  readonly last: { sec: number; nsec: number } | null;
  /**
   * When the capture really started and stopped, where the file says so (pcapng interface statistics):
   * earlier / later than its first and last packet when the link was quiet. Null otherwise. The end is the
   * recorded one less the moment a stopped capture may not have written (UNWRITTEN_TAIL_NS).
   */
  readonly ranFrom: { sec: number; nsec: number } | null;
  readonly ranTo: { sec: number; nsec: number } | null;
  /** Packets the capture itself lost (pcapng isb_ifdrop + isb_osdrop); null where the file does not say. */
  readonly dropped: number | null;
  /** A capture of every interface at once (`tcpdump -i any`: Linux cooked link types): one it holds no packet of carried none. */
  readonly everyInterface: boolean;
  /** SHA-256 computed while the input was read (standard input; files with `digestFiles`); null otherwise and for input the reader left before its end. */
  readonly sha256: string | null;
  /**
   * A capture of several interfaces merged into one (interface-by-mac.ts): each interface's frames, which
   * began and ended when that interface's own capture did (mergecap joins captures taken apart); null otherwise.
   */
  readonly spans: readonly InterfaceSpan[] | null;
  /** The file's interfaces by file-wide id (pcapng IDBs; 0 for a classic pcap): how a file read out of time order is split. */
  readonly interfaceIds: readonly number[];
  /**
   * The interfaces a pcapng names (if_name, as the analysis calls them) when it names each of several: all were
   * captured while it ran, whichever of them had packets. Null otherwise.
   */
  readonly named?: readonly string[] | null;
}

export interface MergeVisitor {
  /** Called for every packet in time order across all files. `iface` is the interface's name. */
  packet(rec: CaptureRecord, d: DecodedPacket, file: number, iface: string): void;
  progress?(packets: number, bytesRead: number): void;
}

/**
 * The interface a record belongs to: the capture's own name for it (pcapng if_name, an `-i any`
 * record's ifindex resolved through `ip addr`), else the file name without its extension (`eth0.pcap`
 * → eth0), as tcpdump users name per-interface captures. Never assumes eth0/net1.
 */
export function interfaceOf(rec: CaptureRecord, d: DecodedPacket, fileBase: string, multiInterface: boolean): string {
  if (rec.interfaceName) return rec.interfaceName;
  if (rec.linkType === LinkType.LINUX_SLL2 && d.ifIndex >= 0) return `ifindex${d.ifIndex}`;
  return multiInterface ? `${fileBase}#${rec.interfaceId}` : fileBase;
}

/**
 * The name a file gives its capture: without extension (a compressed capture is named by what it holds: eth0.pcap.gz →
 * eth0; tcpdump -C's eth0.pcap1 → eth0), nor the file number and time dumpcap's ring buffer adds (`-b`, and editcap
 * -c: eth0_00001_20261207110535.pcap, or time first with `-b nametimenum:2`).
 */
export function fileBaseName(path: string): string {
  if (path === '-') return 'stdin';
  const b = basename(path).replace(/\.gz$/i, '');
  const e = extname(b);
  return (e ? b.slice(0, -e.length) : b).replace(/_(\d{5}_\d{14}|\d{14}_\d{5})$/, '');
}

/** `interfaceOf`, with the names it makes cached per cursor (no string built per packet). */
function cursorInterface(c: Cursor, rec: CaptureRecord, d: DecodedPacket, cooked: CookedInterface | null): string {
  if (rec.linkType === LinkType.LINUX_SLL) {
    // A cooked v1 record names no interface (not even one an IDB calls "any"): the gateway's state places it.
    c.cookedSeen = true;
    const name = cooked ? cooked(d) : null;
    if (name) return name;
    if (d.net === Net.IPV4 || d.net === Net.ARP) c.cookedUnplaced++;
  }
  if (rec.interfaceName) return rec.interfaceName;
  if (rec.linkType === LinkType.LINUX_SLL2 && d.ifIndex >= 0) {
    let name = c.byIfIndex.get(d.ifIndex);
    if (name === undefined) {
      name = interfaceOf(rec, d, c.base, false);
      c.byIfIndex.set(d.ifIndex, name);
      c.unnamedIfIndexes.add(d.ifIndex);
    }
    return name;
  }
  const interfaces = c.capture.interfaces;
  if (interfaces.length !== c.interfacesSeen) {
    c.interfacesSeen = interfaces.length;
    c.multi = interfaces.length > 1 && !interfaces.every((i) => i.name);
  }
  if (!c.multi) return c.base;
  let name = c.byId[rec.interfaceId];
  if (name === undefined) {
    name = interfaceOf(rec, d, c.base, true);
    c.byId[rec.interfaceId] = name;
  }
  return name;
}

function advance(c: Cursor): void {
  const n = c.it.next();
  c.rec = n.done ? null : n.value;
}

/**
 * Read several captures at once and hand their packets to `visitor` in time order (a k-way merge over
 * the files' heads), each decoded once. Memory stays bounded: one record per file is held.
 */
export function mergeCaptures(
  paths: readonly string[],
  options: {
    interfaceNames: ReadonlyMap<number, string>;
    onWarning: (w: InputWarning) => void;
    /** Places Linux cooked v1 (`-i any`) packets on their interfaces; null without a snapshot. */
    cookedInterface?: CookedInterface | null;
    /** Names to use instead of the captures' own (interface-by-mac.ts). */
    aliases?: ReadonlyMap<string, string>;
    /** Captured names whose frames belong to several interfaces, each placed by `cookedInterface` (interface-by-mac.ts). */
    merged?: ReadonlySet<string>;
    /** Stop after this many packets (a look at the captures' beginning). */
    maxPackets?: number;
    /** Hash files as they are read too (standard input always is): each window's `sha256`. */
    digestFiles?: boolean;
    /**
     * Per file, nanoseconds to add to its timestamps to order its packets among the others' (its clock's skew,
     * clock-skew.ts). The packets keep their own timestamps.
     */
    clockShiftNs?: readonly number[];
    /**
     * Files whose packets are not in time order (out-of-time-order: captures joined one after the other), by index,
     * with their interface ids: each interface is read on its own (the file once per interface) and merged with the
     * rest in time order like a file of its own.
     */
    splitByInterface?: ReadonlyMap<number, readonly number[]>;
  },
  visitor: MergeVisitor,
): CaptureWindow[] {
  const cursors: Cursor[] = [];
  const open = (path: string, index: number, only: number | null = null, first = true): Cursor => {
    const digesting = !first ? null : path === '-' ? digestingSource(stdinSource()) : options.digestFiles ? digestingSource(openFileSource(path)) : null;
    const source = digesting ?? openFileSource(path);
    // One interface's reading of a split file: the file's own warnings are told once, by the first.
    const capture = openCapture(path, { interfaceNames: options.interfaceNames, onWarning: first ? options.onWarning : () => {}, source });
    const shift = options.clockShiftNs?.[index] ?? 0;
    return {
      index,
      capture,
      digesting,
      it: only === null ? capture.records() : recordsOf(capture.records(), only),
      decoded: newDecodedPacket(),
      shiftSec: Math.floor(shift / 1e9),
      shiftNsec: shift - Math.floor(shift / 1e9) * 1e9,
      rec: null,
      firstSec: -1,
      firstNsec: 0,
      lastSec: -1,
      lastNsec: 0,
      packets: 0,
      ifaces: new Set<string>(),
      base: fileBaseName(path),
      interfacesSeen: -1,
      multi: false,
      byId: [],
      byIfIndex: new Map(),
      unnamedIfIndexes: new Set(),
      lastIface: '',
      cookedUnplaced: 0,
      cookedSeen: false,
      mergedUnplaced: 0,
      spans: null,
      backSteps: 0,
      backFrame: 0,
      backMaxNs: 0,
      only,
      after: null,
    };
  };
  try {
    paths.forEach((path, index) => {
      const ids = options.splitByInterface?.get(index);
      if (ids?.length && path !== '-') ids.forEach((id, k) => cursors.push(open(path, index, id, k === 0)));
      else cursors.push(open(path, index));
    });
  } catch (e) {
    for (const c of cursors) c.capture.close();
    throw e;
  }
  const cooked = options.cookedInterface ?? null;
  const aliases = options.aliases?.size ? options.aliases : null;
  const merged = options.merged?.size && cooked ? options.merged : null;
  const maxPackets = options.maxPackets ?? Infinity;
  try {
    for (const c of cursors) advance(c);
    chainPieces(cursors, paths, options.interfaceNames);
    let total = 0;
    for (;;) {
      // The file whose next record is earliest (ties: the first file).
      let pick: Cursor | null = null;
      let pickSec = 0;
      let pickNsec = 0;
      for (let k = 0; k < cursors.length; k++) {
        const c = cursors[k]!;
        const r = c.rec;
        if (r === null || (c.after !== null && c.after.rec !== null)) continue;
        // On the first capture's clock (a skewed capture's shift; 0 otherwise).
        let sec = r.tsSec + c.shiftSec;
        let nsec = r.tsNsec + c.shiftNsec;
        if (nsec >= 1e9) {
          sec++;
          nsec -= 1e9;
        }
        if (pick === null || sec < pickSec || (sec === pickSec && nsec < pickNsec)) {
          pick = c;
          pickSec = sec;
          pickNsec = nsec;
        }
      }
      if (pick === null || total >= maxPackets) break;
      const rec = pick.rec!;
      // The capture's own clock from here on: windows and spans are each capture's (correlate.ts shifts them).
      pickSec = rec.tsSec;
      pickNsec = rec.tsNsec;
      const d = pick.decoded;
      decodeRecord(rec, d);
      const own = cursorInterface(pick, rec, d, cooked);
      let iface = aliases === null ? own : (aliases.get(own) ?? own);
      if (merged !== null && merged.has(own)) {
        iface = placeMerged(pick, d, own, cooked!);
        if (iface !== own) noteSpan(pick, iface, pickSec, pickNsec);
      } else if (pick.only !== null) noteSpan(pick, iface, pickSec, pickNsec);
      if (iface !== pick.lastIface) {
        pick.ifaces.add(iface);
        pick.lastIface = iface;
      }
      if (pick.packets === 0 || pickSec < pick.firstSec || (pickSec === pick.firstSec && pickNsec < pick.firstNsec)) {
        pick.firstSec = pickSec;
        pick.firstNsec = pickNsec;
      }
      if (pick.packets === 0 || pick.lastSec < pickSec || (pick.lastSec === pickSec && pick.lastNsec < pickNsec)) {
        pick.lastSec = pickSec;
        pick.lastNsec = pickNsec;
      } else {
        const back = (pick.lastSec - pickSec) * 1e9 + (pick.lastNsec - pickNsec);
        if (back > OUT_OF_ORDER_NS) {
          if (pick.backSteps++ === 0) pick.backFrame = rec.frame;
          if (back > pick.backMaxNs) pick.backMaxNs = back;
        }
      }
      pick.packets++;
      visitor.packet(rec, d, pick.index, iface);
      total++;
      if ((total & 0xffff) === 0 && visitor.progress) {
        let bytes = 0;
        for (let k = 0; k < cursors.length; k++) if (k === 0 || cursors[k - 1]!.index !== cursors[k]!.index) bytes += cursors[k]!.capture.bytesRead();
        visitor.progress(total, bytes);
      }
      advance(pick);
    }
  } finally {
    for (const c of cursors) c.capture.close();
  }
  for (const c of cursors) {
    const file = paths[c.index]!;
    if (c.backSteps > 0) {
      options.onWarning({
        code: 'out-of-time-order',
        file,
        message: `the packets of this capture are not in time order: from frame ${c.backFrame} on, ${c.backSteps} go back in time, by up to ${formatSeconds(c.backMaxNs)} — captures joined one after the other (\`cat\` of pcapng files, \`mergecap -a\`).${READ_AS_THEY_COME}`,
      });
    }
    if (c.mergedUnplaced > 0) {
      options.onWarning({
        code: 'merged-capture-unplaced',
        file,
        message: `${c.mergedUnplaced} IPv4/ARP frame${c.mergedUnplaced === 1 ? '' : 's'} of this capture of several interfaces carry no MAC of the gateway or of a neighbour it knows (ip addr, ip neigh) and no route places them: they keep the name the capture gives them`,
      });
    }
    // Indexes the nat rules' addresses named (interface-by-address.ts) are named.
    const unnamed = [...c.unnamedIfIndexes].filter((i) => !aliases?.has(`ifindex${i}`));
    if (unnamed.length > 0) {
      const idx = unnamed.sort((a, b) => a - b);
      options.onWarning({
        code: 'sll2-unnamed',
        file,
        message: `this -i any capture records interfaces by index only (${idx.join(', ')}), and no ip addr names ${idx.length === 1 ? 'it' : 'them'}: they are called ${idx.map((i) => `ifindex${i}`).join(', ')}, which the rules and routes do not name, so which is inside and which outside, and what the rules do to them, cannot be told (give ip addr or ip -j addr taken in the gateway)`,
      });
    }
    if (c.cookedSeen && !cooked) {
      options.onWarning({
        code: 'cooked-v1-unsplit',
        file,
        message:
          'a Linux cooked v1 capture (tcpdump -i any before 4.99) does not record interfaces; without ip addr, ip neigh or ip route in the bundle its packets cannot be placed on them, and a packet cannot be told from its forwarded copy (capture with tcpdump ≥ 4.99, or -i per interface)',
      });
    } else if (c.cookedUnplaced > 0) {
      options.onWarning({
        code: 'cooked-v1-unplaced',
        file,
        message: `${c.cookedUnplaced} packet${c.cookedUnplaced === 1 ? '' : 's'} of this Linux cooked v1 (-i any) capture could not be placed on an interface by MAC address (ip addr, ip neigh) or route, and count as interface ${c.base}`,
      });
    }
  }
  // A split file's readings are one capture again: its window spans them all.
  return joinSplit(cursors.map((c) => ({
    ...runTimes(c),
    file: paths[c.index]!,
    format: c.capture.gzip ? `${c.capture.format}+gzip` : c.capture.format,
    packets: c.packets,
    // The file's bytes (a compressed capture's compressed size), as hashed; else what the reader took from it.
    bytes: c.digesting?.digest()?.bytes ?? c.capture.bytesRead(),
    interfaces: c.packets ? [...c.ifaces].sort() : quietInterfaces(c, aliases),
    everyInterface: c.capture.interfaces.some((i) => i.linkType === LinkType.LINUX_SLL || i.linkType === LinkType.LINUX_SLL2),
    first: c.packets ? { sec: c.firstSec, nsec: c.firstNsec } : null,
    last: c.packets ? { sec: c.lastSec, nsec: c.lastNsec } : null,
    sha256: c.digesting?.digest()?.sha256 ?? null,
    spans: c.spans ? [...c.spans.values()].sort((a, b) => (a.iface < b.iface ? -1 : 1)) : null,
    interfaceIds: c.capture.interfaces.map((i) => i.id),
    named: namedInterfaces(c, aliases),
  })));
}

/** Pieces of one capture (rotated-files.ts) are read one after the other: each waits for the one it continues. */
function chainPieces(cursors: Cursor[], paths: readonly string[], interfaceNames: ReadonlyMap<number, string>): void {
  if (cursors.length < 2) return;
  const after = continuations(
    cursors.map((c) => {
      const path = paths[c.index]!;
      // Standard input cannot be read twice (nor be a piece of a capture in files).
      if (c.rec === null || path === '-') return null;
      const only = c.only;
      return {
        path,
        identity: captureIdentity(c.base, c.capture.interfaces.map((i) => i.name), only),
        firstSec: c.rec.tsSec,
        firstNsec: c.rec.tsNsec,
        records: (capture) => (only === null ? capture.records() : recordsOf(capture.records(), only)),
      };
    }),
    interfaceNames,
  );
  after.forEach((k, i) => {
    if (k >= 0) cursors[i]!.after = cursors[k]!;
  });
}

/** The records of one interface (file-wide id) of a capture read for it alone. */
function* recordsOf(records: Generator<CaptureRecord, void, undefined>, id: number): Generator<CaptureRecord, void, undefined> {
  for (const r of records) if (r.interfaceId === id) yield r;
}

const earlier = (a: { sec: number; nsec: number } | null, b: { sec: number; nsec: number } | null): boolean => a !== null && (b === null || a.sec < b.sec || (a.sec === b.sec && a.nsec < b.nsec));

/** Windows of the same file (a split file's readings, one per interface, in a row) joined into one. */
function joinSplit(windows: CaptureWindow[]): CaptureWindow[] {
  const out: CaptureWindow[] = [];
  for (const w of windows) {
    const prev = out[out.length - 1];
    if (!prev || prev.file !== w.file) {
      out.push(w);
      continue;
    }
    out[out.length - 1] = {
      ...prev,
      packets: prev.packets + w.packets,
      interfaces: [...new Set([...prev.interfaces, ...w.interfaces])].sort(),
      first: earlier(w.first, prev.first) ? w.first : prev.first,
      last: earlier(prev.last, w.last) ? w.last : prev.last,
      spans: prev.spans || w.spans ? [...(prev.spans ?? []), ...(w.spans ?? [])].sort((a, b) => (a.iface < b.iface ? -1 : 1)) : null,
    };
  }
  return out;
}

/**
 * The interfaces a capture without a single packet was taken on, as the file names them (pcapng if_name, else the
 * file's name: `net1.pcap` → net1): a capture of a link that carried nothing. Nothing for `-i any` captures, whose
 * records alone name their interfaces.
 */
function quietInterfaces(c: Cursor, aliases: ReadonlyMap<string, string> | null): string[] {
  const declared = c.capture.interfaces.filter((i) => i.linkType !== LinkType.LINUX_SLL && i.linkType !== LinkType.LINUX_SLL2);
  if (declared.length !== c.capture.interfaces.length) return [];
  const names = declared.map((i) => i.name || (declared.length === 1 ? c.base : `${c.base}#${i.id}`));
  return [...new Set(names.map((n) => aliases?.get(n) ?? n))].sort();
}

/** `CaptureWindow.named`: a pcapng's interfaces when it names each of several (no -i any among them). */
function namedInterfaces(c: Cursor, aliases: ReadonlyMap<string, string> | null): string[] | null {
  const all = c.capture.interfaces;
  if (all.length < 2 || !all.every((i) => i.name && i.linkType !== LinkType.LINUX_SLL && i.linkType !== LinkType.LINUX_SLL2)) return null;
  const names = [...new Set(all.map((i) => aliases?.get(i.name) ?? i.name))].sort();
  return names.length > 1 ? names : null;
}

/** A day: an interface statistics time further than this from the packets is a misreading, not a quiet link. */
const PLAUSIBLE_NS = 86_400e9;

/**
 * How far a capture's recorded start may fall after its first packet (or its end before its last): dumpcap reads
 * the clock for isb_starttime after the capture opened, and the kernel may have stamped the first packet a few
 * hundred microseconds before. The run is then taken to begin with that packet.
 */
const CLOCK_SLACK_NS = 1e9;

/**
 * How much of its last moment a capture stopped by a signal may not have written while isb_endtime counts it
 * as captured: the kernel hands packets to dumpcap in blocks retired by a timeout (250 ms), and the block still
 * filling when dumpcap stops is dropped, uncounted by isb_ifrecv or any drop counter (measured in the lab:
 * up to 0.3 s of continuous traffic missing before the recorded end on a loaded machine). Judging that moment
 * as captured would call its packets lost at the gateway; the run is taken to end this much before the recorded
 * end (never before the last packet).
 */
const UNWRITTEN_TAIL_NS = 1e9;

/**
 * The capture's run (interface statistics start/end, the reading of each that fits the packets: a start no
 * later than the first packet, an end no earlier than the last, within a day, give or take CLOCK_SLACK_NS, and
 * never inside the packets; the end less UNWRITTEN_TAIL_NS) and what it lost.
 */
function runTimes(c: Cursor): Pick<CaptureWindow, 'ranFrom' | 'ranTo' | 'dropped'> {
  const stats = c.capture.statistics;
  let dropped: number | null = null;
  for (const s of stats) {
    if (s.interfaceDropped !== null || s.osDropped !== null) dropped = (dropped ?? 0) + (s.interfaceDropped ?? 0) + (s.osDropped ?? 0);
  }
  if (c.packets === 0) return { ranFrom: null, ranTo: null, dropped };
  const pick = (readings: readonly { sec: number; nsec: number }[], sec: number, nsec: number, before: boolean) => {
    let best: { sec: number; nsec: number } | null = null;
    let bestGap = Infinity;
    for (const r of readings) {
      const gap = before ? (sec - r.sec) * 1e9 + (nsec - r.nsec) : (r.sec - sec) * 1e9 + (r.nsec - nsec);
      if (gap >= -CLOCK_SLACK_NS && gap <= PLAUSIBLE_NS && Math.abs(gap) < bestGap) {
        // A reading a moment inside the packets is the packet's own time.
        best = gap < 0 ? { sec, nsec } : r;
        bestGap = Math.abs(gap);
      }
    }
    return best;
  };
  let ranFrom: { sec: number; nsec: number } | null = null;
  let ranTo: { sec: number; nsec: number } | null = null;
  for (const s of stats) {
    const from = pick(s.start, c.firstSec, c.firstNsec, true);
    const to = pick(s.end, c.lastSec, c.lastNsec, false);
    if (from && (!ranFrom || from.sec < ranFrom.sec || (from.sec === ranFrom.sec && from.nsec < ranFrom.nsec))) ranFrom = from;
    if (to && (!ranTo || to.sec > ranTo.sec || (to.sec === ranTo.sec && to.nsec > ranTo.nsec))) ranTo = to;
  }
  if (ranTo) {
    const cut = (ranTo.sec - c.lastSec) * 1e9 + (ranTo.nsec - c.lastNsec) - UNWRITTEN_TAIL_NS;
    ranTo = cut <= 0 ? { sec: c.lastSec, nsec: c.lastNsec } : { sec: c.lastSec + Math.floor((c.lastNsec + cut) / 1e9), nsec: (c.lastNsec + cut) % 1e9 };
  }
  return { ranFrom, ranTo, dropped };
}

function formatSeconds(ns: number): string {
  const s = ns / 1e9;
  return s < 1 ? `${Math.round(ns / 1e6)} ms` : s >= 100 ? `${Math.round(s)} s` : `${Math.round(s * 10) / 10} s`;
}
