/**
 * The explorer once the analysis is loaded: Overview, Flows, Rules and Inputs as tabs, the flow detail
 * and the help pushed on top, the `/` filter line and a status line. State and keys live in
 * explorer-state.ts; this draws them and performs the two side effects (quit, write the reports).
 * The frame is always `rows - 1` lines tall: ink redraws a shorter frame in place, but clears the whole
 * terminal for one that fills it — the flicker this avoids.
 */
import { useEffect, useReducer, useRef } from 'react';
import { Box, useInput, type Key } from 'ink';
import type { Analysis } from '../../model/analysis.js';
import { LinesPane } from './LinesPane.js';
import { OverviewView } from './OverviewView.js';
import { FlowsView } from './FlowsView.js';
import { FlowDetailView } from './FlowDetailView.js';
import { RulesView } from './RulesView.js';
import { InputsView } from './InputsView.js';
import { HelpOverlay } from './HelpOverlay.js';
import { position } from './list-state.js';
import { seg, type Line, type Seg } from './text-line.js';
import { TOP_VIEWS, bodyHeight, current, initialState, lay, reduceKey, topOf, type ExplorerState, type Frame, type Screen, type Status, type TopView } from './explorer-state.js';
import { verdictMark } from './verdict-mark.js';

export interface ExplorerProps {
  readonly analysis: Analysis;
  readonly width: number;
  readonly height: number;
  readonly onQuit: (code: number) => void;
  /** Writes the reports and resolves with the paths written (the `e` key). */
  readonly exportReports?: () => Promise<readonly string[]>;
  readonly initial?: Screen;
}

type Msg = { readonly type: 'key'; readonly input: string; readonly key: Key; readonly frame: Frame } | { readonly type: 'status'; readonly status: Status };

function reducer(s: ExplorerState, m: Msg): ExplorerState {
  return m.type === 'key' ? reduceKey(s, m.input, m.key, m.frame) : { ...s, status: m.status };
}

const TAB_TITLE: Record<TopView, string> = { overview: 'Overview', flows: 'Flows', rules: 'Rules', inputs: 'Inputs' };

export function Explorer({ analysis, width, height, onQuit, exportReports, initial }: ExplorerProps) {
  const [state, dispatch] = useReducer(reducer, initial, initialState);
  const frame: Frame = { analysis, width: Math.max(20, width), height: Math.max(6, height) };
  // Keys read the frame through a ref so a resize between two keys is seen by the second.
  const frameRef = useRef(frame);
  frameRef.current = frame;

  useInput((input, key) => dispatch({ type: 'key', input, key, frame: frameRef.current }));

  useEffect(() => {
    if (state.quit !== null) onQuit(state.quit);
  }, [state.quit]);

  const busy = useRef(false);
  useEffect(() => {
    if (state.exportRequests === 0 || busy.current) return;
    if (!exportReports) {
      dispatch({ type: 'status', status: { text: 'reports are not available here', tone: 'yellow' } });
      return;
    }
    busy.current = true;
    dispatch({ type: 'status', status: { text: 'writing reports…', tone: 'cyan' } });
    exportReports()
      .then(
        (paths) => dispatch({ type: 'status', status: { text: `wrote ${paths.join(', ')}`, tone: 'green' } }),
        (e: unknown) => dispatch({ type: 'status', status: { text: `could not write the reports: ${(e as Error)?.message ?? String(e)}`, tone: 'red' } }),
      )
      .finally(() => {
        busy.current = false;
      });
  }, [state.exportRequests]);

  const { body, chrome, rows, list } = lay(state, frame);
  const screen = current(state);
  const W = frame.width;
  const bodyH = bodyHeight(frame.height);
  const common = { body, list, width: W, height: bodyH };
  let view;
  switch (screen.kind) {
    case 'overview':
      view = <OverviewView {...common} />;
      break;
    case 'flows':
      view = <FlowsView {...common} chrome={chrome} />;
      break;
    case 'flow':
      view = <FlowDetailView {...common} />;
      break;
    case 'rules':
      view = <RulesView {...common} />;
      break;
    case 'inputs':
      view = <InputsView {...common} />;
      break;
    case 'help':
      view = <HelpOverlay {...common} />;
      break;
  }
  return (
    <Box flexDirection="column" width={W} height={bodyH + 2}>
      <LinesPane lines={[tabBar(analysis, state, W)]} width={W} height={1} />
      {view}
      <LinesPane lines={[statusLine(state, position(list, body, rows), W)]} width={W} height={1} />
    </Box>
  );
}

function tabBar(a: Analysis, s: ExplorerState, width: number): Line {
  const cur = topOf(s);
  const screen = current(s);
  const count: Record<TopView, string> = { overview: '', flows: ` ${a.flows.length}`, rules: ` ${a.rules.length}`, inputs: ` ${a.inputs.length}` };
  const segs: Seg[] = [seg(' natlens ', { bold: true, color: 'cyan' })];
  for (const v of TOP_VIEWS) segs.push(seg(` ${TAB_TITLE[v]}${count[v]} `, v === cur ? { inverse: true, bold: true } : { dim: true }));
  if (screen.kind === 'flow') segs.push(seg(` › flow ${screen.id}`, { bold: true }));
  else if (screen.kind === 'flows' && screen.scope) segs.push(seg(` › ${screen.scope.label}`, { color: 'magenta' }));
  else if (screen.kind === 'help') segs.push(seg(' › help', { bold: true }));
  const { badge, color } = verdictMark(a);
  const padded = ` ${badge} `;
  const used = segs.reduce((n, x) => n + x.text.length, 0);
  if (used + padded.length + 1 <= width) {
    segs.push(seg(' '.repeat(width - used - padded.length)));
    segs.push(seg(padded, { color, bold: true, inverse: true }));
  }
  return segs;
}

const HINTS: Record<Screen['kind'], string> = {
  overview: '↑↓ move · Enter open · Tab views · / filter · e reports · ? help · q quit',
  flows: '↑↓ move · Enter open · / filter · s sort · c clear · Tab · ? help · q quit',
  flow: '↑↓ scroll · Esc back · Tab views · e reports · ? help · q quit',
  rules: '↑↓ move · Enter flows of a rule · Tab views · ? help · q quit',
  inputs: '↑↓ scroll · Tab views · e reports · ? help · q quit',
  help: 'Esc / ? close · q quit',
};

function statusLine(s: ExplorerState, pos: string, width: number): Line {
  const right = pos ? ` ${pos}` : '';
  let left: Seg[];
  if (s.editing !== null) left = [seg('/', { bold: true, color: 'yellow' }), seg(s.filter), seg('▏', { color: 'yellow' }), seg('   Enter keep · Esc cancel · ^U clear', { dim: true })];
  else if (s.status) left = [seg(s.status.text, { color: s.status.tone, bold: s.status.tone === 'red' })];
  else left = [seg(HINTS[current(s).kind], { dim: true })];
  const room = Math.max(0, width - right.length);
  let used = 0;
  const out: Seg[] = [];
  for (const x of left) {
    if (used >= room) break;
    // The status stays on one line; the scroll position at the right stays visible.
    const t = x.text.length > room - used ? x.text.slice(0, Math.max(0, room - used - 1)) + '…' : x.text;
    out.push({ ...x, text: t });
    used += t.length;
  }
  out.push(seg(' '.repeat(Math.max(0, room - used))));
  if (right) out.push(seg(right, { dim: true }));
  return out;
}
