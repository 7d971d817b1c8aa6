/**
 * The seed incident's sysctl as people save it when they save only it: `cat /proc/sys/net/ipv4/ip_forward >
 * ip_forward.txt`, or the file itself from a sosreport's copy of /proc/sys. On the real ip-forward-off set with
 * its `sysctl -a` output taken away, either confirms the cause, citing that file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-proc-sys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = fieldSets().find((s) => s.name === 'ip-forward-off');

describe.skipIf(!set)('ip_forward saved alone, on the real ip-forward-off set', () => {
  it('ip_forward.txt in the bundle confirms ip-forward-disabled', async () => {
    const dir = editedBundle(set!.dir, join(tmp, 'leaf'), { 'sysctl.txt': null }, { 'ip_forward.txt': Buffer.from('0\n') });
    const a = await analyze([dir]);
    expect([a.findings[0]!.check, a.findings[0]!.confidence]).toEqual(['ip-forward-disabled', 'confirmed']);
    expect(a.findings[0]!.evidence[0]).toMatchObject({ kind: 'sysctl', file: join(dir, 'ip_forward.txt'), line: 1, key: 'net.ipv4.ip_forward', value: '0' });
  });

  it('a sosreport /proc/sys file named beside the bundle confirms it too', async () => {
    const dir = editedBundle(set!.dir, join(tmp, 'tree'), { 'sysctl.txt': null });
    const leaf = join(tmp, 'sosreport-gw', 'proc', 'sys', 'net', 'ipv4');
    mkdirSync(leaf, { recursive: true });
    writeFileSync(join(leaf, 'ip_forward'), '0\n');
    const a = await analyze([dir, join(leaf, 'ip_forward')]);
    expect([a.findings[0]!.check, a.findings[0]!.confidence]).toEqual(['ip-forward-disabled', 'confirmed']);
    expect(a.inputs.find((i) => i.path === join(leaf, 'ip_forward'))?.format).toBe('sysctl');
  });
});
