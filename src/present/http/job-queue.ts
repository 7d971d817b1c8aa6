/**
 * The queue of analyses, behind a small interface so the in-process one (file-job-queue.ts) can be replaced by a
 * shared queue on an existing engine — e.g. BullMQ on Redis with workers on several machines — without touching the
 * HTTP routes or the scheduler. See docs/serve.md for that path.
 *
 * The state machine: enqueue → queued; claim → running; complete → done | fail → failed. A running analysis whose
 * process died stays `running` in storage and goes back to `queued` when the queue is opened again.
 */

export type AnalysisStatus = 'queued' | 'running' | 'done' | 'failed';

/** Why an analysis failed, as data. `file` is relative to the upload (never a server path). */
export interface AnalysisFailure {
  /** InputError code (`not-a-capture`, `no-captures`, …), or `internal` / `crashed` for our own faults. */
  readonly code: string;
  readonly file: string | null;
  readonly offset?: number;
  readonly line?: number;
  /** One line naming the file: `upload/eth0.pcap (byte offset 0): not a pcap or pcapng file [not-a-capture]`. */
  readonly message: string;
}

/** A file the user sent, as received. */
export interface UploadedFile {
  /** The stored (sanitised) name. */
  readonly name: string;
  readonly bytes: number;
  /** An archive is extracted into a folder of its own; `files` counts what it held. */
  readonly archive: { readonly files: number; readonly bytes: number } | null;
}

/** The short outcome kept beside the full result, for lists. */
export interface AnalysisSummary {
  readonly verdict: 'ok' | 'packets-stop';
  readonly sentence: string;
  readonly flows: number;
  readonly findings: number;
  /** Check id of the first (most important) finding. */
  readonly topCheck: string | null;
  readonly evidencePackets: number;
}

export interface AnalysisOptionsIn {
  readonly inside?: string;
  readonly outside?: string;
}

export interface AnalysisRecord {
  readonly id: string;
  readonly status: AnalysisStatus;
  /** ISO-8601, wall clock of the server (this is service bookkeeping, not analysis output). */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** How many times a worker took it (more than 1 after a restart interrupted it). */
  readonly attempts: number;
  readonly uploads: readonly UploadedFile[];
  readonly options: AnalysisOptionsIn;
  readonly summary: AnalysisSummary | null;
  readonly error: AnalysisFailure | null;
}

export interface NewAnalysis {
  readonly id: string;
  readonly uploads: readonly UploadedFile[];
  readonly options: AnalysisOptionsIn;
}

export interface JobQueue {
  /** Add a new analysis at the back of the queue (its files are already in place). */
  enqueue(job: NewAnalysis): Promise<AnalysisRecord>;
  /** Take the oldest queued analysis and mark it running; null when nothing waits. */
  claim(): Promise<AnalysisRecord | null>;
  /** Mark a running analysis done. False when it no longer exists (deleted meanwhile). */
  complete(id: string, summary: AnalysisSummary): Promise<boolean>;
  /** Mark a running analysis failed. False when it no longer exists. */
  fail(id: string, error: AnalysisFailure): Promise<boolean>;
  get(id: string): Promise<AnalysisRecord | null>;
  /** Newest first. */
  list(): Promise<readonly AnalysisRecord[]>;
  /** Forget an analysis (whatever its state); returns what it was, or null. */
  remove(id: string): Promise<AnalysisRecord | null>;
  /** Counts per status, for /healthz. */
  counts(): Promise<Readonly<Record<AnalysisStatus, number>>>;
}
