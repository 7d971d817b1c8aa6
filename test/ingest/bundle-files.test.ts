/**
 * A bundle folder is read with its subfolders, by every front end alike: a bundle packed by kind (`captures/`,
 * `state/`) or wrapped in a folder of its own is one bundle; a folder of several bundles side by side is refused
 * rather than read as one gateway; links lead nowhere outside the folder, and no file is read twice.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { loadSnapshotFromInputs } from '../../src/gateway/load-snapshot.js';
import { bundleFiles, MAX_BUNDLE_DEPTH, MAX_BUNDLE_FILES } from '../../src/ingest/bundle-files.js';
import { discoverInputs } from '../../src/ingest/discover-inputs.js';
import { InputError } from '../../src/model/errors.js';
import { flowKeys } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-bundle-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const fresh = (): string => {
  const d = join(tmp, `d${n++}`);
  mkdirSync(d);
  return d;
};
const rel = (dir: string, paths: readonly string[]) => paths.map((p) => p.slice(dir.length + 1));

describe('bundleFiles', () => {
  it('lists regular files depth first, each folder sorted, subfolders included', () => {
    const d = fresh();
    for (const f of ['b.txt', 'a/z.pcap', 'a/b/c.txt', 'a-b.txt', 'c/d/e/f/g.txt']) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), 'x');
    }
    expect(rel(d, bundleFiles(d).files)).toEqual(['a/b/c.txt', 'a/z.pcap', 'a-b.txt', 'b.txt', 'c/d/e/f/g.txt']);
    expect(bundleFiles(d).warnings).toEqual([]);
  });

  it('follows a link only to a regular file inside the folder that is not listed anyway, and says why not otherwise', () => {
    const d = fresh();
    writeFileSync(join(d, 'b.txt'), 'x');
    mkdirSync(join(d, '.hidden'));
    writeFileSync(join(d, '.hidden', 'kept.txt'), 'x');
    mkdirSync(join(d, 'sub'));
    symlinkSync('/etc/passwd', join(d, 'evil'));
    symlinkSync(join(d, 'b.txt'), join(d, 'alias'));
    symlinkSync(join(d, '.hidden', 'kept.txt'), join(d, 'current.txt'));
    symlinkSync(join(d, 'nothing'), join(d, 'dangling'));
    symlinkSync(join(d, 'sub'), join(d, 'folder-link'));
    const { files, warnings } = bundleFiles(d);
    expect(rel(d, files)).toEqual(['b.txt', 'current.txt']);
    expect(warnings.map((w) => [w.code, w.file.slice(d.length + 1)])).toEqual([
      ['ignored-folder', '.hidden'],
      ['ignored-link', 'dangling'],
      ['ignored-link', 'evil'],
      ['ignored-link', 'folder-link'],
    ]);
  });

  it('says which folders and files it did not read: too deep, special', () => {
    const d = fresh();
    const deep = join(d, ...Array.from({ length: MAX_BUNDLE_DEPTH + 1 }, (_, i) => `l${i + 1}`));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'too-deep.txt'), 'x');
    writeFileSync(join(deep, '..', 'deep-enough.txt'), 'x');
    const fifo = spawnSync('mkfifo', [join(d, 'fifo')]).status === 0;
    const { files, warnings } = bundleFiles(d);
    expect(rel(d, files)).toEqual([`${Array.from({ length: MAX_BUNDLE_DEPTH }, (_, i) => `l${i + 1}`).join('/')}/deep-enough.txt`]);
    expect(warnings.map((w) => w.code)).toEqual([...(fifo ? ['ignored-special'] : []), 'ignored-folder']);
  });

  it('refuses a folder of more files than any bundle holds, rather than crawl it', () => {
    const d = fresh();
    for (let i = 0; i <= MAX_BUNDLE_FILES; i++) writeFileSync(join(d, `f${i}`), '');
    expect(() => bundleFiles(d)).toThrow(InputError);
    expect(() => bundleFiles(d)).toThrow(/more than 10000 files/);
  });
});

const set = fieldSets().find((s) => s.name === 'ip-forward-off') ?? fieldSets()[0];

/** The set's files laid out as `place(name)` says (null: left out). */
function laidOut(to: string, place: (name: string) => string | null): string {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(set!.dir)) {
    const where = place(name);
    if (where === null) continue;
    mkdirSync(join(to, where, '..'), { recursive: true });
    copyFileSync(join(set!.dir, name), join(to, where));
  }
  return to;
}

describe.skipIf(!set)('bundles in folders, as people pack them (a real field set)', () => {
  const gist = async (paths: string[]) => {
    const a = await analyze(paths);
    return { flows: flowKeys(a), findings: a.findings.map((f) => [f.check, f.confidence]) };
  };

  it('captures/ and state/ beside each other, wrapped in a folder: the analysis of the flat bundle', async () => {
    const d = laidOut(join(fresh(), 'incident-42'), (name) => (name === 'lab.json' ? null : name.endsWith('.pcap') ? `captures/${name}` : `state/${name}`));
    const want = await gist([set!.dir]);
    expect(want.flows.length).toBeGreaterThan(0);
    expect(await gist([d])).toEqual(want);
    expect(await gist([join(d, '..')])).toEqual(want);
    // The snapshot-only commands read the folder the same way.
    expect(loadSnapshotFromInputs([join(d, '..')]).rules).not.toBeNull();
  });

  it('several bundles side by side: refused, naming them, by the snapshot-only commands too', () => {
    const d = fresh();
    laidOut(join(d, 'gw-a'), (name) => name);
    laidOut(join(d, 'gw-b'), (name) => `nested/${name}`);
    let err: unknown;
    try {
      discoverInputs([d]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('usage');
    expect((err as InputError).file).toBe(d);
    expect((err as InputError).message).toContain('2 bundles side by side (gw-a, gw-b)');
    expect((err as InputError).message).toContain(`name one at a time (${join(d, 'gw-a')})`);
    // From the command line: exit 2, the folder named.
    const r = spawnSync(process.execPath, [join(REPO, 'bin/natlens'), 'analyze', d], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(d);
    expect(() => loadSnapshotFromInputs([d])).toThrow(/2 bundles side by side/);
    // Each is read on its own.
    expect(discoverInputs([join(d, 'gw-b')]).captures.length).toBeGreaterThan(0);
  });

  it('one capture per interface folder, the snapshot beside them, is one bundle', async () => {
    const d = laidOut(fresh(), (name) => (name === 'lab.json' ? null : name.endsWith('.pcap') ? `${name.replace(/\.pcap$/, '')}/${name}` : name));
    expect(await gist([d])).toEqual(await gist([set!.dir]));
  });

  it('one capture per interface folder, each with a note beside it, the snapshot beside them: one bundle', async () => {
    const d = laidOut(fresh(), (name) => (name === 'lab.json' ? null : name.endsWith('.pcap') ? `${name.replace(/\.pcap$/, '')}/${name}` : name));
    for (const itf of ['eth0', 'net1']) writeFileSync(join(d, itf, 'notes.txt'), `tcpdump -i ${itf} -w ${itf}.pcap, taken during the outage\n`);
    expect(await gist([d])).toEqual(await gist([set!.dir]));
    // The same folders, the snapshot in a folder of its own: one bundle too.
    const e = laidOut(fresh(), (name) => (name === 'lab.json' ? null : name.endsWith('.pcap') ? `${name.replace(/\.pcap$/, '')}/${name}` : `state/${name}`));
    for (const itf of ['eth0', 'net1']) writeFileSync(join(e, itf, 'notes.txt'), `tcpdump -i ${itf}\n`);
    expect(await gist([e])).toEqual(await gist([set!.dir]));
  });
});
