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
  /** Rules that may match listed as steps so far, and those passed over unlisted once MAX_MAY_MATCH were. */
  mayMatchListed: number;
  unlisted: number;
}

/**
 * Rules that may match listed in one walk (as steps, and in `mayMatch` those that would change its way): a
 * ruleset of 300,000 rules the parser could not model once made every flow's walk 100,000 steps long, and the
 * analysis ran out of memory. Past them, only rules that would drop the packet are listed (as many again); the rest
 * are counted, and the count is said among the walk's assumptions.
 */
export const MAX_MAY_MATCH = 64;

/** Rules one walk evaluates at most (`budget`'s start). */
export const WALK_BUDGET = 100_000;

export function assume(w: Walk, text: string): void {
  if (!w.assumptions.includes(text)) w.assumptions.push(text);
}
