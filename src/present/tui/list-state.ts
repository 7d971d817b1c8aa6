/**
 * Cursor and scroll position of one view, as plain data with pure transitions. A view is a list of
 * lines of which some can be selected (a flow row, a rule); the window follows the cursor, and past the
 * first/last selectable line the arrows keep scrolling so that text below the last item is reachable.
 */

export interface ListState {
  /**
   * Index into the view's selectable lines; -1 when none is selected: a view opens with its first item
   * selected only when that item is on the first screen (the Overview's flows may be further down, and a
   * selection out of sight would make Enter open something the user cannot see).
   */
  readonly cursor: number;
  /** First visible line. */
  readonly top: number;
}

export const INITIAL_LIST: ListState = { cursor: -2, top: 0 };

/** -2: not yet decided (set on first layout); -1: nothing selected. */
const UNDECIDED = -2;

export interface ListShape {
  /** Number of scrollable lines. */
  readonly size: number;
  /** Line index of each selectable item, ascending. */
  readonly selectable: readonly number[];
}

export function clampTop(top: number, size: number, height: number): number {
  return Math.max(0, Math.min(top, size - height));
}

function show(top: number, line: number, height: number): number {
  if (line < top) return line;
  if (line >= top + height) return line - height + 1;
  return top;
}

/** Normalise after the content or the height changed (resize, new filter). */
export function normalise(s: ListState, shape: ListShape, height: number): ListState {
  const n = shape.selectable.length;
  const top = clampTop(s.top, shape.size, height);
  let cursor: number;
  if (n === 0) cursor = -1;
  else if (s.cursor === UNDECIDED) cursor = shape.selectable[0]! < top + height ? 0 : -1;
  else cursor = s.cursor < 0 ? -1 : Math.min(s.cursor, n - 1);
  return { cursor, top };
}

/** Move by `delta` items (arrows: ±1, page keys: ±height). */
export function move(s0: ListState, shape: ListShape, height: number, delta: number): ListState {
  const s = normalise(s0, shape, height);
  const n = shape.selectable.length;
  if (n === 0) return { cursor: -1, top: clampTop(s.top + delta, shape.size, height) };
  if (s.cursor < 0) {
    // Nothing selected yet: down selects the first item (bringing it into sight), up scrolls.
    if (delta < 0) return { cursor: -1, top: clampTop(s.top + delta, shape.size, height) };
    return { cursor: 0, top: clampTop(show(s.top, shape.selectable[0]!, height), shape.size, height) };
  }
  const line = shape.selectable[s.cursor]!;
  const visible = line >= s.top && line < s.top + height;
  // The cursor scrolled out of sight by free scrolling: first bring it back.
  const target = Math.max(0, Math.min(n - 1, s.cursor + delta));
  if (target === s.cursor && visible) {
    // At the first/last item: scroll the text around it instead.
    return { cursor: s.cursor, top: clampTop(s.top + delta, shape.size, height) };
  }
  const tl = shape.selectable[target]!;
  let top = show(s.top, tl, height);
  // Moving up to the first item also reveals whatever is above it (the view's heading).
  if (target === 0 && delta < 0) top = 0;
  return { cursor: target, top: clampTop(top, shape.size, height) };
}

export function home(shape: ListShape, height: number): ListState {
  return normalise({ cursor: 0, top: 0 }, shape, height);
}

export function end(shape: ListShape, height: number): ListState {
  const n = shape.selectable.length;
  return { cursor: n - 1, top: clampTop(shape.size - height, shape.size, height) };
}

/** Human position: `7/40` for lists, `lines 1–21 of 45` for text. */
export function position(s: ListState, shape: ListShape, height: number): string {
  const n = shape.selectable.length;
  const top = clampTop(s.top, shape.size, height);
  const last = Math.min(shape.size, top + height);
  const more = `${top > 0 ? '↑' : ' '}${last < shape.size ? '↓' : ' '}`;
  if (n > 1 && s.cursor >= 0) return `${s.cursor + 1}/${n} ${more}`.trimEnd();
  if (shape.size <= height) return '';
  return `${top + 1}–${last}/${shape.size} ${more}`.trimEnd();
}
