import { readFileSync } from 'node:fs';

/**
 * A text file as a string, whatever Unicode encoding wrote it. Snapshot files are command output redirected to a
 * file, and Windows PowerShell 5.1 redirects (`kubectl exec gw -- iptables-save -c > iptables.txt`, `Out-File`)
 * write UTF-16 little-endian with a byte order mark; Notepad and some editors save UTF-8 with one. Read as plain
 * UTF-8, the first is all NUL bytes between the characters (not text at all) and the second starts with U+FEFF,
 * which breaks JSON.parse and the first line's match. So: a UTF-8, UTF-16LE or UTF-16BE BOM decides the encoding
 * and is dropped; without one, text whose first characters all have a zero high byte (ASCII as UTF-16LE / BE)
 * is taken as UTF-16 in that order; anything else is UTF-8. Terminal colour codes are taken out (`ESCAPES`).
 */
export function readText(path: string): string {
  return decodeText(readFileSync(path));
}

/**
 * Terminal escape sequences: colours (`ip -c addr`, `grep --color`, output copied out of a terminal log)
 * and window titles. They are not part of what the commands say; line breaks are untouched, so lines keep
 * their numbers.
 */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/** `readText` of bytes already read. */
export function decodeText(b: Uint8Array): string {
  const text = decodeUnicode(b);
  return text.includes('\x1b') ? text.replace(ESCAPES, '') : text;
}

function decodeUnicode(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.toString('utf8', 3);
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.toString('utf16le', 2);
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return swapped(buf.subarray(2)).toString('utf16le');
  const order = utf16WithoutBom(buf);
  if (order === 'le') return buf.toString('utf16le');
  if (order === 'be') return swapped(buf).toString('utf16le');
  return buf.toString('utf8');
}

/** How many leading characters the BOM-less UTF-16 guess looks at. */
const GUESS_CHARS = 32;

/**
 * UTF-16 without a BOM: every one of the first characters (up to GUESS_CHARS) is printable ASCII or a line
 * break in one byte and zero in the other — what command output in UTF-16 looks like, and what no UTF-8 text
 * does (it holds no NUL bytes).
 */
function utf16WithoutBom(buf: Buffer): 'le' | 'be' | null {
  const n = Math.min(GUESS_CHARS, buf.length >> 1);
  if (n < 2) return null;
  const ascii = (c: number): boolean => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f);
  let le = true;
  let be = true;
  for (let k = 0; k < n; k++) {
    const a = buf[2 * k]!;
    const b = buf[2 * k + 1]!;
    if (!(ascii(a) && b === 0)) le = false;
    if (!(a === 0 && ascii(b))) be = false;
  }
  return le ? 'le' : be ? 'be' : null;
}

/** The bytes with each pair swapped (UTF-16BE → LE); an odd last byte is dropped. */
function swapped(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length & ~1);
  for (let k = 0; k + 1 < b.length; k += 2) {
    out[k] = b[k + 1]!;
    out[k + 1] = b[k]!;
  }
  return out;
}
