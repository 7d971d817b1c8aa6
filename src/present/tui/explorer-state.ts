/**
 * The explorer's state and what each key does to it, as a pure reducer. Keys are applied to the latest
 * state, never to a render's snapshot of it: a fast typist (or a paste) delivers several keys before
 * React re-renders, and `/tcp` must not lose its `t`.
 */
import type { Key } from 'ink';
import type { Analysis } from '../../model/analysis.js';
import { actionFor } from './keymap.js';
import { INITIAL_LIST, end, home, move, normalise, type ListState } from './list-state.js';
import { nextSortKey, buildFlowTable, flowsChrome, type FlowQuery, type SortKey } from './flow-table.js';
import { buildOverview } from './overview-lines.js';
import { buildFlowDetail } from './flow-detail-lines.js';
import { buildRuleTree } from './rule-tree.js';
import { buildInputs } from './inputs-lines.js';
import { buildHelp } from './help-lines.js';
import { seg, type Line, type Tone } from './text-line.js';
import { staticBody, type OpenTarget, type ViewBody } from './view-body.js';

export type TopView = 'overview' | 'flows' | 'rules' | 'inputs';
export const TOP_VIEWS: readonly TopView[] = ['overview', 'flows', 'rules', 'inputs'];

export type Screen =
  | { readonly kind: 'overview' | 'rules' | 'inputs' | 'help' }
  | { readonly kind: 'flows'; readonly scope: FlowQuery['scope'] }
  | { readonly kind: 'flow'; readonly id: string };

export interface Status {
  readonly text: string;
  readonly tone: Tone;
}

export interface ExplorerState {
  readonly stack: readonly Screen[];
  readonly lists: Readonly<Record<string, ListState>>;
  readonly sort: SortKey;
  readonly filter: string;
  /** Non-null while the `/` line is edited: the filter to restore on Esc. */
  readonly editing: string | null;
  readonly status: Status | null;
  /** Set by `q`: the exit code the component hands on. */
  readonly quit: number | null;
  /** Bumped by `e`: the component writes the reports when it changes. */
  readonly exportRequests: number;
}

/** What the reducer needs besides the state: the analysis and the frame size. */
export interface Frame {
  readonly analysis: Analysis;
  readonly width: number;
  readonly height: number;
}

export function initialState(initial?: Screen): ExplorerState {
  const stack: Screen[] = !initial ? [{ kind: 'overview' }] : initial.kind === 'flow' || initial.kind === 'help' ? [{ kind: 'overview' }, initial] : [initial];
  return { stack, lists: {}, sort: 'disposition', filter: '', editing: null, status: null, quit: null, exportRequests: 0 };
}

export function current(s: ExplorerState): Screen {
  return s.stack[s.stack.length - 1]!;
}

export function topOf(s: ExplorerState): TopView {
  const k = s.stack[0]!.kind;
  return (TOP_VIEWS as readonly string[]).includes(k) ? (k as TopView) : 'overview';
}

function screenFor(v: TopView): Screen {
  return v === 'flows' ? { kind: 'flows', scope: null } : { kind: v };
}

export function listKey(s: Screen): string {
  switch (s.kind) {
    case 'flow':
      return `flow:${s.id}`;
    case 'flows':
      return s.scope ? `flows:${s.scope.label}` : 'flows';
    default:
      return s.kind;
  }
}

/** The layout of one frame: the tab bar, the body, the status line and one spare row. */
export function bodyHeight(height: number): number {
  return Math.max(3, height - 3);
}

export interface Laid {
  readonly body: ViewBody;
  readonly chrome: readonly Line[];
  /** Rows of the scrolled part. */
  readonly rows: number;
  readonly list: ListState;
}

let memo: { key: unknown[]; body: ViewBody } | null = null;

/** The current screen's body (memoised: sorting 100k flows on every keypress would lag). */
export function bodyFor(s: ExplorerState, f: Frame): ViewBody {
  const screen = current(s);
  const key = [f.analysis, screen, s.sort, s.filter, f.width];
  if (memo && memo.key.length === key.length && memo.key.every((k, i) => k === key[i])) return memo.body;
  const a = f.analysis;
  let body: ViewBody;
  switch (screen.kind) {
    case 'overview':
      body = buildOverview(a, f.width);
      break;
    case 'flows':
      body = buildFlowTable(a.flows, { sort: s.sort, filter: s.filter, scope: screen.scope }, f.width);
      break;
    case 'flow': {
      const flow = a.flows.find((x) => x.id === screen.id);
      body = flow ? buildFlowDetail(a, flow, f.width) : staticBody([], [[seg(`flow ${screen.id} is not in this analysis`, { color: 'red' })]]);
      break;
    }
    case 'rules':
      body = buildRuleTree(a, f.width);
      break;
    case 'inputs':
      body = buildInputs(a, f.width);
      break;
    case 'help':
      body = buildHelp(f.width);
      break;
  }
  memo = { key, body };
  return body;
}

export function lay(s: ExplorerState, f: Frame): Laid {
  const body = bodyFor(s, f);
  const screen = current(s);
  const q: FlowQuery = { sort: s.sort, filter: s.filter, scope: screen.kind === 'flows' ? screen.scope : null };
  const chrome = screen.kind === 'flows' ? flowsChrome(body.size, f.analysis.flows.length, q, s.editing !== null) : [];
  const rows = Math.max(1, bodyHeight(f.height) - chrome.length - body.header.length);
  const list = normalise(s.lists[listKey(screen)] ?? INITIAL_LIST, body, rows);
  return { body, chrome, rows, list };
}

function withList(s: ExplorerState, l: ListState): ExplorerState {
  return { ...s, lists: { ...s.lists, [listKey(current(s))]: l } };
}

function open(s: ExplorerState, t: OpenTarget | null): ExplorerState {
  if (!t) return s;
  const next: Screen = t.kind === 'flow' ? { kind: 'flow', id: t.id } : { kind: 'flows', scope: { label: t.label, ids: t.ids } };
  // A fresh cursor for a narrowed list each time it is opened.
  const lists = next.kind === 'flows' ? { ...s.lists, [listKey(next)]: INITIAL_LIST } : s.lists;
  return { ...s, lists, stack: [...s.stack, next] };
}

function editFilter(s: ExplorerState, input: string, k: Key): ExplorerState {
  if (k.return) return { ...s, editing: null };
  if (k.escape) return { ...s, filter: s.editing ?? '', editing: null };
  if (k.ctrl && input === 'c') return { ...s, quit: 0 };
  if (k.backspace || k.delete) return { ...s, filter: s.filter.slice(0, -1) };
  if (k.ctrl && input === 'u') return { ...s, filter: '' };
  if (!input || k.ctrl || k.meta || k.tab || k.upArrow || k.downArrow || k.leftArrow || k.rightArrow) return s;
  return { ...s, filter: s.filter + input.replace(/[\r\n\t\x00-\x1f]/g, '') };
}

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/** The keys a chunk of typed text can hold besides printable characters. */
function keyOfChar(ch: string): Key {
  switch (ch) {
    case '\r':
    case '\n':
      return { ...NO_KEY, return: true };
    case '\t':
      return { ...NO_KEY, tab: true };
    case '\x7f':
    case '\b':
      return { ...NO_KEY, backspace: true };
    case '\x1b':
      return { ...NO_KEY, escape: true };
    default:
      return NO_KEY;
  }
}

export function reduceKey(s0: ExplorerState, input: string, k: Key, f: Frame): ExplorerState {
  if (s0.quit !== null) return s0;
  if (s0.editing !== null) return editFilter(s0, input, k);
  // Keys typed faster than the terminal is read arrive as one chunk ("jj", or "/tcp" pasted): apply
  // them one by one (the rest of a chunk goes to the filter line once `/` opened it).
  if (input.length > 1 && !k.ctrl && !k.meta) {
    let s = s0;
    for (const ch of input) {
      const key = keyOfChar(ch);
      const text = key === NO_KEY ? ch : '';
      s = s.editing !== null ? editFilter(s, text, key) : reduceKey(s, text, key, f);
    }
    return s;
  }
  const action = actionFor(input, k);
  if (!action) return s0;
  const s = action === 'export' ? s0 : { ...s0, status: null };
  const screen = current(s);
  const { body, rows, list } = lay(s, f);
  switch (action) {
    case 'quit':
      return { ...s, quit: 0 };
    case 'up':
      return withList(s, move(list, body, rows, -1));
    case 'down':
      return withList(s, move(list, body, rows, 1));
    case 'pageUp':
      return withList(s, move(list, body, rows, -rows));
    case 'pageDown':
      return withList(s, move(list, body, rows, rows));
    case 'home':
      return withList(s, home(body, rows));
    case 'end':
      return withList(s, end(body, rows));
    case 'open':
      return open(s, list.cursor >= 0 ? body.open(list.cursor) : null);
    case 'back':
      return s.stack.length > 1 ? { ...s, stack: s.stack.slice(0, -1) } : s;
    case 'nextView':
    case 'prevView': {
      const i = TOP_VIEWS.indexOf(topOf(s));
      const n = TOP_VIEWS.length;
      return { ...s, stack: [screenFor(TOP_VIEWS[(i + (action === 'nextView' ? 1 : n - 1)) % n]!)] };
    }
    case 'overview':
    case 'flows':
    case 'rules':
    case 'inputs':
      return { ...s, stack: [screenFor(action)] };
    case 'help':
      return screen.kind === 'help' ? { ...s, stack: s.stack.slice(0, -1) } : { ...s, stack: [...s.stack, { kind: 'help' }] };
    case 'filter': {
      const stack = screen.kind === 'flows' ? s.stack : [screenFor('flows')];
      return { ...s, stack, editing: s.filter };
    }
    case 'clearFilter': {
      const stack = screen.kind === 'flows' && screen.scope ? [...s.stack.slice(0, -1), { kind: 'flows', scope: null } as Screen] : s.stack;
      return { ...s, filter: '', stack };
    }
    case 'sort': {
      const sort = nextSortKey(s.sort);
      return { ...s, sort, status: screen.kind === 'flows' ? null : { text: `flows sorted by ${sort}`, tone: 'cyan' } };
    }
    case 'export':
      return { ...s, exportRequests: s.exportRequests + 1 };
  }
}
