/**
 * Captures compressed with something other than gzip (xz, zstd, bzip2…) are named for what they are, with the
 * command that unpacks them — in a bundle a warning while the rest is analysed, alone the no-captures error,
 * named explicitly an InputError at offset 0 — never taken for an unknown binary file. Real field captures,
 * compressed by the real tools where the machine has them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { analyzeError } from '../support/input-error.js';
import { unreadCompression } from '../../src/ingest/unread-compression.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-unread-compression-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = fieldSets().find((s) => s.name === 'ip-forward-off');
const TOOLS = ['xz', 'zstd', 'bzip2'].filter((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0);

function compress(tool: string, bytes: Buffer): Buffer {
  const r = spawnSync(tool, ['-c'], { input: bytes, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${tool}: ${r.stderr}`);
  return r.stdout;
}


describe('unreadCompression', () => {
  it('knows the magics, and not gzip (read) or a capture', () => {
    expect(unreadCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]))?.name).toBe('xz');
    expect(unreadCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))?.name).toBe('zstd');
    expect(unreadCompression(Buffer.from('BZh91AY'))?.name).toBe('bzip2');
    expect(unreadCompression(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))).toBeNull();
    expect(unreadCompression(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]))).toBeNull();
  });
});

describe.skipIf(!set || TOOLS.length === 0)('captures compressed by the real tools, on the real ip-forward-off set', () => {
  for (const tool of TOOLS) {
    it(`${tool}: a warning beside the other capture; alone, no-captures naming it; named explicitly, not-a-capture at offset 0`, async () => {
      const eth0 = readFileSync(join(set!.dir, 'eth0.pcap'));
      const name = `eth0.pcap.${tool}`;
      const dir = editedBundle(set!.dir, join(tmp, tool), { 'eth0.pcap': null }, { [name]: compress(tool, eth0) });
      const a = await analyze([dir]);
      const w = a.warnings.filter((x) => x.code === 'compressed-unread');
      expect(w.map((x) => [x.file, x.offset])).toEqual([[join(dir, name), 0]]);
      expect(w[0]!.message).toContain(`${tool} -d ${join(dir, name)}`);
      const alone = join(tmp, `${tool}-alone`);
      editedBundle(dir, alone, { 'net1.pcap': null });
      const e = await analyzeError([alone]);
      expect(e.code).toBe('no-captures');
      expect(e.message).toContain(`${join(alone, name)} is ${tool}-compressed`);
      const x = await analyzeError([join(dir, name), join(dir, 'net1.pcap')]);
      expect([x.code, x.file, x.offset]).toEqual(['not-a-capture', join(dir, name), 0]);
    });
  }
});

describe.skipIf(!set || spawnSync('tar', ['--version'], { stdio: 'ignore' }).status !== 0)('a bundle packed with tar, given to the CLI', () => {
  for (const z of ['', 'z'] as const) {
    it(`tar c${z}f: named for what it is, with the command that unpacks it — alone (no-captures) or beside the captures (exit 2)`, async () => {
      const archive = join(tmp, `bundle.tar${z ? '.gz' : ''}`);
      const r = spawnSync('tar', [`c${z}f`, archive, '-C', join(set!.dir, '..'), set!.name]);
      expect(r.status).toBe(0);
      const alone = await analyzeError([archive]);
      expect(alone.code).toBe('no-captures');
      expect(alone.message).toContain(`${archive} is a tar archive: natlens reads a bundle folder and the files in it; unpack it first (tar xf ${archive}) and give the folder`);
      const beside = await analyzeError([join(set!.dir, 'eth0.pcap'), join(set!.dir, 'net1.pcap'), archive]);
      expect([beside.code, beside.file]).toEqual(['not-a-snapshot', archive]);
      expect(beside.message).toContain('a tar archive');
    });
  }
});
