/**
 * A packet the capture dropped looks exactly like one the gateway dropped. When the captures say they lost
 * packets (pcapng interface statistics), a loss no rule explains is reported as what it may be: the
 * capture's. Real dumpcap captures from the lab, with one forwarded ping taken out of the outside one: the request's
 * copy and the reply that answered it (a reply relayed back would vouch for the request: copies-not-captured).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';

/** A little-endian pcapng without the packet blocks numbered in `frames`, its interface statistics saying `ifdrop` dropped. */
function editPcapng(bytes: Buffer, frames: readonly number[], ifdrop: number): Buffer {
  const parts: Buffer[] = [];
  let packets = 0;
  for (let at = 0; at < bytes.length; ) {
    const type = bytes.readUInt32LE(at);
    const len = bytes.readUInt32LE(at + 4);
    const block = Buffer.from(bytes.subarray(at, at + len));
    at += len;
    if (type === 6 && frames.includes(++packets)) continue;
    if (type === 5) {
      // Options after interface id and timestamp: rewrite isb_ifdrop (code 5) in place.
      for (let q = 20; q + 4 <= len - 4; ) {
        const code = block.readUInt16LE(q);
        const olen = block.readUInt16LE(q + 2);
        if (code === 0) break;
        if (code === 5) block.writeBigUInt64LE(BigInt(ifdrop), q + 4);
        q += 4 + ((olen + 3) & ~3);
      }
    }
    parts.push(block);
  }
  return Buffer.concat(parts);
}

describe.skipIf(!LAB_AVAILABLE)('capture drops (pcapng interface statistics) on real lab captures', () => {
  let source = '';
  let inside = '';
  let outside = '';
  let frames: number[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'natlens-drops-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  beforeAll(async () => {
    const out = await labOutput();
    source = join(out, 'healthy-lan');
    const lab = readLabJson(source);
    inside = lab.inside;
    outside = lab.outside;
    const a = await analyze([source]);
    // The outside copy of a forwarded request from the middle of a ping flow, and the reply to it arriving there.
    const f = a.flows.find((x) => x.proto === 'icmp' && x.ingress === inside && x.samples.filter((p) => p.iface === inside && p.direction === 'request' && p.match).length >= 3)!;
    const request = f.samples.filter((p) => p.iface === inside && p.direction === 'request' && p.match)[1]!;
    const seq = / seq (\d+),/.exec(request.summary)![1];
    const reply = f.samples.find((p) => p.iface === outside && p.direction === 'reply' && p.summary.includes(`echo reply id `) && p.summary.includes(` seq ${seq},`))!;
    frames = [request.match!.frame, reply.frame];
  }, LAB_WAIT_MS);

  const bundle = (name: string, ifdrop: number): string =>
    editedBundle(source, join(tmp, name), { [`${outside}.pcapng`]: (b) => editPcapng(b, frames, ifdrop) });
  const drop = (a: Analysis) => a.findings.find((f) => f.check === 'intermittent-drop');

  it('a lost packet the capture does not account for is an error at the gateway', async () => {
    const a = await analyze([bundle('unaccounted', 0)]);
    expect(drop(a)?.severity).toBe('error');
    expect(a.summary.verdict).toBe('packets-stop');
    expect(a.warnings.map((w) => w.code)).not.toContain('capture-drops');
    expect(a.inputs.filter((i) => i.kind === 'capture').map((i) => i.captureDrops)).toEqual([0, 0]);
  });

  it('with as many packets dropped by the capture, it is a warning that names the capture', async () => {
    const a = await analyze([bundle('accounted', 1)]);
    const f = drop(a)!;
    expect(f.severity).toBe('warning');
    expect(f.confidence).toBe('possible');
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.includes(`${outside}.pcapng`))).toBe(true);
    expect(a.summary.verdict).toBe('ok');
    const w = a.warnings.find((x) => x.code === 'capture-drops')!;
    expect(w.file).toContain(`${outside}.pcapng`);
    expect(a.inputs.find((i) => i.path.endsWith(`${outside}.pcapng`))!.captureDrops).toBe(1);
  });
});
