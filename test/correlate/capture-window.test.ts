/**
 * Captures stopped at slightly different moments (two tcpdumps ended by hand): packets whose copy would
 * have left after the other capture stopped are not judged lost — requests and replies alike.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { fieldSets } from '../support/field.js';

/** Byte offset of record `n` (0-based) of a classic little-endian pcap. */
function recordOffset(bytes: Buffer, n: number): number {
  let at = 24;
  for (let k = 0; k < n && at < bytes.length; k++) at += 16 + bytes.readUInt32LE(at + 8);
  return at;
}

/** The first `keep` records of a classic little-endian pcap. */
function pcapPrefix(bytes: Buffer, keep: number): Buffer {
  return bytes.subarray(0, recordOffset(bytes, keep));
}

/** The records after the first `skip` (the file header kept). */
function pcapSuffix(bytes: Buffer, skip: number): Buffer {
  return Buffer.concat([bytes.subarray(0, 24), bytes.subarray(recordOffset(bytes, skip))]);
}

/** A copy of the field set with its inside / outside captures rewritten. */
function cutBundle(from: string, name: string, edit: Record<string, (b: Buffer) => Buffer>): string {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const file of readdirSync(from)) {
    const e = edit[file];
    if (e) writeFileSync(join(dir, file), e(readFileSync(join(from, file))));
    else copyFileSync(join(from, file), join(dir, file));
  }
  return dir;
}

const healthy = fieldSets().find((s) => s.name === 'healthy');
const tmp = mkdtempSync(join(tmpdir(), 'natlens-window-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!healthy)('capture window: real captures cut at different moments', () => {
  it('a reply that arrived on the outside just before that capture stopped, after the inside one had, is not judged lost', async () => {
    const full = await analyze([healthy!.dir]);
    const inside = full.interfaces.inside!;
    const outside = full.interfaces.outside!;
    expect(full.flows.every((f) => f.disposition === 'delivered' || f.disposition === 'local')).toBe(true);
    // The last reply that came in on the outside (to a flow from the inside) and was forwarded inside.
    const replies = full.flows.filter((f) => f.ingress === inside).flatMap((f) => f.samples.filter((p) => p.iface === outside && p.direction === 'reply' && p.match?.iface === inside).map((p) => ({ f, p })));
    expect(replies.length).toBeGreaterThan(0);
    const { f, p } = replies.sort((a, b) => a.p.frame - b.p.frame).at(-1)!;

    // The inside capture stops just before the reply's copy; the outside one just after the reply.
    const dir = cutBundle(healthy!.dir, 'end', {
      [`${inside}.pcap`]: (b) => pcapPrefix(b, p.match!.frame - 1),
      [`${outside}.pcap`]: (b) => pcapPrefix(b, p.frame),
    });
    const cut = await analyze([dir]);
    const same = cut.flows.find((x) => x.original.src === f.original.src && x.original.dst === f.original.dst && x.original.sport === f.original.sport && x.proto === f.proto);
    expect(same).toBeDefined();
    expect(same!.disposition).not.toBe('partial');
    expect(same!.disposition).not.toBe('reply-not-returned');
    expect(same!.lossRate ?? 0).toBe(0);
    expect(cut.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(cut.summary.verdict).toBe('ok');
  });

  it('replies that arrived on the outside before the inside capture started are not judged lost', async () => {
    const full = await analyze([healthy!.dir]);
    const inside = full.interfaces.inside!;
    const outside = full.interfaces.outside!;
    // An inside flow with several replies: the inside capture starts just after its first reply's copy.
    const f = full.flows.find((x) => x.ingress === inside && x.samples.filter((p) => p.iface === outside && p.direction === 'reply' && p.match).length >= 3)!;
    expect(f).toBeDefined();
    const first = f.samples.find((p) => p.iface === outside && p.direction === 'reply' && p.match)!;
    const dir = cutBundle(healthy!.dir, 'start', { [`${inside}.pcap`]: (b) => pcapSuffix(b, first.match!.frame) });
    const cut = await analyze([dir]);
    const same = cut.flows.find((x) => x.ingress === inside && x.original.src === f.original.src && x.original.dst === f.original.dst && x.original.sport === f.original.sport && x.proto === f.proto);
    expect(same).toBeDefined();
    expect(same!.packets[outside]!.reply).toBeGreaterThan(same!.packets[inside]!.reply);
    expect(same!.disposition).toBe('delivered');
    expect(same!.lossRate ?? 0).toBe(0);
    expect(cut.findings.filter((x) => x.severity === 'error')).toEqual([]);
  });
});
