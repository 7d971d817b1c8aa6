/** `?`: the help, drawn like any other view (it scrolls on a small terminal). */
import { ScrollView } from './ScrollView.js';
import type { ListState } from './list-state.js';
import type { ViewBody } from './view-body.js';

export { buildHelp } from './help-lines.js';

export interface HelpOverlayProps {
  readonly body: ViewBody;
  readonly list: ListState;
  readonly width: number;
  readonly height: number;
}

export function HelpOverlay(props: HelpOverlayProps) {
  return <ScrollView {...props} />;
}
