import type { InputWarning } from '../model/errors.js';

/** What a format reader needs besides its bytes: where to report, and names for SLL2 interface indexes. */
export interface ReaderContext {
  /** Path as given by the user ('-' for stdin): goes into every record, warning and error. */
  readonly file: string;
  readonly onWarning: (w: InputWarning) => void;
  /** ifindex → name (from an `ip addr` snapshot), used for LINUX_SLL2 records; null when none was given. */
  readonly interfaceNames: ReadonlyMap<number, string> | null;
}
