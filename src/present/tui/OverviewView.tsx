/** Overview: the verdict, ranked findings with check id and confidence, key evidence, the fix, affected flows. */
import { ScrollView } from './ScrollView.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';

export { buildOverview } from './overview-lines.js';

export interface OverviewViewProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
}

export function OverviewView(props: OverviewViewProps) {
  return <ScrollView {...props} />;
}
