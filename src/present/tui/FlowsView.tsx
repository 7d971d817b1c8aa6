/** Flows: the table, with a line saying what is shown (count, sort, filter, narrowing). */
import { ScrollView } from './ScrollView.js';
import type { Line } from './text-line.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';

export { buildFlowTable, flowsChrome } from './flow-table.js';

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
