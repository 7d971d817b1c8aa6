// Upload-service bench (issue 7): N concurrent uploads (default 20) of one ~50 MB bundle tarball — a generated NATed
// capture pair plus its snapshot — to `natlens serve` on loopback, each polled until its analysis ends. Reports the
// server's peak RSS (VmHWM of the server process, worker threads included), upload and total times, and that all
// finished. The server runs in a child process so its memory is measured alone. Bounded: every request loop has a
// count and a deadline; the server is stopped at the end whatever happens.
//
// Standalone: `npm run build && node test/bench/serve-bench.mjs`. As a section of test/bench/run.mjs:
//   import { serveSection } from './serve-bench.mjs';
//   { name: 'upload service: concurrent uploads of a 50 MB bundle', run: serveSection }
// Knobs: NATLENS_SERVE_BENCH_UPLOADS (20), NATLENS_SERVE_BENCH_MB (50), NATLENS_SERVE_BENCH_WORKERS (server --workers).

import { spawn } from 'node:child_process';
import { mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { generateNatPair } from './generate-nat-pair.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RECORD_BYTES = 16 + 90; // pcap record header + the generator's 90-byte frames
const DEADLINE_MS = 15 * 60_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Peak and current resident set of a process, from /proc (Linux). */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

async function startServe(dataDir, workers, maxUploadMb, log) {
  const child = spawn(process.execPath, [join(ROOT, 'bin/natlens'), 'serve', '--port', '0', '--data', dataDir, '--workers', String(workers), '--max-upload-mb', String(maxUploadMb)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NATLENS_TOKEN: '' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const until = Date.now() + 20_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { child, url: m[1], stderr: () => err };
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`natlens serve did not start: ${err}`);
    }
    await sleep(50);
  }
}

async function stopServe(child) {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout')]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    return 'killed';
  }
  return code;
}

/** @param {{tmp: string, log: (line: string) => void}} ctx */
export async function serveSection(ctx) {
  const uploads = Number(process.env.NATLENS_SERVE_BENCH_UPLOADS ?? 20);
  const targetMb = Number(process.env.NATLENS_SERVE_BENCH_MB ?? 50);
  const workers = Number(process.env.NATLENS_SERVE_BENCH_WORKERS ?? Math.max(1, availableParallelism() - 1));
  const { log } = ctx;

  // The bundle: a capture pair of ~targetMb together, its snapshot, in an uncompressed tarball (gzip would shrink
  // the generated traffic to a fraction and the upload would no longer be 50 MB).
  const bundleDir = join(ctx.tmp, 'serve-bundle');
  const perCapture = Math.round((targetMb * 1e6) / 2 / RECORD_BYTES);
  const g = generateNatPair(bundleDir, { packets: perCapture });
  const tarPath = join(ctx.tmp, 'serve-bundle.tar');
  await createTar({ file: tarPath, cwd: ctx.tmp, portable: true }, ['serve-bundle']);
  const tarBytes = statSync(tarPath).size;
  log(`bundle: ${(tarBytes / 1e6).toFixed(1)} MB tarball, ${g.lanPackets.toLocaleString('en')} + ${g.wanPackets.toLocaleString('en')} packets`);

  const dataDir = join(ctx.tmp, 'serve-data');
  const maxUploadMb = Math.ceil(tarBytes / 2 ** 20) + 8;
  const srv = await startServe(dataDir, workers, maxUploadMb, log);
  const pid = srv.child.pid;
  log(`server pid ${pid} on ${srv.url}, --workers ${workers}; idle RSS ${memoryOf(pid)?.rssMb.toFixed(0)} MB`);
  let peak = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(pid);
    if (m) peak = Math.max(peak, m.hwmMb);
  }, 100);

  const t0 = performance.now();
  const deadline = Date.now() + DEADLINE_MS;
  const results = [];
  try {
    const blob = await openAsBlob(tarPath); // file-backed: the bench does not hold 20 × 50 MB either
    const ids = await Promise.all(
      Array.from({ length: uploads }, async (_, i) => {
        const fd = new FormData();
        fd.append('files', blob, `bundle-${i}.tar`);
        const r = await fetch(`${srv.url}/api/analyses`, { method: 'POST', body: fd });
        const body = await r.json();
        if (r.status !== 202) throw new Error(`upload ${i}: HTTP ${r.status} ${JSON.stringify(body)}`);
        return body.id;
      }),
    );
    const uploadedS = (performance.now() - t0) / 1000;
    log(`${uploads} concurrent uploads of ${(tarBytes / 1e6).toFixed(1)} MB accepted in ${uploadedS.toFixed(1)} s (${((uploads * tarBytes) / 1e6 / uploadedS).toFixed(0)} MB/s); peak RSS so far ${peak.toFixed(0)} MB`);

    const pending = new Set(ids);
    for (let round = 0; pending.size && Date.now() < deadline; round++) {
      await sleep(500);
      const list = await (await fetch(`${srv.url}/api/analyses`)).json();
      for (const a of list.analyses) {
        if (pending.has(a.id) && (a.status === 'done' || a.status === 'failed')) {
          pending.delete(a.id);
          results.push(a);
        }
      }
    }
    const totalS = (performance.now() - t0) / 1000;
    const done = results.filter((a) => a.status === 'done');
    const failed = results.filter((a) => a.status === 'failed');
    const verdicts = [...new Set(done.map((a) => `${a.summary.verdict}${a.summary.topCheck ? ` (${a.summary.topCheck})` : ''}`))];
    log(`${done.length}/${uploads} done, ${failed.length} failed, ${pending.size} unfinished after ${totalS.toFixed(1)} s (${(totalS / uploads).toFixed(2)} s per analysis at --workers ${workers}); verdicts: ${verdicts.join(', ')}`);
    for (const f of failed) log(`  failed ${f.id}: ${f.error?.message}`);
    const m = memoryOf(pid);
    if (m) peak = Math.max(peak, m.hwmMb);
    log(`server peak RSS ${peak.toFixed(0)} MB (VmHWM, worker threads included); RSS now ${m?.rssMb.toFixed(0)} MB`);
    return { uploads, bundleBytes: tarBytes, uploadSeconds: uploadedS, totalSeconds: totalS, done: done.length, failed: failed.length, unfinished: pending.size, peakRssMb: peak };
  } finally {
    clearInterval(sampler);
    const code = await stopServe(srv.child);
    if (code !== 0) log(`server exit: ${code}\n${srv.stderr()}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tmp = mkdtempSync(join(tmpdir(), 'natlens-serve-bench-'));
  try {
    const r = await serveSection({ tmp, log: (line) => process.stdout.write(`${line}\n`) });
    if (r.done !== r.uploads) process.exitCode = 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
