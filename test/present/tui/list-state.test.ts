import { describe, expect, it } from 'vitest';
import { INITIAL_LIST, end, home, move, normalise, position } from '../../../src/present/tui/list-state.js';

describe('list state', () => {
  const shape = { size: 40, selectable: [5, 6, 7, 30] };

  it('selects the first item at once only when it is on the first screen', () => {
    expect(normalise(INITIAL_LIST, shape, 10).cursor).toBe(0);
    expect(normalise(INITIAL_LIST, { size: 40, selectable: [25] }, 10).cursor).toBe(-1);
    expect(normalise(INITIAL_LIST, { size: 4, selectable: [] }, 10).cursor).toBe(-1);
  });

  it('down from nothing selects the first item and brings it into sight', () => {
    const s = move({ cursor: -1, top: 0 }, { size: 40, selectable: [25, 26] }, 10, 1);
    expect(s).toEqual({ cursor: 0, top: 16 });
  });

  it('keeps the cursor in the window, then scrolls past the last item', () => {
    let s = normalise(INITIAL_LIST, shape, 10);
    s = move(s, shape, 10, 1);
    s = move(s, shape, 10, 1);
    expect(s.cursor).toBe(2);
    s = move(s, shape, 10, 1);
    expect(s).toEqual({ cursor: 3, top: 21 });
    s = move(s, shape, 10, 1);
    expect(s).toEqual({ cursor: 3, top: 22 });
    for (let i = 0; i < 50; i++) s = move(s, shape, 10, 1);
    expect(s.top).toBe(30);
    expect(position(s, shape, 10)).toBe('4/4 ↑');
  });

  it('moving up to the first item shows the heading above it', () => {
    const s = move({ cursor: 1, top: 6 }, shape, 10, -1);
    expect(s).toEqual({ cursor: 0, top: 0 });
  });

  it('home and end, and a text position without items', () => {
    expect(home(shape, 10)).toEqual({ cursor: 0, top: 0 });
    expect(end(shape, 10)).toEqual({ cursor: 3, top: 30 });
    const text = { size: 45, selectable: [] };
    expect(position(move(INITIAL_LIST, text, 21, 21), text, 21)).toBe('22–42/45 ↑↓');
  });

  it('clamps after the list shrinks (a filter) or the window grows (a resize)', () => {
    expect(normalise({ cursor: 9, top: 35 }, { size: 12, selectable: [0, 1, 2] }, 10)).toEqual({ cursor: 2, top: 2 });
  });
});
