/**
 * The evidence capture: the packets of the affected flows (and their copies on the other interface), and the
 * frames the findings cite besides (ICMP errors, ARP, resets), fetched again from the original captures, merged
 * in time order into one pcapng with one interface block per capture interface (its real name and link type;
 * LINUX_SLL2 frames of an `-i any` capture stay SLL2) and a packet comment on each saying what natlens concluded. Wireshark shows the comments
 * as `frame.comment` (pkt_comment).
 *
 * Memory stays bounded: every capture is streamed once, side by side (a k-way merge that holds one
 * record per capture), and blocks are written out in chunks as they are made.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Analysis, Flow, FlowPacket } from '../model/analysis.js';
import type { CaptureRecord } from '../model/capture.js';
import { InputError } from '../model/errors.js';
import { openCapture } from '../ingest/open-capture.js';
import { VERSION } from '../version.js';
import { durationNs } from './format-time.js';
import { enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from './pcapng-writer.js';
import { PROBLEM_DISPOSITIONS, egressOf, expectedText, isLost, natChange, reportFacts } from './report-facts.js';

/** One packet to copy: where it is, which interface it belongs to, and what to say about it. */
interface Wanted {
  readonly iface: string;
  readonly comment: string;
}

const SNAPLEN = 262_144;
const FLUSH_BYTES = 1 << 20;

/**
 * Which flows the evidence is about: those whose disposition says something went wrong and those a
 * finding explains. A healthy analysis has none; then every flow goes in, as proof of delivery.
 */
export function evidenceFlows(analysis: Analysis): Flow[] {
  const named = new Set(analysis.findings.filter((f) => f.severity !== 'info').flatMap((f) => f.flows));
  const affected = analysis.flows.filter((f) => PROBLEM_DISPOSITIONS.has(f.disposition) || named.has(f.id));
  return affected.length > 0 ? affected : [...analysis.flows];
}

/** The comment per (file, frame), for the sampled packets of the chosen flows and their copies. */
export function evidenceComments(analysis: Analysis): Map<string, Map<number, Wanted>> {
  const facts = reportFacts(analysis);
  const rel = facts.rel;
  const causeOf = new Map<string, string>();
  for (const f of analysis.findings) {
    for (const id of f.flows) if (!causeOf.has(id)) causeOf.set(id, `${f.check} (${f.confidence})`);
  }
  const wanted = new Map<string, Map<number, Wanted>>();
  const put = (file: string, frame: number, w: Wanted): void => {
    let m = wanted.get(file);
    if (!m) wanted.set(file, (m = new Map()));
    if (!m.has(frame)) m.set(frame, w);
  };
  for (const flow of evidenceFlows(analysis)) {
    const head = `natlens ${flow.id} ${flow.disposition}`;
    const cause = causeOf.get(flow.id);
    const because = cause ? `; cause: ${cause}` : '';
    for (const p of flow.samples) {
      // Frame numbers in the evidence file differ from the originals: every comment names its source.
      put(p.file, p.frame, { iface: p.iface, comment: `${head}: ${describe(analysis, flow, p, rel)}${because}; from ${rel(p.file)} frame ${p.frame}` });
      if (p.match) {
        const copy = p.match;
        const what =
          p.offload === 'merged'
            ? `the first piece of ${p.iface} frame ${p.frame}, which arrived merged and left cut into smaller segments (segmentation offload), ${durationNs(copy.latencyNs)}`
            : p.offload === 'piece'
              ? `arrived merged (receive offload) and left ${p.iface} cut into smaller segments, frame ${p.frame} among them`
              : sameAs(flow, p.direction, p.iface, p.frame, copy.latencyNs, rel);
        put(copy.file, copy.frame, { iface: copy.iface, comment: `${head}: ${what}${because}; from ${rel(copy.file)} frame ${copy.frame}` });
      }
    }
  }
  // What the findings cite that is no flow's packet — an ICMP error, an ARP request, a reset, a frame sent to
  // another MAC — goes in too: the proof of a finding belongs in its evidence file.
  for (const f of analysis.findings) {
    for (const e of f.evidence) {
      if (e.kind === 'frame') put(e.file, e.frame, { iface: e.iface, comment: `natlens ${f.check} (${f.confidence}): ${e.summary}; from ${rel(e.file)} frame ${e.frame}` });
    }
  }
  return wanted;
}

function describe(a: Analysis, flow: Flow, p: FlowPacket, rel: (p: string) => string): string {
  if (p.match && p.offload === 'merged') {
    return `arrived merged (receive offload); left ${p.match.iface} cut into smaller segments, the first: frame ${p.match.frame} (${durationNs(p.match.latencyNs)})`;
  }
  if (p.offload === 'piece') {
    return p.match
      ? `a piece of ${p.match.iface} frame ${p.match.frame} (segmentation offload: it arrived merged and left cut), ${durationNs(p.match.latencyNs)}`
      : `left ${p.iface} as a piece of a larger segment that arrived merged (segmentation offload)`;
  }
  if (p.match) return sameAs(flow, p.direction, p.match.iface, p.match.frame, p.match.latencyNs, rel);
  if (!p.judged) return `seen on ${p.iface}, not judged (outside the window both captures cover)`;
  if (p.copyNotCaptured) return `arrived on ${p.iface}; its copy was not captured, but the far end acknowledged it: forwarded, missed by the capture`;
  const egress = egressOf(flow, a);
  if (isLost(flow, p)) {
    const expected = expectedText(flow, rel);
    const what = expected ? ` (${flow.expected ? 'expected' : 'simulated:'} ${expected})` : '';
    return `arrived on ${p.iface}, no copy on ${egress ?? 'the other interface'}${what}`;
  }
  const other = p.iface === flow.ingress ? egress : flow.ingress;
  // The other side not captured at all (a flow only seen leaving by the outside): nothing to have a copy on.
  if (other && !a.capture.windows.some((w) => w.iface === other)) return `${p.direction} seen on ${p.iface}; ${other} was not captured`;
  return `${p.direction} seen on ${p.iface}${other ? `, no copy on ${other}` : ''}`;
}

/** `same packet as net1 frame 12, SNAT 10.0.4.10 → 203.0.113.71, 41 µs` (replies: the NAT is undone). */
function sameAs(flow: Flow, direction: FlowPacket['direction'], iface: string, frame: number, latencyNs: number, rel: (p: string) => string): string {
  let what = '';
  if (direction === 'reply') what = ', reply, NAT undone';
  else if (flow.observed) what = `, ${natChange(flow.original, flow.observed, flow.proto)}`;
  let expected = '';
  if (flow.disposition === 'forwarded-untranslated' || flow.disposition === 'translation-mismatch') {
    const x = expectedText(flow, rel);
    if (x) expected = ` (expected ${x})`;
  }
  return `same packet as ${iface} frame ${frame}${what}, ${durationNs(latencyNs)}${expected}`;
}

interface Head {
  readonly file: string;
  readonly it: Generator<CaptureRecord, void, undefined>;
  readonly wanted: Map<number, Wanted>;
  /** Highest frame wanted: reading stops there. */
  readonly lastFrame: number;
  rec: CaptureRecord | null;
  found: number;
}

export async function writeEvidencePcapng(analysis: Analysis, outPath: string): Promise<{ packets: number }> {
  const wanted = evidenceComments(analysis);
  const heads: Head[] = [];
  let fh: FileHandle | null = null;
  let packets = 0;
  try {
    // Open (and sniff) every capture before creating the output, so bad input leaves no empty file.
    for (const [file, frames] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
      if (file === '-') {
        throw new InputError('usage', file, 'the evidence file re-reads the captures, and a capture read from standard input cannot be read again: pass it as a file');
      }
      const cap = openCapture(file);
      let lastFrame = 0;
      for (const n of frames.keys()) lastFrame = Math.max(lastFrame, n);
      heads.push({ file, it: cap.records(), wanted: frames, lastFrame, rec: null, found: 0 });
    }
    for (const h of heads) advance(h);
    const out = await open(outPath, 'w');
    fh = out;
    const chunks: Uint8Array[] = [];
    let pending = 0;
    const emit = async (b: Uint8Array): Promise<void> => {
      chunks.push(b);
      pending += b.length;
      if (pending >= FLUSH_BYTES) {
        await out.write(concat(chunks, pending));
        chunks.length = 0;
        pending = 0;
      }
    };
    await emit(sectionHeaderBlock(`natlens ${analysis.tool.version || VERSION} evidence`));
    const ifaceIds = new Map<string, number>();
    for (;;) {
      // The head with the earliest timestamp goes next (ties: capture order, which is stable).
      let best: Head | null = null;
      for (const h of heads) {
        if (h.rec && (!best || before(h.rec, best.rec!))) best = h;
      }
      if (!best) break;
      const rec = best.rec!;
      const w = best.wanted.get(rec.frame)!;
      const key = `${w.iface}\u0000${rec.linkType}`;
      let id = ifaceIds.get(key);
      if (id === undefined) {
        id = ifaceIds.size;
        ifaceIds.set(key, id);
        await emit(interfaceDescriptionBlock(rec.linkType, SNAPLEN, w.iface));
      }
      // The block copies the record's bytes before the generator is resumed (the record is reused).
      await emit(enhancedPacketBlock(id, rec.tsSec, rec.tsNsec, rec.origLen, rec.data, w.comment));
      packets++;
      advance(best);
    }
    if (pending > 0) await out.write(concat(chunks, pending));
    const short = heads.find((h) => h.found < h.wanted.size);
    if (short) {
      throw new InputError(
        'parse',
        short.file,
        `${short.wanted.size - short.found} of the ${short.wanted.size} frames the analysis names are not in this capture (was it changed since the analysis?)`,
      );
    }
  } finally {
    for (const h of heads) h.it.return(undefined);
    await fh?.close();
  }
  return { packets };
}

/** Move a head to its next wanted record, or to the end once its last wanted frame is passed. */
function advance(h: Head): void {
  if (h.rec && h.rec.frame >= h.lastFrame) {
    h.rec = null;
    return;
  }
  for (;;) {
    const n = h.it.next();
    if (n.done) {
      h.rec = null;
      return;
    }
    if (h.wanted.has(n.value.frame)) {
      h.rec = n.value;
      h.found++;
      return;
    }
    if (n.value.frame >= h.lastFrame) {
      h.rec = null;
      return;
    }
  }
}

function before(a: CaptureRecord, b: CaptureRecord): boolean {
  return a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec < b.tsNsec);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
