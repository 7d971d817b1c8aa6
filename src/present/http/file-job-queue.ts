import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isAnalysisId } from './analysis-id.js';
import { writeFileAtomic } from './atomic-file.js';
import { analysesRoot, analysisPaths, stagingRoot } from './data-layout.js';
import type { AnalysisFailure, AnalysisRecord, AnalysisStatus, AnalysisSummary, JobQueue, NewAnalysis } from './job-queue.js';

const STATUSES: readonly AnalysisStatus[] = ['queued', 'running', 'done', 'failed'];

/** What opening the data folder found that it could not use (reported by `natlens serve`, never fatal). */
export interface QueueRecovery {
  /** Analyses that were queued or running when the last process stopped, queued again in their old order. */
  readonly requeued: readonly string[];
  /** Folders removed: uploads that never finished, hand-overs without meta.json. */
  readonly removed: readonly string[];
  /** meta.json files that could not be read (left in place for a human to look at). */
  readonly unreadable: readonly string[];
}

export interface FileJobQueue extends JobQueue {
  readonly recovery: QueueRecovery;
}

function isRecord(v: unknown): v is AnalysisRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    isAnalysisId(r.id) &&
    typeof r.status === 'string' &&
    (STATUSES as readonly string[]).includes(r.status) &&
    typeof r.createdAt === 'string' &&
    Array.isArray(r.uploads)
  );
}

function byAge(a: AnalysisRecord, b: AnalysisRecord): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The in-process queue: FIFO in memory, every state change persisted to the analysis's meta.json with an atomic
 * write, so a restart finds done/failed analyses as they were and runs interrupted ones again.
 */
export async function openFileJobQueue(dataDir: string, now: () => Date = () => new Date()): Promise<FileJobQueue> {
  const root = analysesRoot(dataDir);
  await mkdir(root, { recursive: true });
  // Staged uploads belong to requests that died with the last process: nobody will finish them.
  const removed: string[] = [];
  const staging = stagingRoot(dataDir);
  for (const name of await readdir(staging).catch(() => [] as string[])) {
    await rm(path.join(staging, name), { recursive: true, force: true });
    removed.push(`staging/${name}`);
  }
  await mkdir(staging, { recursive: true });

  const records = new Map<string, AnalysisRecord>();
  const unreadable: string[] = [];
  for (const name of await readdir(root)) {
    if (!isAnalysisId(name)) continue;
    const paths = analysisPaths(dataDir, name);
    let text: string;
    try {
      text = await readFile(paths.meta, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        await rm(paths.dir, { recursive: true, force: true });
        removed.push(`analyses/${name}`);
      } else unreadable.push(name);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      unreadable.push(name);
      continue;
    }
    if (!isRecord(parsed) || parsed.id !== name) {
      unreadable.push(name);
      continue;
    }
    records.set(name, parsed);
  }

  const waiting: string[] = [];
  const requeued: string[] = [];
  for (const r of [...records.values()].sort(byAge)) {
    if (r.status === 'queued' || r.status === 'running') {
      if (r.status === 'running') {
        const back: AnalysisRecord = { ...r, status: 'queued', startedAt: null };
        records.set(r.id, back);
        await writeFileAtomic(analysisPaths(dataDir, r.id).meta, JSON.stringify(back, null, 2) + '\n');
      }
      waiting.push(r.id);
      requeued.push(r.id);
    }
  }

  // One write at a time: a state change is persisted before the next one is applied.
  let chain: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  }
  async function save(r: AnalysisRecord): Promise<void> {
    await writeFileAtomic(analysisPaths(dataDir, r.id).meta, JSON.stringify(r, null, 2) + '\n');
    records.set(r.id, r);
  }
  function finish(id: string, patch: Partial<AnalysisRecord>): Promise<boolean> {
    return serial(async () => {
      const r = records.get(id);
      if (!r || r.status !== 'running') return false;
      await save({ ...r, ...patch, finishedAt: now().toISOString() });
      return true;
    });
  }

  return {
    recovery: { requeued, removed, unreadable },
    enqueue: (job: NewAnalysis) =>
      serial(async () => {
        if (records.has(job.id)) throw new Error(`analysis ${job.id} exists already`);
        const r: AnalysisRecord = {
          id: job.id,
          status: 'queued',
          createdAt: now().toISOString(),
          startedAt: null,
          finishedAt: null,
          attempts: 0,
          uploads: job.uploads,
          options: job.options,
          summary: null,
          error: null,
        };
        await save(r);
        waiting.push(r.id);
        return r;
      }),
    claim: () =>
      serial(async () => {
        for (;;) {
          const id = waiting.shift();
          if (id === undefined) return null;
          const r = records.get(id);
          if (!r || r.status !== 'queued') continue;
          const running: AnalysisRecord = { ...r, status: 'running', startedAt: now().toISOString(), attempts: r.attempts + 1 };
          await save(running);
          return running;
        }
      }),
    complete: (id: string, summary: AnalysisSummary) => finish(id, { status: 'done', summary, error: null }),
    fail: (id: string, error: AnalysisFailure) => finish(id, { status: 'failed', error, summary: null }),
    get: async (id: string) => records.get(id) ?? null,
    list: async () => [...records.values()].sort(byAge).reverse(),
    remove: (id: string) =>
      serial(async () => {
        const r = records.get(id);
        if (!r) return null;
        records.delete(id);
        // The record goes first: a folder without meta.json is swept on the next start even if its removal fails now.
        await rm(analysisPaths(dataDir, id).meta, { force: true });
        const i = waiting.indexOf(id);
        if (i >= 0) waiting.splice(i, 1);
        return r;
      }),
    counts: async () => {
      const c: Record<AnalysisStatus, number> = { queued: 0, running: 0, done: 0, failed: 0 };
      for (const r of records.values()) c[r.status] += 1;
      return c;
    },
  };
}
