/** A view body in a window: fixed heading lines, then the scrolled lines with the cursor's line selected. */
import { LinesPane } from './LinesPane.js';
import { clampTop, type ListState } from './list-state.js';
import type { Line } from './text-line.js';
import type { ViewBody } from './view-body.js';

export interface ScrollViewProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
  /** Lines above the body's own header (view chrome such as the filter line). */
  readonly chrome?: readonly Line[];
}

/** Lines the scrolled part gets once the chrome and the body's header are placed. */
export function scrollHeight(body: ViewBody, height: number, chrome: readonly Line[] = []): number {
  return Math.max(1, height - chrome.length - body.header.length);
}

export function ScrollView({ body, list, width, height, chrome = [] }: ScrollViewProps) {
  const h = scrollHeight(body, height, chrome);
  const top = clampTop(list.top, body.size, h);
  const lines: Line[] = [...chrome, ...body.header];
  const fixed = lines.length;
  for (let i = top; i < Math.min(body.size, top + h); i++) lines.push(body.line(i));
  const selLine = list.cursor >= 0 ? body.selectable[list.cursor] : undefined;
  const selected = selLine !== undefined && selLine >= top && selLine < top + h ? fixed + selLine - top : -1;
  return <LinesPane lines={lines} width={width} height={height} selected={selected} />;
}
