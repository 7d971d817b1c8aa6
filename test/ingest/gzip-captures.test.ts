/**
 * Compressed captures (`eth0.pcap.gz`, as captures are often sent) are read decompressed, as Wireshark reads
 * them (src/ingest/gzip-source.ts): real field captures gzipped give the analysis of the plain ones; a stream
 * cut short gives what it holds with a warning; a corrupt one is an error naming the file and where.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, InputError } from '../../src/index.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';
import { pcapFile } from '../support/capture-writer.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-gzip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const have = (n: string): boolean => fieldSets().some((s) => s.name === n);
const dirOf = (n: string): string => fieldSets().find((s) => s.name === n)!.dir;

/** Field set `set` with its captures gzipped (`eth0.pcap` → `eth0.pcap.gz`), each rewritten first by `edit`. */
function gzipped(set: string, name: string, edit: (gz: Buffer) => Buffer = (b) => b): string {
  const from = dirOf(set);
  const pcaps = readdirSync(from).filter((f) => /\.pcap(ng)?$/.test(f));
  return editedBundle(
    from,
    join(tmp, name),
    Object.fromEntries(pcaps.map((f) => [f, null])),
    Object.fromEntries(pcaps.map((f) => [`${f}.gz`, edit(gzipSync(readFileSync(join(from, f))))])),
  );
}

describe.skipIf(!have('healthy') || !have('ip-forward-off'))('gzip-compressed captures', () => {
  it.each(['healthy', 'ip-forward-off', 'healthy-pcapng'].filter(have))('%s gzipped: the analysis of the plain captures', async (set) => {
    const full = await analyze([dirOf(set)]);
    const dir = gzipped(set, set);
    const a = await analyze([dir]);
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
    expect(a.interfaces).toEqual(full.interfaces);
    expect(a.warnings.map((w) => [w.code, w.file.split('/').pop()])).toEqual(full.warnings.map((w) => [w.code, w.file.split('/').pop()!.replace(/\.pcap(ng)?$/, '$&.gz')]));
    for (const i of a.inputs.filter((x) => x.kind === 'capture')) {
      // The file as given: its own size and hash; its format says it was compressed.
      const bytes = readFileSync(i.path);
      expect(i.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(i.bytes).toBe(bytes.length);
      expect(i.format).toMatch(/^pcap(ng)?\+gzip$/);
      expect(i.path.endsWith('.gz')).toBe(true);
    }
  });

  it('a gzip stream cut short (a partial download): the packets before the cut, and a truncated warning', async () => {
    const full = await analyze([gzipped('healthy', 'whole')]);
    const a = await analyze([gzipped('healthy', 'cut', (gz) => gz.subarray(0, Math.floor(gz.length * 0.6)))]);
    const w = a.warnings.filter((x) => x.code === 'truncated' && x.message.includes('gzip'));
    expect(w.length).toBeGreaterThanOrEqual(1);
    expect(w[0]!.offset).toBeGreaterThan(0);
    const packets = (x: typeof a) => x.inputs.filter((i) => i.kind === 'capture').reduce((n, i) => n + i.packets, 0);
    expect(packets(a)).toBeGreaterThan(0);
    expect(packets(a)).toBeLessThan(packets(full));
  });

  it('a corrupt gzip stream: an input error naming the file and the compressed offset, exit 2', () => {
    // A whole member, then a second whose header is garbage (an unknown compression method): the records of the
    // first are read, then the stream fails.
    const records = Array.from({ length: 300 }, (_, i) => ({ sec: 1_700_000_000 + i, frac: 0, data: new Uint8Array(60).fill(i & 255) }));
    const good = gzipSync(pcapFile({ records }));
    const path = join(tmp, 'broken.pcap.gz');
    writeFileSync(path, Buffer.concat([good, Buffer.from([0x1f, 0x8b, 0x09, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8])]));
    let err: unknown = null;
    let n = 0;
    try {
      for (const _ of openCapture(path).records()) n++;
    } catch (e) {
      err = e;
    }
    expect(n).toBe(300);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/gzip stream is corrupt near compressed byte \d+/);
    expect((err as InputError).file).toBe(path);
    expect((err as InputError).offset).toBeGreaterThan(0);
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(REPO, 'bin/natlens'), 'packets', path], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = (e as { stderr: string }).stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain('broken.pcap.gz');
  });

  it('a gzip file whose beginning does not decompress is not read, with a warning saying so', async () => {
    const dir = gzipped('healthy', 'head-corrupt', (gz) => {
      const c = Buffer.from(gz);
      for (let i = 20; i < 60 && i < c.length - 8; i++) c[i] = 0xff;
      return c;
    });
    const err = await analyze([dir]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('no-captures');
    const { discoverInputs } = await import('../../src/ingest/discover-inputs.js');
    expect(discoverInputs([dir]).warnings.filter((w) => w.code === 'unreadable-gzip').map((w) => w.file.split('/').pop()).sort()).toEqual(['eth0.pcap.gz', 'net1.pcap.gz']);
  });

  it('reads a compressed capture record by record like the plain one (natlens packets and every reader use openCapture)', () => {
    const plain = join(dirOf('healthy'), 'eth0.pcap');
    const gz = join(tmp, 'eth0.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const frames = (path: string) => {
      const c = openCapture(path);
      const out: string[] = [];
      for (const r of c.records()) out.push(`${r.frame} ${r.tsSec}.${r.tsNsec} ${r.caplen} ${Buffer.from(r.data).toString('hex')}`);
      return { format: c.format, gzip: c.gzip, out };
    };
    const a = frames(plain);
    const b = frames(gz);
    expect(b.gzip).toBe(true);
    expect(a.gzip).toBe(false);
    expect(b.format).toBe(a.format);
    expect(b.out).toEqual(a.out);
  });
});
