/** Colours carry meaning: red where packets stop, yellow where some do, green where they pass. */
import type { Confidence, FlowDisposition, Severity } from '../../model/analysis.js';
import type { Tone } from './text-line.js';

export function dispositionTone(d: FlowDisposition | string): Tone {
  switch (d) {
    case 'delivered':
      return 'green';
    case 'partial':
      return 'yellow';
    case 'local':
    case 'outside-capture':
      return 'gray';
    default:
      return 'red';
  }
}

export function severityTone(s: Severity): Tone {
  return s === 'error' ? 'red' : s === 'warning' ? 'yellow' : 'cyan';
}

export function confidenceTone(c: Confidence): Tone {
  return c === 'confirmed' ? 'green' : c === 'likely' ? 'yellow' : 'gray';
}
