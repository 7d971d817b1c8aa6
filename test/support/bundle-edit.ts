/**
 * Real bundles changed the way reality changes them: a copy of a field or lab bundle with some files
 * rewritten, left out or added, and classic pcap edits (records cut off or taken out).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Analysis } from '../../src/index.js';

/** Byte offset of record `frame` (1-based, as Wireshark numbers frames) of a classic little-endian pcap. */
export function pcapRecordOffset(bytes: Buffer, frame: number): number {
  let at = 24;
  for (let n = 1; n < frame && at < bytes.length; n++) at += 16 + bytes.readUInt32LE(at + 8);
  return at;
}

/** The records of a classic little-endian pcap: where each starts and ends, its timestamp words, its frame. */
export function pcapRecords(bytes: Buffer): { at: number; end: number; sec: number; frac: number; data: Buffer }[] {
  const out = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const end = at + 16 + bytes.readUInt32LE(at + 8);
    out.push({ at, end, sec: bytes.readUInt32LE(at), frac: bytes.readUInt32LE(at + 4), data: bytes.subarray(at + 16, end) });
    at = end;
  }
  return out;
}

/** The first `keep` records. */
export function pcapPrefix(bytes: Buffer, keep: number): Buffer {
  return bytes.subarray(0, pcapRecordOffset(bytes, keep + 1));
}

/** The records after the first `skip` (the file header kept). */
export function pcapSuffix(bytes: Buffer, skip: number): Buffer {
  return Buffer.concat([bytes.subarray(0, 24), bytes.subarray(pcapRecordOffset(bytes, skip + 1))]);
}

/** The pcap without record `frame`. */
export function pcapWithout(bytes: Buffer, frame: number): Buffer {
  const at = pcapRecordOffset(bytes, frame);
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 16 + bytes.readUInt32LE(at + 8))]);
}

/**
 * Every record's timestamp moved by `us` microseconds (a classic little-endian µs pcap): the capture as a host
 * whose clock is that far ahead (negative: behind) would have written it.
 */
export function pcapShifted(bytes: Buffer, us: number): Buffer {
  const out = Buffer.from(bytes);
  for (let at = 24; at + 16 <= out.length; at += 16 + out.readUInt32LE(at + 8)) {
    const t = out.readUInt32LE(at) * 1e6 + out.readUInt32LE(at + 4) + us;
    out.writeUInt32LE(Math.floor(t / 1e6), at);
    out.writeUInt32LE(t - Math.floor(t / 1e6) * 1e6, at + 4);
  }
  return out;
}

/** The capture as `tcpdump -s snaplen` would have written it: each record cut to `snaplen` bytes (classic little-endian pcap). */
export function pcapSnapped(bytes: Buffer, snaplen: number): Buffer {
  const head = Buffer.from(bytes.subarray(0, 24));
  head.writeUInt32LE(snaplen, 16);
  const parts: Buffer[] = [head];
  for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) {
    const caplen = bytes.readUInt32LE(at + 8);
    const keep = Math.min(caplen, snaplen);
    const rh = Buffer.from(bytes.subarray(at, at + 16));
    rh.writeUInt32LE(keep, 8);
    parts.push(rh, bytes.subarray(at + 16, at + 16 + keep));
  }
  return Buffer.concat(parts);
}

/**
 * Copy bundle `from` into the new folder `to`: each file as it is, rewritten by `edit[name]`, or left out
 * where `edit[name]` is null; `add` writes more files (name → content). Returns `to`.
 */
export function editedBundle(from: string, to: string, edit: Record<string, ((b: Buffer) => Buffer) | null> = {}, add: Record<string, Uint8Array> = {}): string {
  mkdirSync(to);
  for (const name of readdirSync(from)) {
    const e = edit[name];
    if (e === null) continue;
    if (e) writeFileSync(join(to, name), e(readFileSync(join(from, name))));
    else copyFileSync(join(from, name), join(to, name));
  }
  for (const [name, content] of Object.entries(add)) writeFileSync(join(to, name), content);
  return to;
}

/** Flows by what they are, not by id: proto, original tuple, in → out, disposition, packets per interface. */
export function flowKeys(a: Analysis): string[] {
  return a.flows
    .map((f) => `${f.proto} ${f.original.src}:${f.original.sport} > ${f.original.dst}:${f.original.dport} ${f.ingress}→${f.egress} ${f.disposition} ${JSON.stringify(Object.entries(f.packets).sort())}`)
    .sort();
}
