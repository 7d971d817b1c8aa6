import type { CaptureRecord } from '../model/capture.js';
import { openCapture, type OpenCapture } from '../ingest/open-capture.js';
import { openFileSource } from '../ingest/byte-source.js';

/**
 * Files that are pieces of one capture, cut by a ring buffer (dumpcap -b, tcpdump -C/-G), are read one after the other,
 * as the capture they were, not merged by time.
 *
 * A capture of several interfaces (dumpcap -i a -i b) is not in time order: each interface's packets are written in
 * batches, and a frame may be stamped a few hundred milliseconds after the frames that follow it. Read alone, the file
 * is read as it comes, and the correlator absorbs that. Cut into files, a merge by time would let the next file's
 * frames overtake the first file's last ones whenever the first file's head is such a late frame: a reset read before
 * its SYN, an ICMP error before the datagram it quotes, an interface's packets out of their own order.
 *
 * Pieces of one capture hold the same interfaces (`captureIdentity`), and each starts where the one before ended: its
 * first frame is stamped no earlier than a second before the last frame of the one before. Two captures of the same
 * interfaces taken at once overlap for as long as they ran, and are merged by time.
 */
export interface Piece {
  readonly path: string;
  readonly identity: string;
  /** The first frame's timestamp, as ns (whole seconds and nanoseconds kept apart for exactness). */
  readonly firstSec: number;
  readonly firstNsec: number;
  /** Reads the file's records (one interface's of a split file) from the start: how its last frame is found. */
  readonly records: (c: OpenCapture) => Iterator<CaptureRecord, void, undefined>;
}

/** How much earlier than the last frame of the piece before a piece's first frame may be stamped. */
const PIECE_OVERLAP_NS = 1e9;

/**
 * Captures that may be pieces of one capture, by what they hold: the named interfaces of a pcapng, else the name the
 * file gives its capture (capture-merge.ts, fileBaseName: without a ring buffer's file number and time). `only`: the
 * interface a split file's reading is for.
 */
export function captureIdentity(fileBase: string, interfaceNames: readonly string[], only: number | null): string {
  const reading = only === null ? '' : ` #${only}`;
  if (interfaceNames.length && interfaceNames.every((n) => n)) return `if ${[...interfaceNames].sort().join(' ')}${reading}`;
  return `file ${fileBase}${reading}`;
}

/**
 * For each piece, the index of the piece it continues (read after that one is read to its end), or -1. Only files
 * with the same identity as another are read (to their last frame) for it.
 */
export function continuations(pieces: readonly (Piece | null)[], interfaceNames: ReadonlyMap<number, string>): number[] {
  const after = pieces.map(() => -1);
  const groups = new Map<string, number[]>();
  pieces.forEach((p, i) => {
    if (p !== null) groups.set(p.identity, [...(groups.get(p.identity) ?? []), i]);
  });
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const byStart = [...members].sort((a, b) => startNs(pieces[a]!, pieces[b]!) || a - b);
    for (let k = 1; k < byStart.length; k++) {
      const prev = pieces[byStart[k - 1]!]!;
      const last = lastStamp(prev, interfaceNames);
      const cur = pieces[byStart[k]!]!;
      const gap = (cur.firstSec - last.sec) * 1e9 + (cur.firstNsec - last.nsec);
      if (gap >= -PIECE_OVERLAP_NS) after[byStart[k]!] = byStart[k - 1]!;
    }
  }
  return after;
}

const startNs = (a: Piece, b: Piece): number => (a.firstSec - b.firstSec) * 1e9 + (a.firstNsec - b.firstNsec);

/** The timestamp of a file's last frame, in file order (of those before a corrupt record, if any). */
function lastStamp(p: Piece, interfaceNames: ReadonlyMap<number, string>): { sec: number; nsec: number } {
  let capture: OpenCapture | null = null;
  let sec = p.firstSec;
  let nsec = p.firstNsec;
  try {
    capture = openCapture(p.path, { interfaceNames, onWarning: () => {}, source: openFileSource(p.path) });
    const it = p.records(capture);
    for (let n = it.next(); !n.done; n = it.next()) {
      sec = n.value.tsSec;
      nsec = n.value.tsNsec;
    }
  } catch {
    // The merge's own reading meets the error too, and tells it; the frames before it are the piece's.
  } finally {
    capture?.close();
  }
  return { sec, nsec };
}
