/** One flow: translation expected vs observed, the two interface lanes, the simulator's trace. */
import { ScrollView } from './ScrollView.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';

export { buildFlowDetail } from './flow-detail-lines.js';

export interface FlowDetailViewProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
}

export function FlowDetailView(props: FlowDetailViewProps) {
  return <ScrollView {...props} />;
}
