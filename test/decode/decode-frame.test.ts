import { describe, expect, it } from 'vitest';
import { decodeFrame, decodePacket, decodeRecord } from '../../src/decode/decode-packet.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { newDecodedPacket, type DecodedPacket } from '../../src/model/packet.js';
import { capturesUnderTest } from '../ingest/captures-under-test.js';
import type { PacketFixture } from './fixtures/packets.js';
import * as fx from './fixtures/packets.js';
import { bytesOf } from './helpers.js';

/** Every field, typed arrays included, as one comparable string. */
function snapshot(d: DecodedPacket): string {
  return JSON.stringify(d, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
}

const fixtures = Object.entries(fx).filter((e): e is [string, PacketFixture] => typeof e[1] === 'object');

describe('decodeFrame over a frame inside a larger buffer', () => {
  // The reader hands the decoder its whole read buffer and the frame's bounds; the result must be the
  // one decodePacket gives for the frame alone: same fields, offsets relative to the frame, nothing
  // read past its end (the bytes after it are garbage here) whatever the frame's alignment.
  it.each(fixtures)('%s, whole and cut short at every length', (_name, f) => {
    const frame = bytesOf(f);
    const alone = newDecodedPacket();
    const inside = newDecodedPacket();
    const cuts: number[] = [];
    for (let n = 0; n <= frame.length; n++) if (n <= 128 || n % 23 === 0 || n === frame.length) cuts.push(n);
    for (const n of cuts) {
      decodePacket(f.linkType, frame.subarray(0, n), alone);
      const want = snapshot(alone);
      for (const at of [1, 2, 3, 5, 8]) {
        const big = new Uint8Array(at + n + 64).fill(0xa5);
        big.set(frame.subarray(0, n), at);
        decodeFrame(f.linkType, big, at, at + n, inside);
        expect(snapshot(inside), `cut at ${n}, frame at ${at}`).toBe(want);
      }
    }
  });
});

describe('decodeRecord', () => {
  it('decodes every record of every capture under test exactly like decodePacket on its data', () => {
    const a = newDecodedPacket();
    const b = newDecodedPacket();
    let records = 0;
    for (const c of capturesUnderTest()) {
      for (const rec of openCapture(c.path).records()) {
        decodeRecord(rec, a);
        decodePacket(rec.linkType, rec.data, b);
        if (snapshot(a) !== snapshot(b)) expect(snapshot(a), `${c.path} frame ${rec.frame}`).toBe(snapshot(b));
        records++;
      }
    }
    expect(records).toBeGreaterThan(1000);
  });

  it('decodes a record that did not come from a reader through its data', () => {
    const f = fx.ETH_ICMP_FRAG_NEEDED;
    const data = bytesOf(f);
    const rec = { file: 'x', frame: 1, offset: 0, tsSec: 0, tsNsec: 0, caplen: data.length, origLen: data.length, linkType: f.linkType, interfaceId: 0, interfaceName: '', data };
    const a = newDecodedPacket();
    const b = newDecodedPacket();
    decodeRecord(rec, a);
    decodePacket(f.linkType, data, b);
    expect(snapshot(a)).toBe(snapshot(b));
    expect(a.icmpMtu).toBeGreaterThan(0);
  });
});
