import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Analysis } from '../model/analysis.js';

/**
 * The analysis as JSON, piece by piece: exactly the text `JSON.stringify(a, null, indent)` makes, but its
 * top-level arrays (flows, findings, rules…) an element at a time. A busy gateway's capture holds a hundred
 * thousand flows, each with its walk and sampled packets (≈ 9 KB indented): as one string that is more than
 * V8 can make (≈ 512 MB), and the process died out of memory after a minute of trying. Each element's text —
 * and the sampled packets its getters make — is garbage again once written.
 */
export function* analysisJson(a: Analysis, indent = 0): Generator<string> {
  yield* streamed(a, indent, 0);
  if (indent) yield '\n';
}

/** Values at depth < STREAM_DEPTH are written member by member; deeper ones by one JSON.stringify. */
const STREAM_DEPTH = 2;

function* streamed(value: unknown, indent: number, depth: number): Generator<string> {
  const v = toJsonValue(value);
  if (depth >= STREAM_DEPTH || v === null || typeof v !== 'object') {
    yield reindented(v, indent, depth);
    return;
  }
  const gap = indent ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const close = indent ? `\n${' '.repeat(indent * depth)}` : '';
  if (Array.isArray(v)) {
    if (!v.length) return yield '[]';
    for (let i = 0; i < v.length; i++) {
      yield (i ? ',' : '[') + gap;
      const e = toJsonValue(v[i]);
      if (omitted(e)) yield 'null';
      else yield* streamed(e, indent, depth + 1);
    }
    return yield `${close}]`;
  }
  let n = 0;
  for (const key of Object.keys(v)) {
    const e = toJsonValue((v as Record<string, unknown>)[key], key);
    if (omitted(e)) continue;
    yield `${n++ ? ',' : '{'}${gap}${JSON.stringify(key)}:${indent ? ' ' : ''}`;
    yield* streamed(e, indent, depth + 1);
  }
  yield n ? `${close}}` : '{}';
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** A value as JSON.stringify first sees it: through its toJSON, if it has one. */
function toJsonValue(v: unknown, key = ''): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') return (v as { toJSON(k: string): unknown }).toJSON(key);
  return v;
}

/**
 * One value by JSON.stringify, its lines indented for where it stands: stringified inside `depth` arrays and cut
 * out of them (a slice, not a copy of each line as replacing every newline made).
 */
function reindented(v: unknown, indent: number, depth: number): string {
  if (!indent || !depth || v === null || typeof v !== 'object') return JSON.stringify(v, null, indent);
  let wrapped: unknown = v;
  for (let d = 0; d < depth; d++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, indent);
  // `[\n  [\n    ` before the value, `\n  ]\n]` after it: depth × (1 + 1 + indent × level) characters each side.
  let head = 0;
  let tail = 0;
  for (let d = 0; d < depth; d++) {
    head += 2 + indent * (d + 1);
    tail += 2 + indent * d;
  }
  return text.slice(head, text.length - tail);
}

/**
 * Pieces of text as UTF-8 buffers of at most `batch` bytes, encoded as they come (no string of them all, nor of a
 * batch, is made); a piece larger than a batch is a buffer of its own. Each buffer is new: whoever writes it may
 * keep it until written.
 */
export function* encodedBatches(pieces: Iterable<string>, batch = 1 << 20): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(batch);
  let at = 0;
  for (const p of pieces) {
    // UTF-8 takes at most 3 bytes for each UTF-16 unit.
    if (p.length * 3 > batch - at) {
      if (at > 0) {
        yield buf.subarray(0, at);
        buf = Buffer.allocUnsafe(batch);
        at = 0;
      }
      if (p.length * 3 > batch) {
        yield Buffer.from(p, 'utf8');
        continue;
      }
    }
    at += buf.write(p, at);
  }
  if (at > 0) yield buf.subarray(0, at);
}

/**
 * Write pieces of text to a stream in batches (`encodedBatches`), waiting when the stream asks to (a pipe to a slow
 * reader), so neither the text nor the stream's buffer grows with the input.
 */
export async function writePieces(out: Writable, pieces: Iterable<string>, batch = 1 << 20): Promise<void> {
  for (const b of encodedBatches(pieces, batch)) if (!out.write(b)) await once(out, 'drain');
}
