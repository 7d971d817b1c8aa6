/**
 * The boot configuration of sysctls (sysctl.d(5)) in the forms that say where each setting comes from, told apart
 * from `sysctl -a`'s running values; what it sets a key to, globs and exclusions as systemd-sysctl applies them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootSetting, isSysctlConf, parseSysctlConf } from '../../src/gateway/sysctl-conf.js';
import { sniffSnapshot } from '../../src/gateway/sniff.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { fieldSets, REPO } from '../support/field.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const FIX = join(REPO, 'test/fixtures/gateway/sysctl-boot');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');

describe('telling the boot configuration from running values', () => {
  it('systemd-analyze cat-config sysctl.d, sysctl --system, grep -r, a distribution sysctl.conf: boot configuration', () => {
    expect(sniffSnapshot(read('cat-config-debian12.txt'))).toBe('sysctl-conf');
    expect(sniffSnapshot(read('sysctl.conf-debian12'))).toBe('sysctl-conf');
    expect(sniffSnapshot('* Applying /usr/lib/sysctl.d/50-pid-max.conf ...\nkernel.pid_max = 4194304\n* Applying /etc/sysctl.conf ...\n')).toBe('sysctl-conf');
    expect(sniffSnapshot('/etc/sysctl.d/99-k8s.conf:net.ipv4.ip_forward = 1\n/etc/sysctl.d/99-k8s.conf:# routing\n')).toBe('sysctl-conf');
  });

  it('a line of 200,000 characters that is no assignment is told in one pass (it took minutes when the key pattern could split it anywhere)', () => {
    expect(sniffSnapshot(`# see /etc/sysctl.d\n${'a.'.repeat(100_000)}#\n`)).not.toBe('sysctl-conf');
  });

  it("sysctl -a and sysctl output stay running values, a comment or not", () => {
    for (const s of fieldSets()) {
      const f = join(s.dir, 'sysctl.txt');
      expect(isSysctlConf(readFileSync(f, 'utf8'))).toBe(false);
    }
    expect(sniffSnapshot('net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.forwarding = 0\n')).toBe('sysctl');
    expect(sniffSnapshot('# taken on gw-1\nnet.ipv4.ip_forward = 0\n')).toBe('sysctl');
  });
});

describe('parseSysctlConf and bootSetting', () => {
  it('cat-config: each assignment with the file that sets it, files in the order applied', () => {
    const { boot, warnings } = parseSysctlConf(read('cat-config-debian12.txt'), 'boot.txt');
    expect(warnings).toEqual([]);
    expect(boot.confFiles).toEqual(['/usr/lib/sysctl.d/50-pid-max.conf', '/usr/lib/sysctl.d/99-protect-links.conf', '/etc/sysctl.d/99-sysctl.conf']);
    expect(bootSetting(boot, 'fs.protected_regular')).toMatchObject({ value: '2', confFile: '/usr/lib/sysctl.d/99-protect-links.conf', source: { file: 'boot.txt' } });
    // Commented out in /etc/sysctl.conf: not set.
    expect(bootSetting(boot, 'net.ipv4.ip_forward')).toBeNull();
  });

  it('the last assignment wins; an explicit key beats any glob; -key keeps a key out of the globs', () => {
    const text = [
      '# /usr/lib/sysctl.d/50-default.conf',
      'net.ipv4.conf.default.rp_filter = 2',
      'net.ipv4.conf.*.rp_filter = 2',
      '-net.ipv4.conf.all.rp_filter',
      'net.ipv4.ip_forward = 0',
      '# /etc/sysctl.d/99-gw.conf',
      'net.ipv4.conf.eth0.rp_filter = 0',
      'net/ipv4/ip_forward = 1',
      'net.ipv4.conf.*.rp_filter = 1',
      '-net.ipv4.conf.net1.forwarding = 1',
    ].join('\n');
    const { boot } = parseSysctlConf(text, 'b.txt');
    expect(bootSetting(boot, 'net.ipv4.ip_forward')).toMatchObject({ value: '1', confFile: '/etc/sysctl.d/99-gw.conf', source: { line: 8 } });
    expect(bootSetting(boot, 'net.ipv4.conf.eth0.rp_filter')?.value).toBe('0');
    expect(bootSetting(boot, 'net.ipv4.conf.net1.rp_filter')).toMatchObject({ value: '1', source: { line: 9 } });
    expect(bootSetting(boot, 'net.ipv4.conf.all.rp_filter')).toBeNull();
    expect(bootSetting(boot, 'net.ipv4.conf.net1.forwarding')).toMatchObject({ value: '1', optional: true });
    // A glob matches one component: an interface whose name has a dot is one (sysctl(8) writes it with a slash).
    expect(bootSetting(boot, 'net.ipv4.conf.eth0/100.rp_filter')?.value).toBe('1');
  });

  it('globs as fnmatch(3) reads them: ? and [classes] too, never across a dot; a pattern of many stars is answered, not backtracked for minutes', () => {
    const set = (pattern: string, key: string) => bootSetting(parseSysctlConf(`# /etc/sysctl.d/g.conf\n${pattern} = 1\n`, 'g').boot, key) !== null;
    expect(set('net.ipv4.conf.eth[0-9].rp_filter', 'net.ipv4.conf.eth3.rp_filter')).toBe(true);
    expect(set('net.ipv4.conf.eth[0-9].rp_filter', 'net.ipv4.conf.ethx.rp_filter')).toBe(false);
    expect(set('net.ipv4.conf.[!e]*.rp_filter', 'net.ipv4.conf.net1.rp_filter')).toBe(true);
    expect(set('net.ipv4.conf.[!e]*.rp_filter', 'net.ipv4.conf.eth0.rp_filter')).toBe(false);
    expect(set('net.ipv4.conf.net?.forwarding', 'net.ipv4.conf.net2.forwarding')).toBe(true);
    expect(set('net.ipv4.*', 'net.ipv4.conf.all.forwarding')).toBe(false);
    expect(set('net.*.ip_forward', 'net.ipv4.ip_forward')).toBe(true);
    expect(set(`net.ipv4.conf.${'*a'.repeat(30)}*b.rp_filter`, `net.ipv4.conf.${'a'.repeat(60)}.rp_filter`)).toBe(false);
    expect(set(`net.ipv4.conf.${'*a'.repeat(30)}*b.rp_filter`, `net.ipv4.conf.${'a'.repeat(60)}b.rp_filter`)).toBe(true);
  });

  it('in a combined file, the section under `cat /etc/sysctl.d/*.conf` is boot configuration, comments or not', () => {
    const d = mkdtempSync(join(tmpdir(), 'natlens-sysctl-conf-'));
    const f = join(d, 'state.txt');
    writeFileSync(f, ['$ sysctl net.ipv4.ip_forward', 'net.ipv4.ip_forward = 0', '$ cat /etc/sysctl.d/*.conf', 'net.ipv4.ip_forward = 1', ''].join('\n'));
    const s = loadSnapshot([f], { explicit: true });
    expect(s.files).toEqual([{ path: f, kind: 'combined', sections: ['sysctl', 'sysctl-conf'] }]);
    expect(s.host.sysctls.get('net.ipv4.ip_forward')).toMatchObject({ value: '0', source: { line: 2 } });
    expect(bootSetting(s.host.bootSysctls!, 'net.ipv4.ip_forward')).toMatchObject({ value: '1', source: { file: f, line: 4 }, confFile: f });
    expect(s.warnings.filter((w) => w.code === 'sysctl-conflict')).toEqual([]);
  });
});
