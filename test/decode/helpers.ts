import { decodePacket } from '../../src/decode/decode-packet.js';
import type { DecodedPacket } from '../../src/model/packet.js';
import { newDecodedPacket } from '../../src/model/packet.js';
import type { PacketFixture } from './fixtures/packets.js';

export function bytesOf(f: PacketFixture): Uint8Array {
  return new Uint8Array(Buffer.from(f.hex, 'hex'));
}

export function decodeFixture(f: PacketFixture, out: DecodedPacket = newDecodedPacket()): DecodedPacket {
  decodePacket(f.linkType, bytesOf(f), out);
  return out;
}
