import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type ServeOptions } from '../../../src/present/http/server.js';
import type { JobOutcome, JobRunner, JobSpec } from '../../../src/present/http/job-runner.js';

export async function tempDir(prefix = 'natlens-serve-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Every regular file under `dir`, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const all = (await readdir(dir, { recursive: true, withFileTypes: true })) as { name: string; parentPath?: string; path?: string; isFile(): boolean }[];
  return all
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? d.path ?? dir, d.name)))
    .sort();
}

/**
 * A stand-in for the analysis: it lists the uploaded files, fails naming a file whose content starts with GARBAGE
 * (as the real analysis names an unreadable capture), and writes the four outputs the real job writes.
 */
export const fakeRunner: JobRunner = async (job: JobSpec): Promise<JobOutcome> => {
  const files = await listFiles(job.inputDir);
  for (const f of files) {
    const head = (await readFile(path.join(job.inputDir, f))).subarray(0, 7).toString('latin1');
    if (head === 'GARBAGE') return { ok: false, error: { code: 'not-a-capture', file: f, offset: 0, message: `${f} (byte offset 0): not a capture [not-a-capture]` } };
  }
  await writeFile(path.join(job.dir, 'result.json'), JSON.stringify({ tool: { name: 'natlens' }, files, options: job.options }));
  await writeFile(path.join(job.dir, 'report.html'), `<!doctype html><title>report</title><p>${files.length} files</p>`);
  await writeFile(path.join(job.dir, 'report.md'), `# report\n\n${files.join('\n')}\n`);
  await writeFile(path.join(job.dir, 'evidence.pcapng'), Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
  return { ok: true, summary: { verdict: 'ok', sentence: `${files.length} files read.`, flows: 0, findings: 0, topCheck: null, evidencePackets: 0 } };
};

/** A runner whose jobs wait until released (or aborted), to hold analyses in `running`. */
export function gatedRunner(inner: JobRunner = fakeRunner): { runner: JobRunner; started: string[]; release(): void; maxConcurrent(): number } {
  const started: string[] = [];
  let open = false;
  const waiters: (() => void)[] = [];
  let now = 0;
  let max = 0;
  return {
    started,
    maxConcurrent: () => max,
    release() {
      open = true;
      for (const w of waiters.splice(0)) w();
    },
    runner: async (job, signal, onProgress) => {
      started.push(job.id);
      now += 1;
      max = Math.max(max, now);
      try {
        onProgress({ phase: 'captures', bytesRead: 1, bytesTotal: 4, packets: 10 });
        if (!open) {
          await new Promise<void>((resolve, reject) => {
            waiters.push(resolve);
            signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
          });
        }
        return await inner(job, signal, onProgress);
      } finally {
        now -= 1;
      }
    },
  };
}

export async function start(dataDir: string, extra: Partial<ServeOptions> = {}): Promise<RunningServer> {
  return startServer({ dataDir, host: '127.0.0.1', port: 0, token: null, maxUploadBytes: 4 << 20, workers: 2, runner: fakeRunner, ...extra });
}

export function form(files: readonly { name: string; data: Uint8Array | string }[], fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const f of files) fd.append('files', new Blob([f.data as BlobPart]), f.name);
  return fd;
}

export interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function upload(base: string, fd: FormData, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${base}/api/analyses`, { method: 'POST', body: fd, headers });
  return { status: r.status, body: (await r.json()) as Json };
}

/** Poll an analysis until it is done or failed (bounded: 45 s, under the 60 s test timeout). */
export async function waitFinished(base: string, id: string, headers: Record<string, string> = {}): Promise<Json> {
  const until = Date.now() + 45_000;
  for (;;) {
    const r = await fetch(`${base}/api/analyses/${id}`, { headers });
    const body = (await r.json()) as Json;
    if (body.status === 'done' || body.status === 'failed') return body;
    if (Date.now() > until) throw new Error(`analysis ${id} still ${body.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
