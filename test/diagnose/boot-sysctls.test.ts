/**
 * Forwarding found off (the real ip-forward-off set), with the boot configuration in the bundle: the finding says
 * whether the fault comes back at the next reboot — as natlens's founding incident's did — and the fix changes the
 * line that brings it back. Without a boot configuration, nothing of it is said.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Finding } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';
import { LAB_AVAILABLE, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-boot-sysctls-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const set = fieldSets().find((s) => s.name === 'ip-forward-off');
let n = 0;

async function forwardingFinding(boot: string | null, drop: string[] = []): Promise<Finding> {
  const add: Record<string, Uint8Array> = boot === null ? {} : { 'boot-sysctls.txt': Buffer.from(boot) };
  const dir = editedBundle(set!.dir, join(tmp, `b${n++}`), Object.fromEntries(['lab.json', ...drop].map((f) => [f, null])), add);
  const a = await analyze([dir]);
  const f = a.findings.find((x) => x.check === 'ip-forward-disabled');
  expect(f).toBeDefined();
  return f!;
}

const bootEvidence = (f: Finding) => f.evidence.filter((e) => e.kind === 'sysctl' && e.boot !== undefined);
const DROP_IN = /> \/etc\/sysctl\.d\/(?:zz-)?99-nat-gateway-forwarding\.conf/;

describe.skipIf(!set)('ip-forward-disabled and the boot configuration', () => {
  it('nothing sets it at boot (a real Debian cat-config): said, the files read named, the drop-in file in the fix', async () => {
    const f = await forwardingFinding(readFileSync(join(REPO, 'test/fixtures/gateway/sysctl-boot/cat-config-debian12.txt'), 'utf8'));
    expect(f.confidence).toBe('confirmed');
    expect(bootEvidence(f)).toEqual([]);
    const note = f.evidence.find((e) => e.kind === 'note' && e.text.startsWith('boot configuration read:'));
    expect(note).toMatchObject({ text: expect.stringContaining('/etc/sysctl.d/99-sysctl.conf') });
    expect(note).toMatchObject({ text: expect.stringContaining('none sets net.ipv4.ip_forward') });
    // No file writes it: the drop-in keeps its name.
    expect(f.fix.some((c) => c.includes('> /etc/sysctl.d/99-nat-gateway-forwarding.conf'))).toBe(true);
    expect(f.fix.some((c) => c.startsWith('sed -i'))).toBe(false);
  });

  it("an administrator's file sets 0 at boot: cited with its line, and the fix rewrites that line, through a link too", async () => {
    const boot = '# /usr/lib/sysctl.d/50-default.conf\nkernel.sysrq = 16\n\n# /etc/sysctl.d/10-hardening.conf\nnet.ipv4.ip_forward = 0\n';
    const f = await forwardingFinding(boot);
    expect(bootEvidence(f)).toEqual([{ kind: 'sysctl', file: expect.stringMatching(/boot-sysctls\.txt$/), line: 5, key: 'net.ipv4.ip_forward', value: '0', boot: '/etc/sysctl.d/10-hardening.conf' }]);
    const sed = f.fix.find((c) => c.startsWith('sed -i'))!;
    expect(sed).toContain(' /etc/sysctl.d/10-hardening.conf');
    // The command does what it says, on a copy of that file reached through a link (Debian's 99-sysctl.conf is one).
    const target = join(tmp, 'sysctl.conf');
    writeFileSync(target, '# hardening\n  net.ipv4.ip_forward=0\nnet.ipv4.ip_forward_update_priority = 1\n');
    const link = join(tmp, '10-hardening.conf');
    symlinkSync(target, link);
    execFileSync('sh', ['-c', sed.replace('/etc/sysctl.d/10-hardening.conf', link).replace(/\s+#.*$/, '')]);
    expect(readFileSync(target, 'utf8')).toBe('# hardening\n  net.ipv4.ip_forward = 1\nnet.ipv4.ip_forward_update_priority = 1\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    // The fix order: the running value first, then the boot configuration, then apply it.
    expect(f.fix.indexOf(sed)).toBeGreaterThan(f.fix.indexOf('sysctl -w net.ipv4.ip_forward=1'));
    expect(f.fix.indexOf(sed)).toBeLessThan(f.fix.indexOf('sysctl --system'));
    expect(f.fix.some((c) => DROP_IN.test(c))).toBe(true);
  });

  it("a vendor's file sets 0: left to its package, the drop-in named to come after it", async () => {
    const f = await forwardingFinding('# /usr/lib/sysctl.d/99-zrouter-off.conf\nnet.ipv4.ip_forward = 0\n');
    expect(bootEvidence(f)).toEqual([expect.objectContaining({ value: '0', boot: '/usr/lib/sysctl.d/99-zrouter-off.conf' })]);
    expect(f.fix.some((c) => c.startsWith('sed -i'))).toBe(false);
    // Applied in the order of their names: 99-nat-… would come before 99-zrouter-off.conf and be overridden.
    expect(f.fix.find((c) => DROP_IN.test(c))).toContain('> /etc/sysctl.d/zz-99-nat-gateway-forwarding.conf');
  });

  it('net.ipv4.conf.all.forwarding = 1 at boot is the same switch: already persisted, no drop-in file', async () => {
    const f = await forwardingFinding('$ systemd-analyze cat-config sysctl.d\n# /etc/sysctl.d/99-k8s.conf\nnet.ipv4.conf.all.forwarding = 1\n$ sysctl -a\n');
    expect(bootEvidence(f)).toEqual([expect.objectContaining({ key: 'net.ipv4.conf.all.forwarding', value: '1', boot: '/etc/sysctl.d/99-k8s.conf' })]);
    expect(f.fix.some((c) => DROP_IN.test(c))).toBe(false);
    expect(f.fix).toContain('sysctl -w net.ipv4.ip_forward=1');
  });

  it('without the running sysctls, the boot configuration still tells whether it comes back', async () => {
    const f = await forwardingFinding('/etc/sysctl.d/99-sysctl.conf:# nothing here\n', ['sysctl.txt']);
    expect(f.confidence).not.toBe('confirmed');
    expect(f.evidence.some((e) => e.kind === 'note' && e.text === 'boot configuration read: /etc/sysctl.d/99-sysctl.conf; none sets net.ipv4.ip_forward')).toBe(true);
  });

  it('no boot configuration in the bundle: nothing said of boot', async () => {
    const f = await forwardingFinding(null);
    expect(bootEvidence(f)).toEqual([]);
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.startsWith('boot configuration read:'))).toBe(false);
    expect(f.fix.some((c) => DROP_IN.test(c))).toBe(true);
  });
});

describe.skipIf(!LAB_AVAILABLE)('rp-filter-drop and the boot configuration (lab rp-filter-drop)', () => {
  const dir = useLabOutput('rp-filter-drop');
  const rpFinding = async (boot: string): Promise<Finding> => {
    const d = editedBundle(dir(), join(tmp, `rp${n++}`), { 'lab.json': null }, { 'boot-sysctls.txt': Buffer.from(boot) });
    const f = (await analyze([d])).findings.find((x) => x.check === 'rp-filter-drop');
    expect(f).toBeDefined();
    return f!;
  };

  it("a vendor file makes new interfaces strict (RHEL's default.rp_filter = 1): cited, and the drop-in sets it loose", async () => {
    const f = await rpFinding('# /usr/lib/sysctl.d/50-default.conf\nnet.ipv4.conf.default.rp_filter = 1\n');
    expect(f.confidence).toBe('confirmed');
    expect(bootEvidence(f)).toEqual([expect.objectContaining({ key: 'net.ipv4.conf.default.rp_filter', value: '1', boot: '/usr/lib/sysctl.d/50-default.conf' })]);
    expect(f.fix.some((c) => c.startsWith('sed -i'))).toBe(false);
    const dropIn = f.fix.find((c) => c.includes('> /etc/sysctl.d/99-nat-gateway-rp-filter.conf'))!;
    expect(dropIn).toContain('net.ipv4.conf.default.rp_filter = 2');
    expect(dropIn).not.toContain('net.ipv4.conf.all.rp_filter');
  });

  it("systemd's loose defaults (default 2, globs 2, all left out): nothing strict at boot, nothing added to the drop-in", async () => {
    const f = await rpFinding('# /usr/lib/sysctl.d/50-default.conf\nnet.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n');
    expect(bootEvidence(f)).toEqual([expect.objectContaining({ key: 'net.ipv4.conf.default.rp_filter', value: '2' })]);
    const dropIn = f.fix.find((c) => c.includes('> /etc/sysctl.d/'))!;
    expect(dropIn).not.toContain('net.ipv4.conf.default.rp_filter');
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.startsWith('boot configuration read:'))).toBe(false);
  });
});
