/** The Inputs view: what was read (files, hashes), when each capture ran, their overlap and clock offset, warnings. */
import type { Analysis } from '../../model/analysis.js';
import { seg, padEnd, padStart, elideMiddle, wrapText, type Line } from './text-line.js';
import { fmtBytes, fmtCount } from './format.js';
import { staticBody, type ViewBody } from './view-body.js';
import { clockNs, durationNs, isoToNs } from '../format-time.js';

function clock(iso: string | null): string {
  // Keep the date out of the way (captures of one incident share it; the header of the section shows it).
  return iso ? clockNs(iso) : '—';
}

function span(first: string | null, last: string | null): string {
  return first && last ? durationNs(isoToNs(last) - isoToNs(first)) : '';
}

/** The folder every input sits in (a bundle), so that the table can show short names. */
export function commonDir(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let dir = paths[0]!.slice(0, paths[0]!.lastIndexOf('/') + 1);
  for (const p of paths) while (dir && !p.startsWith(dir)) dir = dir.slice(0, dir.slice(0, -1).lastIndexOf('/') + 1);
  return dir;
}

export function buildInputs(a: Analysis, width: number): ViewBody {
  const lines: Line[] = [];
  const dir = commonDir(a.inputs.map((f) => f.path));
  const one = (p: string) => (dir && p.startsWith(dir) ? p.slice(dir.length) : p);
  // A warning about several files names them all, joined by ", ": each is shortened.
  const short = (p: string) => p.split(', ').map(one).join(', ');
  const hashW = width >= 150 ? 64 : 12;
  const pathW = Math.max(12, width - 2 - 9 - 1 - 13 - 1 - 10 - 1 - 9 - 1 - hashW - 1);
  lines.push([seg('Files', { bold: true }), seg(dir ? `  in ${dir}` : '', { dim: true })]);
  lines.push([
    seg('  '),
    seg(padEnd('path', pathW), { underline: true }),
    seg(' '),
    seg(padEnd('kind', 9), { underline: true }),
    seg(' '),
    seg(padEnd('format', 13), { underline: true }),
    seg(' '),
    seg(padStart('bytes', 10), { underline: true }),
    seg(' '),
    seg(padStart('packets', 9), { underline: true }),
    seg(' '),
    seg(padEnd('sha256', hashW), { underline: true }),
  ]);
  for (const f of a.inputs) {
    const dim = f.kind === 'ignored';
    lines.push([
      seg('  '),
      seg(padEnd(elideMiddle(short(f.path), pathW), pathW), { dim }),
      seg(' '),
      seg(padEnd(f.kind, 9), { dim, color: f.kind === 'capture' ? 'cyan' : undefined }),
      seg(' '),
      seg(padEnd(f.format, 13), { dim }),
      seg(' '),
      seg(padStart(fmtBytes(f.bytes), 10), { dim }),
      seg(' '),
      seg(padStart(f.kind === 'capture' ? fmtCount(f.packets) : '', 9), { dim }),
      seg(' '),
      seg(f.sha256.slice(0, hashW), { dim: true }),
    ]);
  }
  lines.push([]);
  lines.push([seg('Interfaces', { bold: true })]);
  lines.push([seg('  inside  ', { dim: true }), seg(a.interfaces.inside ?? 'unknown', { bold: true }), seg('   outside  ', { dim: true }), seg(a.interfaces.outside ?? 'unknown', { bold: true })]);
  for (const t of wrapText(`decided by ${a.interfaces.how}`, width - 4)) lines.push([seg('  ' + t, { dim: true })]);
  lines.push([]);
  const day = a.capture.windows.find((w) => w.first)?.first?.slice(0, 10) ?? '';
  lines.push([seg('Capture windows', { bold: true }), seg(`  ${day} UTC`, { dim: true })]);
  const iw = Math.max(7, ...a.capture.windows.map((w) => w.iface.length));
  for (const w of a.capture.windows) {
    lines.push([
      seg('  '),
      seg(padEnd(w.iface, iw), { bold: true }),
      seg(`  ${clock(w.first)} → ${clock(w.last)}`),
      seg(`  ${span(w.first, w.last).padStart(7)}  ${fmtCount(w.packets)} packets  `, { dim: true }),
      seg(elideMiddle(short(w.file), Math.max(8, width - iw - 60)), { dim: true }),
    ]);
  }
  const ov = a.capture.overlap;
  lines.push(
    ov
      ? [seg('  '), seg(padEnd('overlap', iw), { bold: true }), seg(`  ${clock(ov.first)} → ${clock(ov.last)}`, { color: 'green' }), seg(`  ${span(ov.first, ov.last).padStart(7)}  only packets inside it are judged`, { dim: true })]
      : [seg('  '), seg(padEnd('overlap', iw), { bold: true }), seg('  none: the captures do not overlap, no flow can be judged', { color: 'red', bold: true })],
  );
  const off = a.capture.clockOffsetNs;
  lines.push([
    seg('  '),
    seg(padEnd('clock', iw), { bold: true }),
    off === null
      ? seg('  offset unknown (no packet was matched across the captures)', { dim: true })
      : seg(`  ${a.interfaces.outside ?? 'outside'} runs ${durationNs(Math.abs(off))} ${off >= 0 ? 'ahead of' : 'behind'} ${a.interfaces.inside ?? 'inside'} (from matched pairs)`),
  ]);
  lines.push([]);
  lines.push([seg(`Warnings (${a.warnings.length})`, { bold: true, color: a.warnings.length > 0 ? 'yellow' : undefined })]);
  if (a.warnings.length === 0) lines.push([seg('  none', { dim: true })]);
  for (const w of a.warnings) {
    const where = w.line !== undefined ? `${w.file}:${w.line}` : w.offset !== undefined ? `${w.file} @${w.offset}` : w.file;
    const head = `${where} [${w.code}] `;
    const rows = wrapText(w.message, Math.max(20, width - 4 - head.length));
    rows.forEach((r, i) => lines.push(i === 0 ? [seg('  '), seg(where, { color: 'cyan' }), seg(` [${w.code}] `, { color: 'yellow' }), seg(r)] : [seg(' '.repeat(2 + head.length) + r)]));
  }
  return staticBody([], lines);
}
