import type { MayMatch, NatRewrite, TraceStep } from '../model/trace.js';
import type { HostView } from './host-view.js';
import type { PacketState } from './packet-state.js';

/**
 * The accumulator of one `simulate` call: the packet being rewritten and the trace being written.
 * Created and dropped inside that call; nothing outlives it.
 */
export interface Walk {
  readonly view: HostView;
  readonly s: PacketState;
  readonly steps: TraceStep[];
  readonly rewrites: NatRewrite[];
  readonly mayMatch: MayMatch[];
  readonly assumptions: string[];
  unsure: boolean;
  portsMayChange: boolean;
  /** Known once routing decided; MASQUERADE needs it. */
  nextHop: number | null;
  /** Rules left to evaluate before the walk is declared looping (goto cycles evade the stack check). */
  budget: number;
}

export function assume(w: Walk, text: string): void {
  if (!w.assumptions.includes(text)) w.assumptions.push(text);
}
