import { mkdtemp, readdir, readFile, rm, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError, checkEntry, extractTarSafely } from '../../../src/present/http/safe-tar.js';
import { makeTar, makeTarBomb, makeTarGz, type TarEntry } from './tar-fixture.js';

const LIMITS = { maxEntries: 50, maxBytes: 1 << 20, maxDepth: 6 };

describe('checkEntry', () => {
  it.each([
    ['eth0.pcap', 'File'],
    ['./bundle/eth0.pcap', 'File'],
    ['bundle/', 'Directory'],
    ['./', 'Directory'],
    ['a/b/c/d/e/f', 'File'],
  ])('accepts %s (%s)', (p, t) => {
    expect(checkEntry(p, t, 6)).toBeNull();
  });
  it.each([
    ['../etc/passwd', 'File'],
    ['bundle/../../x', 'File'],
    ['/etc/passwd', 'File'],
    ['a//b', 'File'],
    ['a/./b', 'File'],
    ['a\\..\\b', 'File'],
    ['a\0b', 'File'],
    ['link', 'SymbolicLink'],
    ['hard', 'Link'],
    ['dev', 'CharacterDevice'],
    ['blk', 'BlockDevice'],
    ['fifo', 'FIFO'],
    ['a/b/c/d/e/f/g', 'File'],
  ])('refuses %j (%s)', (p, t) => {
    expect(checkEntry(p, t, 6)).toEqual(expect.any(String));
  });
});

describe('extractTarSafely', () => {
  let dir: string;
  let dest: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'natlens-tar-'));
    dest = path.join(dir, 'a', 'dest');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function extract(buf: Buffer, name = 'bundle.tar') {
    const file = path.join(dir, name);
    await writeFile(file, buf);
    return extractTarSafely(file, dest, name, LIMITS);
  }
  async function rejection(buf: Buffer): Promise<ArchiveError> {
    const e = await extract(buf).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ArchiveError);
    return e as ArchiveError;
  }

  it('extracts regular files and folders of a gzip tarball, with sane modes', async () => {
    const r = await extract(
      makeTarGz([
        { path: 'bundle/', type: '5' },
        { path: 'bundle/eth0.pcap', data: 'abc', mode: 0o4777 },
        { path: 'bundle/sysctl.txt', data: 'net.ipv4.ip_forward = 1\n' },
        { path: 'bundle/._eth0.pcap', data: 'mac junk' },
      ]),
      'b.tar.gz',
    );
    expect(r.files).toEqual(['bundle/eth0.pcap', 'bundle/sysctl.txt']);
    expect(r.bytes).toBe(3 + 24 + 8);
    expect(r.skipped).toEqual(['bundle/._eth0.pcap']);
    expect(await readFile(path.join(dest, 'bundle/eth0.pcap'), 'utf8')).toBe('abc');
    expect((await lstat(path.join(dest, 'bundle/eth0.pcap'))).mode & 0o7777).toBe(0o644);
    expect(await readdir(path.join(dest, 'bundle'))).toEqual(['eth0.pcap', 'sysctl.txt']);
  });

  const hostile: [string, TarEntry[], string][] = [
    ['a .. path', [{ path: 'ok.txt', data: 'x' }, { path: '../escaped.txt', data: 'evil' }], 'unsafe-entry'],
    ['a nested .. path', [{ path: 'b/../../escaped.txt', data: 'evil' }], 'unsafe-entry'],
    ['an absolute path', [{ path: `/tmp/natlens-escaped-${process.pid}.txt`, data: 'evil' }], 'unsafe-entry'],
    ['a symlink', [{ path: 'link', type: '2', linkpath: '/etc' }, { path: 'link/escaped.txt', data: 'evil' }], 'unsafe-entry'],
    ['a hardlink', [{ path: 'hard', type: '1', linkpath: '/etc/passwd' }], 'unsafe-entry'],
    ['a char device', [{ path: 'null', type: '3' }], 'unsafe-entry'],
    ['a FIFO', [{ path: 'fifo', type: '6' }], 'unsafe-entry'],
    ['too many entries', Array.from({ length: 60 }, (_, i) => ({ path: `f${i}`, data: 'x' })), 'too-many-entries'],
    ['too many bytes', [{ path: 'a', data: Buffer.alloc(700_000) }, { path: 'b', data: Buffer.alloc(700_000) }], 'too-large'],
  ];
  it.each(hostile)('refuses %s, naming the entry, and writes nothing outside', async (_label, entries, code) => {
    const e = await rejection(makeTar(entries));
    expect(e.code).toBe(code);
    expect(e.archive).toBe('bundle.tar');
    expect(await readdir(dir)).toEqual(['a', 'bundle.tar']);
    expect(await readdir(path.join(dir, 'a'))).toEqual(['dest']);
    await expect(lstat(`/tmp/natlens-escaped-${process.pid}.txt`)).rejects.toThrow();
    // The first bad entry stops the extraction: nothing from it or after it is written.
    const written = await readdir(dest, { recursive: true });
    expect(written.filter((f) => f.includes('escaped') || f === 'link' || f === 'hard' || f === 'null' || f === 'fifo')).toEqual([]);
    expect(written.length).toBeLessThanOrEqual(LIMITS.maxEntries);
  });

  it('stops a decompression bomb at the size limit without inflating it all', async () => {
    const bomb = await makeTarBomb(256 << 20); // 256 MiB of zeros, ~250 KB compressed
    expect(bomb.length).toBeLessThan(1 << 20);
    const t0 = Date.now();
    const e = await rejection(bomb);
    expect(e.code).toBe('too-large');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await readdir(dest)).toEqual([]);
  });

  it('calls a file that is no tar a bad archive', async () => {
    const e = await rejection(Buffer.from('this is not a tarball at all, just text\n'.repeat(40)));
    expect(e.code).toBe('bad-archive');
  });
});
