/** Flows: the table, with a line saying what is shown (count, sort, filter, narrowing). */
import { ScrollView } from './ScrollView.js';
import { seg, type Line, type Seg } from './text-line.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';
import type { FlowQuery } from './flow-table.js';

export { buildFlowTable } from './flow-table.js';

export function flowsChrome(shown: number, total: number, q: FlowQuery, editing: boolean): Line[] {
  const l: Seg[] = [seg(`${shown} of ${total} flows`, { bold: true }), seg(` · sort ${q.sort}`, { dim: true })];
  if (q.scope) l.push(seg(' · '), seg(q.scope.label, { color: 'magenta' }));
  if (q.filter || editing) l.push(seg(' · filter '), seg(q.filter || '…', { color: 'yellow', bold: true }));
  if (shown === 0 && total > 0) l.push(seg('  (nothing matches — c clears)', { color: 'yellow' }));
  else l.push(seg('   * expected by the rules, nothing seen leaving', { dim: true }));
  return [l];
}

export interface FlowsViewProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
  readonly chrome: readonly Line[];
}

export function FlowsView(props: FlowsViewProps) {
  return <ScrollView {...props} />;
}
