import type { Analysis } from '../../model/analysis.js';
import { headline } from '../report-facts.js';

/** The verdict as the terminal shows it: packets stop (red), not judged (yellow), ok (green). */
export function verdictMark(a: Analysis): { readonly badge: string; readonly color: 'red' | 'yellow' | 'green' } {
  const h = headline(a);
  if (h.kind === 'stop') return { badge: '✖ packets stop', color: 'red' };
  if (h.kind === 'unjudged') return { badge: '? not judged', color: 'yellow' };
  return { badge: '✔ ok', color: 'green' };
}
