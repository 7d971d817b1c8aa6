/** Rules: tables and chains as a tree with counters and the flows each rule caught. */
import { ScrollView } from './ScrollView.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';

export { buildRuleTree } from './rule-tree.js';

export interface RulesViewProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
}

export function RulesView(props: RulesViewProps) {
  return <ScrollView {...props} />;
}
