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

/** One value by JSON.stringify, its lines indented for where it stands (JSON escapes every newline inside strings). */
function reindented(v: unknown, indent: number, depth: number): string {
  const text = JSON.stringify(v, null, indent);
  return indent && depth ? text.replaceAll('\n', `\n${' '.repeat(indent * depth)}`) : text;
}

/**
 * Write pieces of text to a stream in batches of about `batch` characters, waiting when it asks to (a pipe to
 * a slow reader), so neither the text nor the stream's buffer grows with the input.
 */
export async function writePieces(out: Writable, pieces: Iterable<string>, batch = 1 << 20): Promise<void> {
  let buf = '';
  for (const p of pieces) {
    buf += p;
    if (buf.length < batch) continue;
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  }
  if (buf && !out.write(buf)) await once(out, 'drain');
}
