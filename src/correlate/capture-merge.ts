import { basename, extname } from 'node:path';
import type { CaptureRecord } from '../model/capture.js';
import { LinkType } from '../model/capture.js';
import type { InputWarning } from '../model/errors.js';
import { newDecodedPacket, type DecodedPacket } from '../model/packet.js';
import { decodePacket } from '../decode/decode-packet.js';
import { openCapture, type OpenCapture } from '../ingest/open-capture.js';

/** One capture file being read, with its own reused decoder output. */
interface Cursor {
  readonly index: number;
  readonly capture: OpenCapture;
  readonly it: Generator<CaptureRecord, void, undefined>;
  readonly decoded: DecodedPacket;
  rec: CaptureRecord | null;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  packets: number;
  /** Interfaces (names) this file held packets of. */
  readonly ifaces: Set<string>;
}

export interface CaptureWindow {
  readonly file: string;
  readonly format: string;
  readonly packets: number;
  readonly bytes: number;
  readonly interfaces: readonly string[];
  readonly first: { sec: number; nsec: number } | null;
  readonly last: { sec: number; nsec: number } | null;
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

export function fileBaseName(path: string): string {
  if (path === '-') return 'stdin';
  const b = basename(path);
  const e = extname(b);
  return e ? b.slice(0, -e.length) : b;
}

function before(a: CaptureRecord, b: CaptureRecord): boolean {
  return a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec < b.tsNsec);
}

/**
 * Read several captures at once and hand their packets to `visitor` in time order (a k-way merge over
 * the files' heads), each decoded once. Memory stays bounded: one record per file is held.
 */
export function mergeCaptures(
  paths: readonly string[],
  options: { interfaceNames: ReadonlyMap<number, string>; onWarning: (w: InputWarning) => void },
  visitor: MergeVisitor,
): CaptureWindow[] {
  const cursors: Cursor[] = paths.map((path, index) => {
    const capture = openCapture(path, { interfaceNames: options.interfaceNames, onWarning: options.onWarning });
    return {
      index,
      capture,
      it: capture.records(),
      decoded: newDecodedPacket(),
      rec: null,
      firstSec: -1,
      firstNsec: 0,
      lastSec: -1,
      lastNsec: 0,
      packets: 0,
      ifaces: new Set<string>(),
    };
  });
  const bases = paths.map(fileBaseName);
  try {
    const advance = (c: Cursor): void => {
      const n = c.it.next();
      c.rec = n.done ? null : n.value;
    };
    for (const c of cursors) advance(c);
    let total = 0;
    for (;;) {
      let pick: Cursor | null = null;
      for (const c of cursors) if (c.rec && (!pick || before(c.rec, pick.rec!))) pick = c;
      if (!pick) break;
      const rec = pick.rec!;
      const d = pick.decoded;
      decodePacket(rec.linkType, rec.data, d);
      const iface = interfaceOf(rec, d, bases[pick.index]!, pick.capture.interfaces.length > 1 && !pick.capture.interfaces.every((i) => i.name));
      pick.ifaces.add(iface);
      if (pick.packets === 0 || before(rec, { tsSec: pick.firstSec, tsNsec: pick.firstNsec } as CaptureRecord)) {
        pick.firstSec = rec.tsSec;
        pick.firstNsec = rec.tsNsec;
      }
      if (pick.packets === 0 || before({ tsSec: pick.lastSec, tsNsec: pick.lastNsec } as CaptureRecord, rec)) {
        pick.lastSec = rec.tsSec;
        pick.lastNsec = rec.tsNsec;
      }
      pick.packets++;
      visitor.packet(rec, d, pick.index, iface);
      total++;
      if ((total & 0xffff) === 0 && visitor.progress) {
        let bytes = 0;
        for (const c of cursors) bytes += c.capture.bytesRead();
        visitor.progress(total, bytes);
      }
      advance(pick);
    }
  } finally {
    for (const c of cursors) c.capture.close();
  }
  return cursors.map((c) => ({
    file: paths[c.index]!,
    format: c.capture.format,
    packets: c.packets,
    bytes: c.capture.bytesRead(),
    interfaces: [...c.ifaces].sort(),
    first: c.packets ? { sec: c.firstSec, nsec: c.firstNsec } : null,
    last: c.packets ? { sec: c.lastSec, nsec: c.lastNsec } : null,
  }));
}
