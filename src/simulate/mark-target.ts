import type { PacketState } from './packet-state.js';

function num(s: string | undefined): number | null {
  if (s === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(s)) return null;
  const n = Number(s);
  return n >= 0 && n <= 0xffffffff ? n >>> 0 : null;
}

/** `value[/mask]` → [value, mask]; the mask defaults to all ones. */
function valueMask(s: string | undefined): [number, number] | null {
  if (s === undefined) return null;
  const [v, m] = s.split('/');
  const value = num(v);
  const mask = m === undefined ? 0xffffffff : num(m);
  return value === null || mask === null ? null : [value, mask];
}

function opt(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Apply `--set-xmark/--set-mark/--and-mark/--or-mark/--xor-mark` (xt_MARK semantics) to a mark value; null when not understood. */
export function markAfter(args: readonly string[], cur: number): number | null {
  let vm = valueMask(opt(args, '--set-xmark'));
  if (vm) return (((cur & ~vm[1]) ^ vm[0]) >>> 0);
  vm = valueMask(opt(args, '--set-mark'));
  // iptables turns --set-mark v/m into --set-xmark v/(m|v) (libxt_MARK.c).
  if (vm) return (((cur & ~(vm[1] | vm[0])) ^ vm[0]) >>> 0);
  let v = num(opt(args, '--and-mark'));
  if (v !== null) return (cur & v) >>> 0;
  v = num(opt(args, '--or-mark'));
  if (v !== null) return (cur | v) >>> 0;
  v = num(opt(args, '--xor-mark'));
  if (v !== null) return (cur ^ v) >>> 0;
  return null;
}

export interface MarkEffect {
  readonly note: string;
  /** The arguments could not be applied (unknown option, unknown connection mark). */
  readonly unsure: boolean;
}

/** A mark as iptables prints it: 0x1. */
export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** MARK sets the packet mark. Non-terminating (XT_CONTINUE). */
export function applyMark(args: readonly string[], s: PacketState): MarkEffect {
  const next = markAfter(args, s.mark);
  if (next === null) return { note: `MARK ${args.join(' ')}: arguments not understood; mark left at ${hex(s.mark)}`, unsure: true };
  const before = s.mark;
  s.mark = next;
  return { note: `mark ${hex(before)} → ${hex(next)}`, unsure: false };
}

/** CONNMARK sets the connection mark or copies it to/from the packet mark (xt_CONNMARK). Non-terminating. */
export function applyConnmark(args: readonly string[], s: PacketState): MarkEffect {
  if (args.includes('--save-mark')) {
    const mask = valueMask(opt(args, '--mask'))?.[0] ?? num(opt(args, '--nfmask')) ?? 0xffffffff;
    const base = s.ctmark ?? 0;
    s.ctmark = ((base & ~mask) | (s.mark & mask)) >>> 0;
    return { note: `connection mark ← packet mark: ${hex(s.ctmark)}`, unsure: false };
  }
  if (args.includes('--restore-mark')) {
    if (s.ctmark === null) return { note: 'packet mark ← connection mark, which the snapshot does not show', unsure: true };
    const mask = valueMask(opt(args, '--mask'))?.[0] ?? num(opt(args, '--ctmask')) ?? 0xffffffff;
    s.mark = ((s.mark & ~mask) | (s.ctmark & mask)) >>> 0;
    return { note: `packet mark ← connection mark: ${hex(s.mark)}`, unsure: false };
  }
  const next = markAfter(args, s.ctmark ?? 0);
  if (next === null) return { note: `CONNMARK ${args.join(' ')}: arguments not understood`, unsure: true };
  const before = s.ctmark;
  s.ctmark = next;
  return { note: `connection mark ${before === null ? 'unknown' : hex(before)} → ${hex(next)}`, unsure: false };
}
