import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/present/http/server.js';
import { startServer } from '../../../src/present/http/server.js';
import { threadJobRunner } from '../../../src/present/http/thread-job-runner.js';
import { form, removeDir, tempDir, upload, waitFinished } from './serve-helpers.js';

/**
 * End to end with the real analysis in real worker threads: the compiled worker from dist/ (npm test builds first),
 * field bundles from ../shared/field uploaded as files and as a tarball.
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const workerUrl = new URL('dist/present/http/analysis-worker.js', `file://${repo}`);
const field = path.resolve(repo, '../shared/field');
const hasTshark = (() => {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function bundleFiles(dir: string): { name: string; data: Uint8Array }[] {
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, data: readFileSync(path.join(dir, name)) }));
}

function scenario(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as { scenario: string }).scenario;
}

describe.skipIf(!existsSync(fileURLToPath(workerUrl)) || !existsSync(field))('natlens serve with the real analysis', () => {
  let dataDir: string;
  let srv: RunningServer;
  beforeAll(async () => {
    dataDir = await tempDir();
    srv = await startServer({ dataDir, host: '127.0.0.1', port: 0, token: null, maxUploadBytes: 64 << 20, workers: 2, runner: threadJobRunner({ workerUrl }) });
  });
  afterAll(async () => {
    await srv?.close();
    await removeDir(dataDir);
  });

  it('takes gzip-compressed captures (eth0.pcap.gz) as captures, not as tarballs', async () => {
    const dir = path.join(field, 'ip-forward-off');
    const files = bundleFiles(dir).map((f) => (/\.pcap$/.test(f.name) ? { name: `${f.name}.gz`, data: gzipSync(f.data) } : f));
    const { status, body } = await upload(srv.url, form(files));
    expect(status).toBe(202);
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('done');
    expect(done.result.findings[0].check).toBe('ip-forward-disabled');
    const captures = done.result.inputs.filter((i: { kind: string }) => i.kind === 'capture');
    expect(captures.map((i: { path: string; format: string }) => [i.path, i.format])).toEqual([
      ['eth0.pcap.gz', 'pcap+gzip'],
      ['net1.pcap.gz', 'pcap+gzip'],
    ]);
  });

  it('diagnoses an uploaded field bundle and serves its reports and evidence', async () => {
    const dir = path.join(field, 'ip-forward-off');
    expect(scenario(dir)).toBe('ip-forward-off');
    const { status, body } = await upload(srv.url, form(bundleFiles(dir)));
    expect(status).toBe(202);
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('done');
    expect(done.summary).toMatchObject({ verdict: 'packets-stop', topCheck: 'ip-forward-disabled' });
    expect(done.result.findings[0].check).toBe('ip-forward-disabled');
    // Paths in the result are the upload's names, not the server's folders.
    expect(done.result.inputs.map((i: { path: string }) => i.path)).toContain('eth0.pcap');
    expect(JSON.stringify(done.result)).not.toContain(dataDir);

    const html = await (await fetch(`${srv.url}${done.links.reportHtml}`)).text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('ip-forward-disabled');
    expect(html).not.toContain(dataDir);
    const md = await (await fetch(`${srv.url}${done.links.reportMd}`)).text();
    expect(md).toContain('ip-forward-disabled');
    const ev = Buffer.from(await (await fetch(`${srv.url}${done.links.evidence}`)).arrayBuffer());
    expect(ev.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(done.summary.evidencePackets).toBeGreaterThan(0);
    if (hasTshark) {
      const file = path.join(dataDir, 'analyses', body.id, 'evidence.pcapng');
      const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.comment'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(done.summary.evidencePackets);
      expect(lines.every((l) => l.startsWith('natlens '))).toBe(true);
    }
  });

  it('diagnoses a .tar.gz bundle with a folder inside, and a healthy one has no error', async () => {
    const work = await tempDir('natlens-tgz-');
    try {
      const names = ['snat-missing', 'healthy-pcapng'];
      const tgzs = await Promise.all(
        names.map(async (n) => {
          const file = path.join(work, `${n}.tar.gz`);
          await createTar({ gzip: true, file, cwd: field }, [n]);
          return { name: `${n}.tar.gz`, data: readFileSync(file) };
        }),
      );
      const ids = await Promise.all(tgzs.map(async (t) => (await upload(srv.url, form([t]))).body.id as string));
      const [bad, good] = await Promise.all(ids.map((id) => waitFinished(srv.url, id)));
      expect(bad!.status).toBe('done');
      expect(bad!.uploads[0].archive.files).toBe(readdirSync(path.join(field, 'snat-missing')).length);
      expect(bad!.summary.topCheck).toBe('snat-missing');
      expect(good!.status).toBe('done');
      expect(good!.summary.verdict).toBe('ok');
      expect(good!.result.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
    } finally {
      await removeDir(work);
    }
  });

  it('ends an unreadable capture failed, naming the file and the byte offset', async () => {
    const header = readFileSync(path.join(field, 'healthy', 'eth0.pcap')).subarray(0, 24);
    const garbage = Buffer.concat([header, Buffer.from('\xff\xff\xff\x7f this record header claims 2 GB\n'.repeat(4), 'latin1')]);
    const { body } = await upload(srv.url, form([{ name: 'eth0.pcap', data: garbage }, { name: 'sysctl.txt', data: readFileSync(path.join(field, 'healthy', 'sysctl.txt')) }]));
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('failed');
    expect(done.error.file).toBe('eth0.pcap');
    expect(done.error.offset).toBe(24);
    expect(done.error.message).toMatch(/^eth0\.pcap \(byte offset 24\): /);
  });

  it('ends an upload without any capture failed, naming the uploaded files', async () => {
    const { body } = await upload(srv.url, form([{ name: 'notes.txt', data: 'nothing useful here\n' }]));
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('no-captures');
    expect(done.error.message).toContain('notes.txt');
    expect(done.error.message).not.toContain(dataDir);
  });
});
