import type { InputWarning } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import { mergeCaptures, type CaptureWindow, type MergeVisitor } from './capture-merge.js';
import { ClockLook } from './clock-skew.js';
import { cookedInterfaceResolver } from './cooked-interface.js';
import { interfacesByMac } from './interface-by-mac.js';

/** What the look at the captures' beginning found that the correlator uses. */
export interface CaptureLook {
  /** Interfaces whose captures showed their gateway MAC (interface-by-mac.ts; correlator.ts, isForeign). */
  readonly ownMacSeen: string[];
  /** Some capture was taken for an interface by another name: one interface may be fed twice (correlator.ts, recentMatchGap). */
  readonly sharedLink: boolean;
  /** Interfaces whose frames never carry the snapshot's MAC, and the one the gateway sends from there, -1 if none (interface-by-mac.ts, learnedMacs). */
  readonly learnedMacs: [string, number][];
}

/**
 * The captures read for the correlator, in time order: first a look at their beginning — which gateway
 * interface each capture holds (interface-by-mac.ts) and whether their clocks agree (clock-skew.ts) —
 * then every packet (capture-merge.ts). One resolver places Linux cooked v1 packets for all: it learns as it
 * goes. Run on the reading thread (ingest-worker.ts) or in place (correlate.ts), so that both give the same
 * packets in the same order.
 */
export function readCaptures(
  paths: readonly string[],
  snapshot: Snapshot | null,
  options: {
    interfaceNames: ReadonlyMap<number, string>;
    onWarning: (w: InputWarning) => void;
    /** Hash the files as they are read (capture-merge.ts). */
    digestFiles?: boolean;
    /** Told each capture's clock shift (ns to add to its timestamps) before the first packet. */
    onClockShifts?: (shifts: readonly number[]) => void;
    /** Told, before the first packet, what the look at the captures' beginning found that the correlator uses. */
    onLook?: (look: CaptureLook) => void;
    /** Files to read per interface (capture-merge.ts). */
    splitByInterface?: ReadonlyMap<number, readonly number[]>;
  },
  visitor: MergeVisitor,
): { windows: CaptureWindow[]; aliases: Map<string, string>; clockShiftNs: number[] } {
  const cooked = cookedInterfaceResolver(snapshot);
  const clocks = paths.length > 1 ? new ClockLook(paths.length) : null;
  const { aliases, merged, ownMacSeen, learnedMacs } = interfacesByMac(
    paths,
    snapshot,
    { interfaceNames: options.interfaceNames, cookedInterface: cooked, ...(options.splitByInterface ? { splitByInterface: options.splitByInterface } : {}) },
    options.onWarning,
    clocks ? (i, rec, d) => clocks.visit(i, rec, d) : undefined,
  );
  const clockShiftNs = clocks ? clocks.shifts(paths, options.onWarning) : paths.map(() => 0);
  options.onClockShifts?.(clockShiftNs);
  // A capture taken for another's interface (by MAC, or repeating it on the same link) may show its packets twice.
  options.onLook?.({ ownMacSeen: [...ownMacSeen], sharedLink: aliases.size > 0, learnedMacs: [...learnedMacs] });
  const windows = mergeCaptures(paths, { ...options, cookedInterface: cooked, aliases, merged, clockShiftNs }, visitor);
  return { windows, aliases, clockShiftNs };
}
