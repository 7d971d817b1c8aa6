/**
 * Every key the explorer understands, in one table: the dispatcher and the `?` help are built from it,
 * so the help can never leave a key out.
 */
import type { Key } from 'ink';

export type Action =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'open'
  | 'back'
  | 'nextView'
  | 'prevView'
  | 'overview'
  | 'flows'
  | 'rules'
  | 'inputs'
  | 'filter'
  | 'clearFilter'
  | 'sort'
  | 'export'
  | 'help'
  | 'quit';

export interface KeyBinding {
  readonly keys: string;
  readonly action: Action;
  readonly what: string;
}

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { keys: '↑ / k', action: 'up', what: 'move up (scrolls text past the first item)' },
  { keys: '↓ / j', action: 'down', what: 'move down (scrolls text past the last item)' },
  { keys: 'PgUp / b', action: 'pageUp', what: 'page up' },
  { keys: 'PgDn / space', action: 'pageDown', what: 'page down' },
  { keys: 'Home / g', action: 'home', what: 'first line' },
  { keys: 'End / G', action: 'end', what: 'last line' },
  { keys: 'Enter / →', action: 'open', what: 'open the selected flow; on a rule or "… more", list its flows' },
  { keys: 'Esc / Backspace / ←', action: 'back', what: 'back (closes the flow detail, the help, the filter narrowing)' },
  { keys: 'Tab / Shift-Tab', action: 'nextView', what: 'next / previous view: Overview, Flows, Rules, Inputs' },
  { keys: '1 2 3 4', action: 'overview', what: 'jump to Overview / Flows / Rules / Inputs' },
  { keys: '/', action: 'filter', what: 'filter flows: address, port, protocol, disposition, interface; !term excludes' },
  { keys: 'c', action: 'clearFilter', what: 'clear the filter and the finding/rule narrowing' },
  { keys: 's', action: 'sort', what: 'cycle the flow sort: disposition, first seen, proto, source, destination, packets, loss, latency' },
  { keys: 'e', action: 'export', what: 'write the reports: HTML, Markdown and an evidence pcapng' },
  { keys: '?', action: 'help', what: 'this help' },
  { keys: 'q / Ctrl-C', action: 'quit', what: 'quit (exit code 0)' },
];

/** Map one keypress in normal mode to an action. */
export function actionFor(input: string, key: Key): Action | null {
  if (key.ctrl && input === 'c') return 'quit';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.pageUp) return 'pageUp';
  if (key.pageDown) return 'pageDown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'open';
  if (key.tab) return key.shift ? 'prevView' : 'nextView';
  // Terminals send DEL (0x7f) for Backspace, which ink reports as `delete`.
  if (key.escape || key.backspace || key.delete) return 'back';
  if (key.rightArrow) return 'open';
  if (key.leftArrow) return 'back';
  switch (input) {
    case 'k':
      return 'up';
    case 'j':
      return 'down';
    case ' ':
      return 'pageDown';
    case 'b':
      return 'pageUp';
    case 'g':
      return 'home';
    case 'G':
      return 'end';
    case '1':
      return 'overview';
    case '2':
      return 'flows';
    case '3':
      return 'rules';
    case '4':
      return 'inputs';
    case '/':
      return 'filter';
    case 'c':
      return 'clearFilter';
    case 's':
      return 'sort';
    case 'e':
      return 'export';
    case '?':
      return 'help';
    case 'q':
      return 'quit';
    default:
      return null;
  }
}
