import { describe, expect, it } from 'vitest';
import { threadJobRunner } from '../../../src/present/http/thread-job-runner.js';
import type { AnalyzeProgress } from '../../../src/model/analysis.js';

const workerUrl = new URL('./fixtures/fake-analysis-worker.mjs', import.meta.url);
const job = (inside: string) => ({ id: '0123456789abcdef0123', dir: '/nonexistent', inputDir: '/nonexistent/input', options: { inside } });

describe('threadJobRunner', () => {
  const run = threadJobRunner({ workerUrl, maxHeapMb: 64 });

  it('relays progress and the outcome from the worker thread', async () => {
    const seen: AnalyzeProgress[] = [];
    const outcome = await run(job('ok'), new AbortController().signal, (p) => seen.push(p));
    expect(outcome).toEqual({ ok: true, summary: { verdict: 'ok', sentence: 'ran 0123456789abcdef0123', flows: 1, findings: 0, topCheck: null, evidencePackets: 0 } });
    expect(seen).toEqual([{ phase: 'captures', bytesRead: 5, bytesTotal: 10, packets: 3 }]);
  });

  it('rejects when the worker throws or exits without an outcome', async () => {
    await expect(run(job('throw'), new AbortController().signal, () => undefined)).rejects.toThrow('boom in the worker');
    await expect(run(job('silent'), new AbortController().signal, () => undefined)).rejects.toThrow(/without an outcome/);
  });

  it('ends a worker that outgrows its heap limit instead of the process', async () => {
    await expect(run(job('hog'), new AbortController().signal, () => undefined)).rejects.toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
  });

  it('terminates the thread when aborted', async () => {
    const ac = new AbortController();
    const p = run(job('hang'), ac.signal, () => undefined);
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});
