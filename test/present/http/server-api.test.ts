import { request } from 'node:http';
import { connect } from 'node:net';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/present/http/server.js';
import { startServer } from '../../../src/present/http/server.js';
import { form, gatedRunner, listFiles, removeDir, start, tempDir, upload, waitFinished } from './serve-helpers.js';
import { makeTar, makeTarBomb, makeTarGz } from './tar-fixture.js';

/** Send raw bytes on a fresh connection and collect what comes back until the server closes or `ms` pass. */
function raw(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, ms);
    s.on('data', (c) => (got += c.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(bytes);
  });
}

let dataDir: string;
let srv: RunningServer | null = null;

beforeEach(async () => {
  dataDir = await tempDir();
});
afterEach(async () => {
  await srv?.close();
  srv = null;
  await removeDir(dataDir);
});

describe('natlens serve API (fake analysis)', () => {
  it('answers /healthz and serves the page', async () => {
    srv = await start(dataDir);
    const h = await fetch(`${srv.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', auth: 'none', analyses: { queued: 0, running: 0, done: 0, failed: 0 } });
    const page = await fetch(`${srv.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    const html = await page.text();
    expect(html).toContain('id="files"');
    // Self-contained: no script, style, font or image is fetched from anywhere.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|https?:\/\//);
  });

  it('stores uploaded files, runs the job, and serves result and downloads', async () => {
    srv = await start(dataDir);
    const { status, body } = await upload(srv.url, form([{ name: 'eth0.pcap', data: 'PCAP-A' }, { name: '../../sysctl.txt', data: 'net.ipv4.ip_forward = 1\n' }], { inside: 'eth0', outside: 'net2' }));
    expect(status).toBe(202);
    expect(body.status).toBe('queued');
    expect(body.id).toMatch(/^[0-9a-f]{20}$/);
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('done');
    // The client's path is dropped from the name: only the last component is kept.
    expect(done.result.files).toEqual(['eth0.pcap', 'sysctl.txt']);
    expect(done.result.options).toEqual({ inside: 'eth0', outside: 'net2' });
    expect(done.uploads).toEqual([
      { name: 'eth0.pcap', bytes: 6, archive: null },
      { name: 'sysctl.txt', bytes: 24, archive: null },
    ]);
    expect(done.summary.sentence).toBe('2 files read.');
    expect(await readFile(path.join(dataDir, 'analyses', body.id, 'input', 'eth0.pcap'), 'utf8')).toBe('PCAP-A');

    const html = await fetch(`${srv.url}/api/analyses/${body.id}/report.html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
    expect(await html.text()).toContain('2 files');
    const md = await fetch(`${srv.url}/api/analyses/${body.id}/report.md`);
    expect(await md.text()).toBe('# report\n\neth0.pcap\nsysctl.txt\n');
    const ev = await fetch(`${srv.url}/api/analyses/${body.id}/evidence.pcapng`);
    expect(ev.headers.get('content-disposition')).toBe(`attachment; filename="natlens-${body.id}-evidence.pcapng"`);
    expect(Buffer.from(await ev.arrayBuffer())).toEqual(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));

    const list = (await (await fetch(`${srv.url}/api/analyses`)).json()) as { analyses: { id: string; status: string; result?: unknown }[] };
    expect(list.analyses.map((a) => [a.id, a.status])).toEqual([[body.id, 'done']]);
    expect(list.analyses[0]!.result).toBeUndefined();
  });

  it('unpacks a .tar.gz bundle into its own folder', async () => {
    srv = await start(dataDir);
    const tgz = makeTarGz([
      { path: 'incident/', type: '5' },
      { path: 'incident/eth0.pcap', data: 'A' },
      { path: 'incident/net1.pcap', data: 'B' },
      { path: 'incident/iptables-save.txt', data: '*nat\nCOMMIT\n' },
    ]);
    const { status, body } = await upload(srv.url, form([{ name: 'incident.tar.gz', data: tgz }]));
    expect(status).toBe(202);
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('done');
    expect(done.result.files).toEqual(['incident/incident/eth0.pcap', 'incident/incident/iptables-save.txt', 'incident/incident/net1.pcap']);
    expect(done.uploads).toEqual([{ name: 'incident.tar.gz', bytes: tgz.length, archive: { files: 3, bytes: 1 + 1 + 12 } }]);
    // The archive itself is not kept once unpacked.
    expect(await listFiles(path.join(dataDir, 'analyses', body.id, 'input'))).toEqual(['incident/incident/eth0.pcap', 'incident/incident/iptables-save.txt', 'incident/incident/net1.pcap']);
  });

  it('ends an analysis of garbage failed, naming the file', async () => {
    srv = await start(dataDir);
    const { body } = await upload(srv.url, form([{ name: 'notes.pcap', data: 'GARBAGE, not a capture' }]));
    const done = await waitFinished(srv.url, body.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'not-a-capture', file: 'notes.pcap' });
    expect(done.error.message).toContain('notes.pcap');
    const r = await fetch(`${srv.url}/api/analyses/${body.id}/report.html`);
    expect(r.status).toBe(409);
  });

  it('refuses an upload over the limit with 413 and keeps nothing (declared length)', async () => {
    srv = await start(dataDir, { maxUploadBytes: 1 << 20 });
    const { status, body } = await upload(srv.url, form([{ name: 'big.pcap', data: Buffer.alloc(3 << 20) }]));
    expect(status).toBe(413);
    expect(body.error.code).toBe('too-large');
    expect(await listFiles(dataDir)).toEqual([]);
    expect((await (await fetch(`${srv.url}/api/analyses`)).json()).analyses).toEqual([]);
  });

  it('refuses a chunked upload that grows past the limit with 413, deleting the partial file', async () => {
    srv = await start(dataDir, { maxUploadBytes: 1 << 20 });
    const boundary = 'xBOUNDARYx';
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${srv!.url}/api/analyses`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' } }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
      });
      req.on('error', reject);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.pcap"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (sent < 3 << 20) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end(`\r\n--${boundary}--\r\n`);
      };
      pump();
    });
    expect(status).toBe(413);
    expect(JSON.parse(text).error.code).toBe('too-large');
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it.each([
    ['a traversal entry', makeTar([{ path: 'ok.pcap', data: 'A' }, { path: '../../../escaped.txt', data: 'evil' }]), 422, 'unsafe-entry'],
    ['an absolute path', makeTar([{ path: '/tmp/escaped.txt', data: 'evil' }]), 422, 'unsafe-entry'],
    ['a symlink', makeTarGz([{ path: 'l', type: '2', linkpath: '/' }, { path: 'l/tmp/escaped.txt', data: 'evil' }]), 422, 'unsafe-entry'],
    ['a device', makeTar([{ path: 'sda', type: '4' }]), 422, 'unsafe-entry'],
  ])('refuses a tarball with %s (%i) and writes nothing anywhere', async (_l, tar, code, errCode) => {
    srv = await start(dataDir);
    const { status, body } = await upload(srv.url, form([{ name: 'evil.tar', data: tar }]));
    expect(status).toBe(code);
    expect(body.error.code).toBe(errCode);
    expect(body.error.message).toContain('evil.tar');
    expect(await listFiles(dataDir)).toEqual([]);
    await expect(stat(path.join(dataDir, '..', 'escaped.txt'))).rejects.toThrow();
    await expect(stat('/tmp/escaped.txt')).rejects.toThrow();
  });

  it('refuses a decompression bomb with 413', async () => {
    srv = await start(dataDir, { tarLimits: { maxEntries: 100, maxBytes: 8 << 20, maxDepth: 8 } });
    const { status, body } = await upload(srv.url, form([{ name: 'bomb.tar.gz', data: await makeTarBomb(64 << 20) }]));
    expect(status).toBe(413);
    expect(body.error.code).toBe('too-large');
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it('refuses a compressed capture that unpacks past the limit (a gzip bomb named .pcap.gz) with 413', async () => {
    srv = await start(dataDir, { tarLimits: { maxEntries: 100, maxBytes: 8 << 20, maxDepth: 8 } });
    // A valid pcap header, then 64 MiB of zeros: a capture by its first bytes, a bomb by its size.
    const header = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 << 20)]));
    expect(bomb.length).toBeLessThan(1 << 20);
    const { status, body } = await upload(srv.url, form([{ name: 'bomb.pcap.gz', data: bomb }]));
    expect(status).toBe(413);
    expect(body.error.code).toBe('too-large');
    expect(body.error.message).toContain('bomb.pcap.gz');
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it('refuses unusable requests up front', async () => {
    srv = await start(dataDir);
    const post = (body: BodyInit, headers: Record<string, string> = {}) => fetch(`${srv!.url}/api/analyses`, { method: 'POST', body, headers });
    let r = await post('{"files": []}', { 'Content-Type': 'application/json' });
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([415, 'unsupported-media-type']);
    r = await post(form([]));
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([400, 'no-files']);
    const wrongPart = new FormData();
    wrongPart.append('capture', new Blob(['x']), 'a.pcap');
    r = await post(wrongPart);
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([400, 'unexpected-part']);
    r = await post(form([{ name: 'a.pcap', data: 'x' }], { inside: 'eth0; rm -rf /' }));
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([400, 'bad-field']);
    r = await post('--nope\r\nbroken', { 'Content-Type': 'multipart/form-data; boundary=nope' });
    expect(r.status).toBe(400);
    // A body that ends in the middle of a file part.
    r = await post('--b\r\nContent-Disposition: form-data; name="files"; filename="cut.pcap"\r\n\r\n' + 'x'.repeat(100_000), { 'Content-Type': 'multipart/form-data; boundary=b' });
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([400, 'bad-multipart']);
    r = await post(form(Array.from({ length: 65 }, (_, i) => ({ name: `f${i}.pcap`, data: 'x' }))));
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([413, 'too-many-files']);
    r = await post(form([{ name: 'a.pcap', data: 'x' }], { inside: 'x'.repeat(300) }));
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([400, 'bad-field']);
    r = await post(form([{ name: 'empty.tar', data: makeTar([{ path: 'nothing/', type: '5' }]) }]));
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([422, 'empty-archive']);
    r = await post(form([{ name: 'zeros.tar', data: makeTar([]) }]));
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([422, 'bad-archive']);
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it('validates ids strictly and answers unknown routes with 404/405', async () => {
    srv = await start(dataDir);
    for (const p of ['/api/analyses/..%2f..%2fetc', '/api/analyses/%2e%2e', '/api/analyses/ABCDEF0123456789ABCD', '/api/analyses/0123456789abcdef0123/report.html', '/api/analyses/0123456789abcdef0123/../../x', '/api/nothing', '/etc/passwd']) {
      const r = await fetch(`${srv.url}${p}`);
      expect([p, r.status]).toEqual([p, 404]);
    }
    const r = await fetch(`${srv.url}/api/analyses`, { method: 'PUT' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('deletes an analysis and its folder', async () => {
    srv = await start(dataDir);
    const { body } = await upload(srv.url, form([{ name: 'eth0.pcap', data: 'A' }]));
    await waitFinished(srv.url, body.id);
    const del = await fetch(`${srv.url}/api/analyses/${body.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await fetch(`${srv.url}/api/analyses/${body.id}`)).status).toBe(404);
    expect(await readdir(path.join(dataDir, 'analyses'))).toEqual([]);
  });

  it('stops a running analysis that is deleted and goes on with the next', async () => {
    const gate = gatedRunner();
    srv = await start(dataDir, { workers: 1, runner: gate.runner });
    const a = (await upload(srv.url, form([{ name: 'a.pcap', data: 'A' }]))).body.id as string;
    const b = (await upload(srv.url, form([{ name: 'b.pcap', data: 'B' }]))).body.id as string;
    await new Promise((r) => setTimeout(r, 100));
    expect(gate.started).toEqual([a]);
    expect((await fetch(`${srv.url}/api/analyses/${a}`, { method: 'DELETE' })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 100));
    expect(gate.started).toEqual([a, b]);
    expect((await fetch(`${srv.url}/api/analyses/${a}`)).status).toBe(404);
    expect(await readdir(path.join(dataDir, 'analyses'))).toEqual([b]);
    gate.release();
    expect((await waitFinished(srv.url, b)).status).toBe('done');
  });

  it('runs at most --workers analyses at once, first in first out', async () => {
    const gate = gatedRunner();
    srv = await start(dataDir, { workers: 2, runner: gate.runner });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await upload(srv.url, form([{ name: `c${i}.pcap`, data: 'A' }]))).body.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(gate.started).toEqual(ids.slice(0, 2));
    const list = (await (await fetch(`${srv.url}/api/analyses`)).json()) as { analyses: { id: string; status: string; progress?: unknown }[] };
    const byId = new Map(list.analyses.map((a) => [a.id, a]));
    expect(ids.map((id) => byId.get(id)!.status)).toEqual(['running', 'running', 'queued', 'queued', 'queued']);
    expect(byId.get(ids[0]!)!.progress).toEqual({ phase: 'captures', bytesRead: 1, bytesTotal: 4, packets: 10 });
    gate.release();
    for (const id of ids) expect((await waitFinished(srv.url, id)).status).toBe('done');
    expect(gate.started).toEqual(ids);
    expect(gate.maxConcurrent()).toBe(2);
  });

  it('keeps finished analyses and reruns interrupted ones after a restart', async () => {
    srv = await start(dataDir, { workers: 1 });
    const first = (await upload(srv.url, form([{ name: 'eth0.pcap', data: 'A' }]))).body.id as string;
    await waitFinished(srv.url, first);
    const failed = (await upload(srv.url, form([{ name: 'x.pcap', data: 'GARBAGE' }]))).body.id as string;
    await waitFinished(srv.url, failed);
    await srv.close();

    // A server whose analyses never finish: one is running, one queued when it stops.
    const gate = gatedRunner();
    srv = await start(dataDir, { workers: 1, runner: gate.runner });
    const interrupted = (await upload(srv.url, form([{ name: 'a.pcap', data: 'A' }]))).body.id as string;
    const queued = (await upload(srv.url, form([{ name: 'b.pcap', data: 'B' }]))).body.id as string;
    await new Promise((r) => setTimeout(r, 100));
    expect(gate.started).toEqual([interrupted]);
    await srv.close();
    const meta = JSON.parse(await readFile(path.join(dataDir, 'analyses', interrupted, 'meta.json'), 'utf8')) as { status: string };
    expect(meta.status).toBe('running');

    srv = await start(dataDir, { workers: 1 });
    expect(srv.recovery.requeued).toEqual([interrupted, queued]);
    const a = (await (await fetch(`${srv.url}/api/analyses/${first}`)).json()) as { status: string; result: { files: string[] } };
    expect([a.status, a.result.files]).toEqual(['done', ['eth0.pcap']]);
    expect(await (await fetch(`${srv.url}/api/analyses/${first}/report.md`)).text()).toContain('eth0.pcap');
    expect(((await (await fetch(`${srv.url}/api/analyses/${failed}`)).json()) as { status: string }).status).toBe('failed');
    const i = await waitFinished(srv.url, interrupted);
    expect([i.status, i.attempts]).toEqual(['done', 2]);
    const q = await waitFinished(srv.url, queued);
    expect([q.status, q.attempts]).toEqual(['done', 1]);
  });

  it('sweeps uploads that were still arriving when the last process stopped', async () => {
    srv = await start(dataDir);
    await srv.close();
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.join(dataDir, 'staging', 'abc', 'input'), { recursive: true });
    await writeFile(path.join(dataDir, 'staging', 'abc', 'input', 'half.pcap'), 'x');
    await mkdir(path.join(dataDir, 'analyses', '0123456789abcdef0123', 'input'), { recursive: true });
    srv = await start(dataDir);
    expect([...srv.recovery.removed].sort()).toEqual(['analyses/0123456789abcdef0123', 'staging/abc']);
    expect(await listFiles(dataDir)).toEqual([]);
  });
});

describe('natlens serve access control and hostile requests', () => {
  it('requires the bearer token on /api when one is set', async () => {
    srv = await start(dataDir, { token: 's3cret-token' });
    let r = await fetch(`${srv.url}/api/analyses`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    r = await fetch(`${srv.url}/api/analyses`, { headers: { Authorization: 'Bearer wrong' } });
    expect(r.status).toBe(401);
    r = await fetch(`${srv.url}/api/analyses`, { method: 'POST', body: form([{ name: 'a.pcap', data: 'A' }]) });
    expect(r.status).toBe(401);
    expect(await listFiles(dataDir)).toEqual([]);
    const auth = { Authorization: 'Bearer s3cret-token' };
    r = await fetch(`${srv.url}/api/analyses`, { headers: auth });
    expect(r.status).toBe(200);
    const { status, body } = await upload(srv.url, form([{ name: 'a.pcap', data: 'A' }]), auth);
    expect(status).toBe(202);
    expect((await waitFinished(srv.url, body.id, auth)).status).toBe('done');
    expect((await fetch(`${srv.url}/api/analyses/${body.id}/report.md`)).status).toBe(401);
    // The health check and the page itself stay open (the page asks for the token).
    expect(((await (await fetch(`${srv.url}/healthz`)).json()) as { auth: string }).auth).toBe('bearer');
    expect((await fetch(`${srv.url}/`)).status).toBe(200);
  });

  it('refuses to bind a non-loopback address without a token', async () => {
    await expect(startServer({ dataDir, host: '0.0.0.0', port: 0, token: null, maxUploadBytes: 1 << 20, workers: 1 })).rejects.toMatchObject({ name: 'InputError', code: 'usage' });
    await expect(startServer({ dataDir, host: '::', port: 0, token: null, maxUploadBytes: 1 << 20, workers: 1 })).rejects.toMatchObject({ code: 'usage' });
  });

  it('refuses foreign Host names (DNS rebinding) and cross-origin posts', async () => {
    srv = await start(dataDir);
    const rebound = await raw(srv.port, 'GET /api/analyses HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n');
    expect(rebound).toMatch(/^HTTP\/1\.1 421 /);
    const r = await fetch(`${srv.url}/api/analyses`, { method: 'POST', body: form([{ name: 'a.pcap', data: 'A' }]), headers: { Origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it('leaves Host and Origin alone when a token protects the service (reverse proxies rewrite them)', async () => {
    srv = await start(dataDir, { token: 't' });
    const proxied = await raw(srv.port, 'GET /api/analyses HTTP/1.1\r\nHost: natlens.example.org\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n');
    expect(proxied).toMatch(/^HTTP\/1\.1 200 /);
    const r = await fetch(`${srv.url}/api/analyses`, { method: 'POST', body: form([{ name: 'a.pcap', data: 'A' }]), headers: { Origin: 'https://natlens.example.org', Authorization: 'Bearer t' } });
    expect(r.status).toBe(202);
  });

  it('answers huge headers with 431 and closes a slow client', async () => {
    srv = await start(dataDir, { headersTimeoutMs: 500, connectionsCheckingIntervalMs: 100 });
    const huge = await raw(srv.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    const t0 = Date.now();
    const slow = await raw(srv.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 5000);
    expect(slow).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
