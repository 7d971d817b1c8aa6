/**
 * Encoders for the three pcapng blocks the evidence file needs (IETF draft-ietf-opsawg-pcapng):
 * Section Header Block, Interface Description Block and Enhanced Packet Block, little-endian.
 * Each returns one block's bytes; the caller streams them to a file.
 */

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

const utf8 = new TextEncoder();

interface Option {
  readonly code: number;
  readonly value: Uint8Array;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function optionsLength(opts: readonly Option[]): number {
  if (opts.length === 0) return 0;
  // Each option: code + length (4 bytes) + value padded to 32 bits; then opt_endofopt (4 bytes).
  return opts.reduce((n, o) => n + 4 + pad4(o.value.length), 0) + 4;
}

function writeOptions(view: DataView, bytes: Uint8Array, at: number, opts: readonly Option[]): number {
  if (opts.length === 0) return at;
  for (const o of opts) {
    view.setUint16(at, o.code, true);
    view.setUint16(at + 2, o.value.length, true);
    bytes.set(o.value, at + 4);
    at += 4 + pad4(o.value.length);
  }
  view.setUint16(at, OPT_ENDOFOPT, true);
  view.setUint16(at + 2, 0, true);
  return at + 4;
}

/** Option values are at most 65535 bytes (16-bit length); cut longer text at a character boundary. */
function textOption(code: number, text: string): Option {
  let value = utf8.encode(text);
  if (value.length > 65535) {
    let end = 65535;
    // Do not split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
    while (end > 0 && (value[end]! & 0xc0) === 0x80) end--;
    value = value.subarray(0, end);
  }
  return { code, value };
}

function block(type: number, bodyLength: number, fill: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const total = 12 + bodyLength;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  fill(view, bytes);
  view.setUint32(total - 4, total, true);
  return bytes;
}

/** Section Header Block, version 1.0, section length unknown (-1), naming the writing application. */
export function sectionHeaderBlock(application: string): Uint8Array {
  const opts = [textOption(SHB_USERAPPL, application)];
  return block(BLOCK_SHB, 16 + optionsLength(opts), (view, bytes) => {
    view.setUint32(8, BYTE_ORDER_MAGIC, true);
    view.setUint16(12, 1, true);
    view.setUint16(14, 0, true);
    view.setInt32(16, -1, true);
    view.setInt32(20, -1, true);
    writeOptions(view, bytes, 24, opts);
  });
}

/** Interface Description Block with if_name and if_tsresol = 9 (timestamps in nanoseconds). */
export function interfaceDescriptionBlock(linkType: number, snaplen: number, name: string): Uint8Array {
  const opts: Option[] = [];
  if (name) opts.push(textOption(IF_NAME, name));
  opts.push({ code: IF_TSRESOL, value: Uint8Array.of(9) });
  return block(BLOCK_IDB, 8 + optionsLength(opts), (view, bytes) => {
    view.setUint16(8, linkType, true);
    view.setUint16(10, 0, true);
    view.setUint32(12, snaplen, true);
    writeOptions(view, bytes, 16, opts);
  });
}

/** Enhanced Packet Block; the timestamp is in the interface's units (ns with if_tsresol 9). */
export function enhancedPacketBlock(
  interfaceId: number,
  tsSec: number,
  tsNsec: number,
  origLen: number,
  data: Uint8Array,
  comment: string,
): Uint8Array {
  const opts = comment ? [textOption(OPT_COMMENT, comment)] : [];
  const ts = BigInt(tsSec) * 1_000_000_000n + BigInt(tsNsec);
  return block(BLOCK_EPB, 20 + pad4(data.length) + optionsLength(opts), (view, bytes) => {
    view.setUint32(8, interfaceId, true);
    view.setUint32(12, Number(ts >> 32n), true);
    view.setUint32(16, Number(ts & 0xffffffffn), true);
    view.setUint32(20, data.length, true);
    view.setUint32(24, Math.max(origLen, data.length), true);
    bytes.set(data, 28);
    writeOptions(view, bytes, 28 + pad4(data.length), opts);
  });
}
