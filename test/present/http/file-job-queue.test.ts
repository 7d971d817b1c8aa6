import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileJobQueue } from '../../../src/present/http/file-job-queue.js';
import { removeDir, tempDir } from './serve-helpers.js';

const ID = (n: number): string => n.toString(16).padStart(20, '0');
const summary = { verdict: 'ok' as const, sentence: 'fine', flows: 1, findings: 0, topCheck: null, evidencePackets: 0 };

describe('openFileJobQueue', () => {
  let dir: string;
  let tick: number;
  const clock = () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++));
  beforeEach(async () => {
    dir = await tempDir('natlens-queue-');
    tick = 0;
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  async function add(q: Awaited<ReturnType<typeof openFileJobQueue>>, n: number) {
    await mkdir(path.join(dir, 'analyses', ID(n), 'input'), { recursive: true });
    return q.enqueue({ id: ID(n), uploads: [{ name: `f${n}.pcap`, bytes: n, archive: null }], options: {} });
  }

  it('hands out analyses first in, first out and persists every state change', async () => {
    const q = await openFileJobQueue(dir, clock);
    for (const n of [3, 1, 2]) await add(q, n);
    expect(await q.counts()).toEqual({ queued: 3, running: 0, done: 0, failed: 0 });
    const a = await q.claim();
    const b = await q.claim();
    expect([a!.id, b!.id]).toEqual([ID(3), ID(1)]);
    expect(a).toMatchObject({ status: 'running', attempts: 1 });
    expect(await q.complete(ID(3), summary)).toBe(true);
    expect(await q.fail(ID(1), { code: 'not-a-capture', file: 'f1.pcap', message: 'f1.pcap: no' })).toBe(true);
    // Only a running analysis can finish.
    expect(await q.complete(ID(2), summary)).toBe(false);
    const onDisk = JSON.parse(await readFile(path.join(dir, 'analyses', ID(3), 'meta.json'), 'utf8'));
    expect(onDisk).toMatchObject({ id: ID(3), status: 'done', summary, attempts: 1 });
    expect((await q.list()).map((r) => [r.id, r.status])).toEqual([
      [ID(2), 'queued'],
      [ID(1), 'failed'],
      [ID(3), 'done'],
    ]);
    expect(await q.claim()).toMatchObject({ id: ID(2) });
    expect(await q.claim()).toBeNull();
  });

  it('forgets a removed analysis, queued or not, and deletes its record', async () => {
    const q = await openFileJobQueue(dir, clock);
    await add(q, 1);
    await add(q, 2);
    expect((await q.remove(ID(1)))?.id).toBe(ID(1));
    await expect(stat(path.join(dir, 'analyses', ID(1), 'meta.json'))).rejects.toThrow();
    expect(await q.remove(ID(1))).toBeNull();
    expect((await q.claim())?.id).toBe(ID(2));
    expect(await q.get(ID(1))).toBeNull();
  });

  it('recovers after a stop: running and queued ones wait again in age order; bad records are reported, not served', async () => {
    const first = await openFileJobQueue(dir, clock);
    for (const n of [1, 2, 3, 4]) await add(first, n);
    await first.claim(); // 1 running
    await first.claim(); // 2 running
    await first.complete(ID(2), summary);
    // Leftovers of a crash: a folder with no record, a staged upload, a record that is not JSON, one for another id.
    await mkdir(path.join(dir, 'analyses', ID(9), 'input'), { recursive: true });
    await mkdir(path.join(dir, 'staging', 'x', 'input'), { recursive: true });
    await mkdir(path.join(dir, 'analyses', ID(7)), { recursive: true });
    await writeFile(path.join(dir, 'analyses', ID(7), 'meta.json'), '{"id": "trunc');
    await mkdir(path.join(dir, 'analyses', ID(8)), { recursive: true });
    await writeFile(path.join(dir, 'analyses', ID(8), 'meta.json'), JSON.stringify({ ...(await first.get(ID(3))), id: ID(5) }));
    await mkdir(path.join(dir, 'analyses', 'not-an-id'), { recursive: true });

    const q = await openFileJobQueue(dir, clock);
    expect(q.recovery.requeued).toEqual([ID(1), ID(3), ID(4)]);
    expect([...q.recovery.removed].sort()).toEqual([`analyses/${ID(9)}`, 'staging/x']);
    expect([...q.recovery.unreadable].sort()).toEqual([ID(7), ID(8)]);
    expect(await q.get(ID(2))).toMatchObject({ status: 'done', summary });
    const again = await q.claim();
    expect(again).toMatchObject({ id: ID(1), status: 'running', attempts: 2 });
    expect((await q.claim())?.id).toBe(ID(3));
    await stat(path.join(dir, 'analyses', 'not-an-id'));
  });
});
