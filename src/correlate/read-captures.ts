import type { InputWarning } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import { mergeCaptures, type CaptureWindow, type MergeVisitor } from './capture-merge.js';
import { ClockLook } from './clock-skew.js';
import { cookedInterfaceResolver } from './cooked-interface.js';
import { interfacesByMac } from './interface-by-mac.js';

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
    /** Told, before the first packet, which interfaces' captures showed their gateway MAC (interface-by-mac.ts). */
    onOwnMacSeen?: (ifaces: readonly string[]) => void;
  },
  visitor: MergeVisitor,
): { windows: CaptureWindow[]; aliases: Map<string, string>; clockShiftNs: number[] } {
  const cooked = cookedInterfaceResolver(snapshot);
  const clocks = paths.length > 1 ? new ClockLook(paths.length) : null;
  const { aliases, merged, ownMacSeen } = interfacesByMac(paths, snapshot, { interfaceNames: options.interfaceNames, cookedInterface: cooked }, options.onWarning, clocks ? (i, rec, d) => clocks.visit(i, rec, d) : undefined);
  const clockShiftNs = clocks ? clocks.shifts(paths, options.onWarning) : paths.map(() => 0);
  options.onClockShifts?.(clockShiftNs);
  options.onOwnMacSeen?.([...ownMacSeen]);
  const windows = mergeCaptures(paths, { ...options, cookedInterface: cooked, aliases, merged, clockShiftNs }, visitor);
  return { windows, aliases, clockShiftNs };
}
