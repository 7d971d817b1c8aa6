/** What every view hands to the pane that draws it: fixed heading lines, scrollable lines, what Enter opens. */
import type { Line } from './text-line.js';
import type { ListShape } from './list-state.js';

/** Where Enter leads. */
export type OpenTarget =
  | { readonly kind: 'flow'; readonly id: string }
  /** The Flows view narrowed to a set of flows (a finding's, a rule's). */
  | { readonly kind: 'flows'; readonly label: string; readonly ids: readonly string[] };

export interface ViewBody extends ListShape {
  /** Lines that stay on top while the rest scrolls (table headings). */
  readonly header: readonly Line[];
  /** Build line i (only visible lines are built: a flow table may hold 100k rows). */
  line(i: number): Line;
  /** Enter on selectable item k. */
  open(k: number): OpenTarget | null;
}

export function staticBody(header: readonly Line[], lines: readonly Line[], selectable: readonly number[] = [], targets: readonly (OpenTarget | null)[] = []): ViewBody {
  return {
    header,
    size: lines.length,
    selectable,
    line: (i) => lines[i] ?? [],
    open: (k) => targets[k] ?? null,
  };
}
