/**
 * A terminal line as styled segments. Every view builds lines as data first, so that width and height
 * are decided in one place (fitLine) and the frame never exceeds the terminal — ink clears the whole
 * screen when a frame is as tall as the terminal, which is what makes full-screen ink apps flicker.
 */

export type Tone = 'red' | 'green' | 'yellow' | 'blue' | 'cyan' | 'magenta' | 'gray' | 'white';

export interface Seg {
  readonly text: string;
  readonly color?: Tone;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
  readonly underline?: boolean;
}

export type Line = readonly Seg[];

export const ELLIPSIS = '…';

export function seg(text: string, style: Omit<Seg, 'text'> = {}): Seg {
  return { text, ...style };
}

export function plain(text: string): Line {
  return [{ text }];
}

export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}

export function lineWidth(line: Line): number {
  let n = 0;
  for (const s of line) n += s.text.length;
  return n;
}

/** Cut `text` to `width` columns, marking the cut with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return ELLIPSIS;
  return text.slice(0, width - 1) + ELLIPSIS;
}

/** Cut the middle out (keeps both ends of a path or an address pair readable). */
export function elideMiddle(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width <= 3) return truncate(text, width);
  const keepEnd = Math.floor((width - 1) / 2);
  const keepStart = width - 1 - keepEnd;
  return text.slice(0, keepStart) + ELLIPSIS + text.slice(text.length - keepEnd);
}

export function padEnd(text: string, width: number): string {
  const t = truncate(text, width);
  return t + ' '.repeat(width - t.length);
}

export function padStart(text: string, width: number): string {
  const t = truncate(text, width);
  return ' '.repeat(width - t.length) + t;
}

/** Truncate a styled line to `width` columns; the last kept segment carries the ellipsis. */
export function fitLine(line: Line, width: number): Line {
  if (lineWidth(line) <= width) return line;
  const out: Seg[] = [];
  let left = width;
  for (const s of line) {
    if (left <= 0) break;
    if (s.text.length < left) {
      out.push(s);
      left -= s.text.length;
      continue;
    }
    out.push({ ...s, text: truncate(s.text, left) });
    left = 0;
  }
  // A line that exactly fills the width but had more segments after it still needs the cut marked.
  if (lineWidth(out) === width) {
    const last = out[out.length - 1];
    if (last && !last.text.endsWith(ELLIPSIS)) out[out.length - 1] = { ...last, text: last.text.slice(0, -1) + ELLIPSIS };
  }
  return out;
}

/** Word-wrap plain text into lines of at most `width` columns (long words are cut). */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let cur = '';
    for (const word of para.split(/\s+/).filter((w) => w.length > 0)) {
      let w = word;
      while (w.length > width) {
        if (cur) {
          out.push(cur);
          cur = '';
        }
        out.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (!cur) cur = w;
      else if (cur.length + 1 + w.length <= width) cur += ' ' + w;
      else {
        out.push(cur);
        cur = w;
      }
    }
    out.push(cur);
  }
  return out;
}

/** Label column + wrapped text, continuation lines indented under the text. */
export function labelled(label: string, labelWidth: number, text: string, width: number, style: Omit<Seg, 'text'> = {}): Line[] {
  const rows = wrapText(text, Math.max(10, width - labelWidth));
  return rows.map((r, i) => [seg(i === 0 ? padEnd(label, labelWidth) : ' '.repeat(labelWidth), { dim: true }), seg(r, style)]);
}
