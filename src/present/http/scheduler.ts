import type { AnalyzeProgress } from '../../model/analysis.js';
import { analysisPaths } from './data-layout.js';
import type { AnalysisFailure, JobQueue } from './job-queue.js';
import type { JobRunner } from './job-runner.js';

export interface Scheduler {
  /** Look for queued work (called after an enqueue; also runs by itself after each job). */
  pump(): void;
  /** Progress of a running analysis, if it reported any. */
  progress(id: string): AnalyzeProgress | null;
  /** Stop a running analysis (it is being deleted). Resolves once its worker is gone. */
  cancel(id: string): Promise<void>;
  /**
   * Stop taking work and stop what runs. Running analyses stay `running` in the queue, so the next start runs them
   * again. Resolves when every worker is gone.
   */
  stop(): Promise<void>;
  /** Resolves when nothing runs and nothing is queued (tests, bench). */
  idle(): Promise<void>;
  running(): number;
}

interface Running {
  readonly controller: AbortController;
  done: Promise<void>;
  progress: AnalyzeProgress | null;
}

/**
 * At most `concurrency` analyses at once, taken from the queue in its order (FIFO for the in-process queue). The
 * runner does the work off the event loop; the scheduler only records outcomes.
 */
export function createScheduler(opts: { readonly queue: JobQueue; readonly runner: JobRunner; readonly dataDir: string; readonly concurrency: number; readonly log?: (line: string) => void }): Scheduler {
  const { queue, runner, dataDir } = opts;
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const running = new Map<string, Running>();
  let claiming = 0;
  const claims = new Set<Promise<unknown>>();
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  async function checkIdle(): Promise<void> {
    if (running.size > 0 || claiming > 0 || idleWaiters.length === 0) return;
    const c = await queue.counts();
    if (c.queued === 0 && running.size === 0 && claiming === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  }

  async function runOne(): Promise<boolean> {
    claiming += 1;
    let record;
    const claim = queue.claim();
    claims.add(claim);
    try {
      record = await claim;
    } finally {
      claiming -= 1;
      claims.delete(claim);
    }
    if (!record) return false;
    // Stopped while claiming: leave it `running` in the queue, so the next start runs it again.
    if (stopped) return false;
    const id = record.id;
    const paths = analysisPaths(dataDir, id);
    const controller = new AbortController();
    const entry: Running = { controller, progress: null, done: Promise.resolve() };
    running.set(id, entry);
    entry.done = (async () => {
        try {
          const outcome = await runner({ id, dir: paths.dir, inputDir: paths.input, options: record.options }, controller.signal, (p) => {
            entry.progress = p;
          });
          if (controller.signal.aborted) return;
          if (outcome.ok) await queue.complete(id, outcome.summary);
          else await queue.fail(id, outcome.error);
        } catch (e) {
          // Aborted on purpose: leave the record as it is (running → re-queued on restart, or being deleted).
          if (controller.signal.aborted) return;
          const failure: AnalysisFailure = { code: 'crashed', file: null, message: `the analysis stopped unexpectedly: ${e instanceof Error ? e.message : String(e)}` };
          opts.log?.(`analysis ${id}: ${failure.message}`);
          await queue.fail(id, failure).catch(() => false);
        } finally {
          running.delete(id);
          if (!stopped) pump();
          void checkIdle();
        }
      })();
    return true;
  }

  function pump(): void {
    if (stopped) return;
    const free = concurrency - running.size - claiming;
    for (let i = 0; i < free; i++) {
      runOne()
        .then((took) => {
          if (!took) void checkIdle();
        })
        .catch((e: unknown) => opts.log?.(`queue error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  return {
    pump,
    progress: (id) => running.get(id)?.progress ?? null,
    running: () => running.size,
    async cancel(id) {
      const r = running.get(id);
      if (!r) return;
      r.controller.abort();
      await r.done;
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([...claims]);
      const all = [...running.values()];
      for (const r of all) r.controller.abort();
      await Promise.all(all.map((r) => r.done));
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        void checkIdle();
      });
    },
  };
}
