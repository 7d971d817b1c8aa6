/**
 * A capture that missed echo requests' copies (a busy gateway's capture buffer overflowing) while the gateway relayed
 * their replies back: ping's replies vouch for the requests as TCP's acknowledgments do for segments. The far end
 * cannot answer a request it never got, so each request whose reply of the same sequence number came back through
 * the gateway was forwarded — not lost at the gateway, not an intermittent drop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, pcapRecordOffset, pcapWithout } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-echoes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const healthy = fieldSets().find((s) => s.name === 'healthy');

/** Frames (1-based) of a little-endian Ethernet pcap holding IPv4 ICMP of `type` from `src` to `dst`, with their echo sequence numbers. */
function echoFrames(bytes: Buffer, type: number, src: string, dst: string): { frame: number; seq: number }[] {
  const out: { frame: number; seq: number }[] = [];
  for (let frame = 1, at = 24; at + 16 <= bytes.length; frame++, at = pcapRecordOffset(bytes, frame)) {
    const d = at + 16;
    if (bytes.readUInt16BE(d + 12) !== 0x0800 || bytes[d + 23] !== 1 || (bytes[d + 14]! & 0x0f) !== 5) continue;
    if ([...bytes.subarray(d + 26, d + 30)].join('.') !== src || [...bytes.subarray(d + 30, d + 34)].join('.') !== dst || bytes[d + 34] !== type) continue;
    out.push({ frame, seq: bytes.readUInt16BE(d + 40) });
  }
  return out;
}

describe.skipIf(!healthy)('echo requests whose copies the capture missed, their replies relayed back', () => {
  it('are forwarded, counted with the copies the capture missed: the flow stays delivered, no loss', async () => {
    const whole = await analyze([healthy!.dir]);
    const ping = whole.flows.find((f) => f.proto === 'icmp' && f.ingress === 'eth0' && f.disposition === 'delivered' && f.observed !== null)!;
    const eip = ping.observed!.src;
    // The outside capture without the translated copies of two of the pings' requests (seq 2 and 4).
    const b = editedBundle(healthy!.dir, join(tmp, 'missed'), {
      'net1.pcap': (x) => {
        const gone = echoFrames(x, 8, eip, ping.observed!.dst).filter((e) => e.seq === 2 || e.seq === 4);
        expect(gone).toHaveLength(2);
        return pcapWithout(pcapWithout(x, gone[1]!.frame), gone[0]!.frame);
      },
    });
    const a = await analyze([b]);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const f = a.flows.find((x) => x.id === ping.id)!;
    expect([f.disposition, f.lossRate]).toEqual(['delivered', 0]);
    const w = a.warnings.find((x) => x.code === 'copies-not-captured')!;
    expect(w.message).toMatch(/^2 echo requests whose reply the gateway relayed back arrived with no copy captured on the other side/);
  });

  it('a request whose reply the capture missed too vouches for nothing: without its reply relayed, it stays lost', async () => {
    const whole = await analyze([healthy!.dir]);
    const ping = whole.flows.find((f) => f.proto === 'icmp' && f.ingress === 'eth0' && f.disposition === 'delivered' && f.observed !== null)!;
    const eip = ping.observed!.src;
    const remote = ping.observed!.dst;
    // seq 3: the request's copy and the reply's arrival both gone from the outside capture — and the reply's copy
    // from the inside one, as when the gateway really dropped the request.
    const b = editedBundle(healthy!.dir, join(tmp, 'lost'), {
      'net1.pcap': (x) => {
        const req = echoFrames(x, 8, eip, remote).find((e) => e.seq === 3)!;
        const rep = echoFrames(x, 0, remote, eip).find((e) => e.seq === 3)!;
        return pcapWithout(pcapWithout(x, Math.max(req.frame, rep.frame)), Math.min(req.frame, rep.frame));
      },
      'eth0.pcap': (x) => pcapWithout(x, echoFrames(x, 0, remote, ping.original.src).find((e) => e.seq === 3)!.frame),
    });
    const a = await analyze([b]);
    const f = a.flows.find((x) => x.id === ping.id)!;
    expect(f.disposition).toBe('partial');
    expect(a.warnings.some((x) => x.code === 'copies-not-captured' && x.message.includes('echo request'))).toBe(false);
  });
});
