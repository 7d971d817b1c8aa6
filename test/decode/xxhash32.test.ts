import { describe, expect, it } from 'vitest';
import { xxh32 } from '../../src/decode/xxhash32.js';

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);

describe('xxh32', () => {
  // Reference values from `xxhsum -H0` (the xxHash project's own tool, Debian package xxhash) over
  // the same bytes: empty, below one 16-byte stripe (byte and word tails), exactly one stripe, stripes
  // plus every kind of tail, the 64-byte payload prefix, and bytes ≥ 0x80 (where a sign slip in the
  // 32-bit arithmetic would show).
  it.each([
    ['empty', new Uint8Array(0), 0x02cc5d05],
    ['"a"', Uint8Array.of(0x61), 0x550d7456],
    ['"abc"', Uint8Array.of(0x61, 0x62, 0x63), 0x32d153ff],
    ['"abcd"', Uint8Array.of(0x61, 0x62, 0x63, 0x64), 0xa3643705],
    ['15 bytes', pattern(15), 0x162986eb],
    ['16 bytes', pattern(16), 0x96ac9fa6],
    ['17 bytes', pattern(17), 0x3cdfb1a2],
    ['61 bytes', pattern(61), 0x475130b4],
    ['64 bytes', pattern(64), 0x043913c6],
    ['64 high bytes', Uint8Array.from({ length: 64 }, (_, i) => 255 - i), 0xf8f882b7],
  ])('hashes %s like xxhsum', (_name, bytes, want) => {
    expect(xxh32(bytes, 0, bytes.length)).toBe(want);
  });

  it('depends only on the bytes, not on where they lie in the buffer', () => {
    const body = pattern(61);
    for (let at = 0; at < 8; at++) {
      const big = new Uint8Array(100).fill(0xee);
      big.set(body, at);
      expect(xxh32(big, at, at + body.length)).toBe(0x475130b4);
      expect(xxh32(new Uint8Array(big.buffer, at, body.length), 0, body.length)).toBe(0x475130b4);
    }
  });

  it('stays unsigned', () => {
    for (let i = 0; i < 50; i++) {
      const h = xxh32(new TextEncoder().encode(`payload-${i}`), 0, 9);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});

describe('the payload fingerprint', () => {
  // setPayload spells xxh32 out inline (no boxed return value per packet), reading words bytewise or
  // through a DataView: hold both equal to xxh32 for every payload length around the stripe, word and
  // PAYLOAD_HASH_LIMIT boundaries, at any frame alignment.
  it('is xxh32 over the first PAYLOAD_HASH_LIMIT payload bytes, for every payload length', async () => {
    const { decodeFrame } = await import('../../src/decode/decode-packet.js');
    const { PAYLOAD_HASH_LIMIT, setWordView } = await import('../../src/decode/payload.js');
    const { newDecodedPacket } = await import('../../src/model/packet.js');
    const d = newDecodedPacket();
    for (let n = 1; n <= 80; n++) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 91 + n) & 0xff);
      const frame = new Uint8Array(14 + 20 + 8 + n);
      frame.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00]); // Ethernet, IPv4
      const ipLen = 20 + 8 + n;
      frame.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
      const udpLen = 8 + n;
      frame.set([0x30, 0x39, 0, 53, udpLen >> 8, udpLen & 0xff, 0, 0], 34);
      frame.set(payload, 42);
      const want = xxh32(payload, 0, Math.min(n, PAYLOAD_HASH_LIMIT));
      for (const at of [0, 1, 2, 3]) {
        const buf = new Uint8Array(at + frame.length + 8).fill(0x5a);
        buf.set(frame, at);
        // Byte path (a frame in any array), then word path (the buffer has a DataView, as the reader's does).
        decodeFrame(1, buf, at, at + frame.length, d);
        expect(d.payloadCaptured, `payload of ${n} at ${at}`).toBe(n);
        expect(d.payloadHash, `payload of ${n} at ${at}`).toBe(want);
        setWordView(buf, new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
        decodeFrame(1, buf, at, at + frame.length, d);
        expect(d.payloadHash, `payload of ${n} at ${at}, word reads`).toBe(want);
      }
    }
  });
});
