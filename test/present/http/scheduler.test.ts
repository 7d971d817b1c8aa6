import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../../src/present/http/scheduler.js';
import type { AnalysisRecord, JobQueue } from '../../../src/present/http/job-queue.js';
import type { JobRunner } from '../../../src/present/http/job-runner.js';

const ID = (n: number): string => n.toString(16).padStart(20, '0');

/** A queue in memory whose claim can be held, to stop the scheduler in the middle of one. */
function memoryQueue(ids: string[], claimDelayMs = 0) {
  const done: string[] = [];
  const failed: string[] = [];
  const record = (id: string, status: AnalysisRecord['status']): AnalysisRecord => ({ id, status, createdAt: '', startedAt: null, finishedAt: null, attempts: 1, uploads: [], options: {}, summary: null, error: null });
  const q: JobQueue = {
    enqueue: async () => {
      throw new Error('unused');
    },
    claim: async () => {
      await new Promise((r) => setTimeout(r, claimDelayMs));
      const id = ids.shift();
      return id ? record(id, 'running') : null;
    },
    complete: async (id) => (done.push(id), true),
    fail: async (id) => (failed.push(id), true),
    get: async () => null,
    list: async () => [],
    remove: async () => null,
    counts: async () => ({ queued: ids.length, running: 0, done: done.length, failed: failed.length }),
  };
  return { q, done, failed };
}

const ok: JobRunner = async () => ({ ok: true, summary: { verdict: 'ok', sentence: '', flows: 0, findings: 0, topCheck: null, evidencePackets: 0 } });

describe('createScheduler', () => {
  it('runs everything with at most `concurrency` at once and records outcomes', async () => {
    const { q, done, failed } = memoryQueue([ID(1), ID(2), ID(3), ID(4)]);
    let now = 0;
    let max = 0;
    const runner: JobRunner = async (job) => {
      max = Math.max(max, ++now);
      await new Promise((r) => setTimeout(r, 20));
      now--;
      if (job.id === ID(3)) throw new Error('worker died');
      return ok(job, new AbortController().signal, () => undefined);
    };
    const s = createScheduler({ queue: q, runner, dataDir: '/data', concurrency: 2 });
    const idle = s.idle();
    s.pump();
    await idle;
    expect(max).toBe(2);
    expect(done.sort()).toEqual([ID(1), ID(2), ID(4)]);
    expect(failed).toEqual([ID(3)]);
  });

  it('does not start what it claimed after being stopped', async () => {
    const { q, done } = memoryQueue([ID(1)], 50);
    const started: string[] = [];
    const s = createScheduler({
      queue: q,
      runner: async (job, signal, onProgress) => {
        started.push(job.id);
        return ok(job, signal, onProgress);
      },
      dataDir: '/data',
      concurrency: 1,
    });
    s.pump();
    await s.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(started).toEqual([]);
    expect(done).toEqual([]);
  });
});
