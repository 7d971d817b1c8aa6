/** Where a parsed item came from: every rule, sysctl, route… keeps its file and line. */
export interface SourceRef {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
}

export interface Counters {
  readonly packets: number;
  readonly bytes: number;
}
