import type { InputWarning } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import { mergeCaptures, type CaptureWindow, type MergeVisitor } from './capture-merge.js';
import { cookedInterfaceResolver } from './cooked-interface.js';
import { interfacesByMac } from './interface-by-mac.js';

/**
 * The captures read for the correlator, in time order: first which gateway interface each capture holds
 * (interface-by-mac.ts, a look at their beginning), then every packet (capture-merge.ts). One resolver
 * places Linux cooked v1 packets for both: it learns as it goes. Run on the reading thread
 * (ingest-worker.ts) or in place (correlate.ts), so that both give the same packets in the same order.
 */
export function readCaptures(
  paths: readonly string[],
  snapshot: Snapshot | null,
  options: {
    interfaceNames: ReadonlyMap<number, string>;
    onWarning: (w: InputWarning) => void;
    /** Hash the files as they are read (capture-merge.ts). */
    digestFiles?: boolean;
  },
  visitor: MergeVisitor,
): { windows: CaptureWindow[]; aliases: Map<string, string> } {
  const cooked = cookedInterfaceResolver(snapshot);
  const { aliases, merged } = interfacesByMac(paths, snapshot, { interfaceNames: options.interfaceNames, cookedInterface: cooked }, options.onWarning);
  const windows = mergeCaptures(paths, { ...options, cookedInterface: cooked, aliases, merged }, visitor);
  return { windows, aliases };
}
