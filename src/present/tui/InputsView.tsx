/** Inputs: files and hashes, capture windows, overlap, clock offset, warnings. */
import { ScrollView } from './ScrollView.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';

export { buildInputs } from './inputs-lines.js';

export interface InputsViewProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
}

export function InputsView(props: InputsViewProps) {
  return <ScrollView {...props} />;
}
