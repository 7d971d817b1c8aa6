import type { DecodedPacket, LayerId } from '../model/packet.js';

/** Record that the capture cut `layer` short; the deepest such layer wins. */
export function markTruncated(out: DecodedPacket, layer: LayerId): void {
  if (layer > out.truncatedAt) out.truncatedAt = layer;
}

/** Record a malformed header; the first hint is kept (later layers are not decoded after it anyway). */
export function markMalformed(out: DecodedPacket, hint: string): void {
  if (out.malformed === '') out.malformed = hint;
}
