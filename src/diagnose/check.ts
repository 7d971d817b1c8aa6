import type { CheckId, Evidence, Finding, Severity } from '../model/analysis.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Correlation } from '../correlate/correlate.js';
import type { AssembledFlow } from '../correlate/flow-assembly.js';

/** What every check reads: the correlation, the snapshot, and helpers that turn facts into evidence. */
export interface CheckContext {
  readonly correlation: Correlation;
  readonly snapshot: Snapshot | null;
  readonly flows: readonly AssembledFlow[];
  /** Capture file paths, by file index. */
  readonly files: readonly string[];
  readonly ifaceName: (i: number) => string;
  readonly ifaceIndex: (name: string) => number;
}

/**
 * One diagnosis unit, typescript-eslint style: the file name is the check id, its metadata sits beside
 * the detection, and `run` returns findings as data (wording lives in the finding's title/detail only).
 */
export interface Check {
  readonly id: CheckId;
  /** One line for the docs: what the check recognises. */
  readonly description: string;
  /** A root cause ranks before the symptoms it explains when severities tie. */
  readonly rank: number;
  readonly run: (ctx: CheckContext) => Finding[];
  /**
   * Flows that stopped at the gateway although the snapshot's rules and sysctls would forward them, and that
   * no finding explains: a check may name itself their cause — confirmed only by state outside the simulated
   * path (a conntrack table at its limit), else likely or possible. The runner asks the checks in order, once,
   * after every check ran, and takes the first that answers, so that such stops are never reported as none.
   */
  readonly unexplained?: (ctx: CheckContext, flows: readonly AssembledFlow[]) => Finding[];
}

export function finding(
  check: CheckId,
  severity: Severity,
  confidence: Finding['confidence'],
  title: string,
  detail: string,
  evidence: Evidence[],
  fix: string[],
  flows: readonly AssembledFlow[],
): Finding {
  return { check, severity, confidence, title, detail, evidence, fix, flows: flows.map((f) => f.id) };
}
