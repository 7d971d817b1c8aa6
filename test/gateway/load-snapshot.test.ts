import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFiles } from '../../src/ingest/bundle-files.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { parseIptablesSave } from '../../src/gateway/iptables-save.js';
import { sniffSnapshot } from '../../src/gateway/sniff.js';
import { InputError } from '../../src/model/errors.js';
import { LAB, lab } from './helpers.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'natlens-gw-'));
}

function thrown(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('sniffSnapshot', () => {
  it.each([
    ['legacy-save-c.txt', 'iptables-save'],
    ['legacy-ip6-save-c.txt', 'ip6tables-save'],
    ['nft-save-with-legacy-warning.txt', 'iptables-save'],
    ['legacy-L-nat.txt', 'iptables-list'],
    ['legacy-S-all.txt', 'iptables-S'],
    ['legacy-S-nat.txt', 'iptables-S'],
    ['ip-addr.txt', 'ip-addr'],
    ['ip-addr-pretty.json', 'ip-addr'],
    ['ip-route-all.txt', 'ip-route'],
    ['ip-route-all.json', 'ip-route'],
    ['ip-neigh.txt', 'ip-neigh'],
    ['ip-neigh.json', 'ip-neigh'],
    ['conntrack.txt', 'conntrack'],
    ['sysctl.txt', 'sysctl'],
    ['rules.v4', 'iptables-save'],
  ])('%s → %s', (file, kind) => {
    expect(sniffSnapshot(lab(file))).toBe(kind);
  });

  it.each([
    ['# natlens bundle\nThis folder holds the captures of the incident.\nSee 10.0.4.0/24 dev eth0 for details.\n'],
    ['{"scenario":"healthy"}'],
    ['[]'],
    ['abc\0def'],
    [''],
  ])('ignores %j', (text) => {
    expect(sniffSnapshot(text)).toBe('ignored');
  });
});

describe('loadSnapshot: garbage', () => {
  const dir = tmp();
  const bin = join(dir, 'core');
  writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x0a, 0x0a, 0x00, 0x01, 0x02]));
  const text = join(dir, 'README');
  writeFileSync(text, 'Bundle for ticket 42.\nCaptured on the gateway at noon.\n');
  const cut = join(dir, 'save-cut.txt');
  writeFileSync(cut, lab('legacy-save-c.txt').split('\n').slice(0, 12).join('\n'));

  it('a binary file named explicitly is an InputError with file and line', () => {
    const e = thrown(() => loadSnapshot([bin], { explicit: true }));
    expect([e.code, e.file, e.line]).toEqual(['binary-file', bin, 3]);
  });

  it('random text named explicitly is not-a-snapshot with its first line', () => {
    const e = thrown(() => loadSnapshot([text], { explicit: true }));
    expect([e.code, e.file, e.line]).toEqual(['not-a-snapshot', text, 1]);
  });

  it('in a bundle both are listed as ignored with a reason, not fatal', () => {
    const s = loadSnapshot(bundleFiles(dir).files, { explicit: false });
    expect(s.files.map((f) => [f.path, f.kind, typeof f.reason])).toEqual([
      [text, 'ignored', 'string'],
      [bin, 'ignored', 'string'],
      [cut, 'iptables-save', 'undefined'],
    ]);
  });

  it('a truncated iptables-save (no COMMIT) keeps its rules and warns with the line', () => {
    const s = loadSnapshot([cut], { explicit: true });
    // Lines 7-12 are the first six INPUT rules.
    expect(s.rules!.tables.filter!.chains[0]!.rules.length).toBe(6);
    expect(s.warnings.filter((w) => w.code === 'truncated')).toEqual([{ code: 'truncated', file: cut, line: 12, message: expect.stringMatching(/COMMIT/) }]);
  });

  it('unreadable lines are warnings with their line; the rest parses', () => {
    const r = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\nthis is not iptables\n-A INPUT -j ACCEPT\n-A INPUT -j NO_SUCH_CHAIN\nCOMMIT\n', 'f');
    expect(r.warnings.map((w) => [w.code, w.line])).toEqual([
      ['parse', 3],
      ['unknown-target', 5],
    ]);
    expect(r.ruleset.tables.filter!.chains[0]!.rules.map((x) => x.target.kind)).toEqual(['ACCEPT', 'unknown']);
    expect(r.ruleset.backend).toBe('unknown');
  });

  it('an explicit empty file is noted, not an error (an empty `conntrack -L` is normal)', () => {
    const e = join(dir, 'empty');
    writeFileSync(e, '');
    const s = loadSnapshot([e], { explicit: true });
    expect(s.files).toEqual([{ path: e, kind: 'ignored', reason: 'empty file' }]);
    expect(s.warnings.map((w) => w.code)).toEqual(['empty-file']);
  });
});

describe('loadSnapshot: reconciliation', () => {
  it('reports disagreements between save and listing (rule count, counters)', () => {
    const dir = tmp();
    copyFileSync(join(LAB, 'legacy-save-c.txt'), join(dir, 'a'));
    const listing = lab('legacy-Lx-nat.txt')
      .replace(/^1\s+200\s+12000 DNAT_RULES/m, '1           201    12060 DNAT_RULES')
      .split('\n')
      .filter((l) => !/^5\s.*8443/.test(l))
      .join('\n');
    writeFileSync(join(dir, 'b'), listing);
    const s = loadSnapshot(bundleFiles(dir).files, { explicit: false });
    expect(s.disagreements.map((d) => [d.table, d.chain, d.a.file.endsWith('/a'), d.b?.file.endsWith('/b')])).toEqual([
      ['nat', 'PREROUTING', true, true],
      ['nat', 'DNAT_RULES', true, true],
    ]);
    expect(s.disagreements[0]!.message).toMatch(/counters/);
    expect(s.disagreements[1]!.message).toMatch(/5 rules in one form and 4/);
    // The save form is used, the listing only compared.
    expect(s.rules!.tables.nat!.chains[0]!.source.file.endsWith('/a')).toBe(true);
  });

  it('prefers legacy iptables-save over an nft one that warns about legacy tables', () => {
    const dir = tmp();
    copyFileSync(join(LAB, 'nft-save-with-legacy-warning.txt'), join(dir, '1'));
    copyFileSync(join(LAB, 'legacy-save-c.txt'), join(dir, '2'));
    const s = loadSnapshot(bundleFiles(dir).files, { explicit: false });
    expect(s.rules!.backend).toBe('legacy');
    expect(s.rules!.legacyTablesPresent?.file.endsWith('/1')).toBe(true);
    expect(s.rules!.tables.nat!.chains.find((c) => c.name === 'DNAT_RULES')!.rules.length).toBe(5);
    expect(s.disagreements.length).toBeGreaterThan(0);
  });
});

describe('loadSnapshot: one value in a file the path names (a copy of /proc/sys)', () => {
  it('takes the key from a /proc/sys tree, a dotted name or ip_forward alone, cited at the value line', () => {
    const d = tmp();
    const tree = join(d, 'sosreport-gw', 'proc', 'sys', 'net', 'ipv4', 'conf', 'eth0.100');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'rp_filter'), '1\n');
    writeFileSync(join(d, 'net.ipv4.conf.all.rp_filter.txt'), '2\n');
    writeFileSync(join(d, 'ip_forward'), '\n0\n');
    writeFileSync(join(d, 'net.ipv4.ip_local_port_range'), '32768\t60999\n');
    const paths = [join(tree, 'rp_filter'), join(d, 'net.ipv4.conf.all.rp_filter.txt'), join(d, 'ip_forward'), join(d, 'net.ipv4.ip_local_port_range')];
    const s = loadSnapshot(paths, { explicit: true });
    expect(s.files.map((f) => f.kind)).toEqual(['sysctl', 'sysctl', 'sysctl', 'sysctl']);
    const got = Object.fromEntries([...s.host.sysctls.values()].map((x) => [x.key, [x.value, x.source.line]]));
    expect(got).toEqual({
      // sysctl(8) spells a dot inside an interface name as a slash.
      'net.ipv4.conf.eth0/100.rp_filter': ['1', 1],
      'net.ipv4.conf.all.rp_filter': ['2', 1],
      'net.ipv4.ip_forward': ['0', 2],
      'net.ipv4.ip_local_port_range': ['32768 60999', 1],
    });
    expect(s.warnings).toEqual([]);
  });

  it('a lone value in a file its path does not name is no snapshot (and never a route: `ip route` prints no bare destination)', () => {
    const d = tmp();
    writeFileSync(join(d, 'out.txt'), '0\n');
    expect(sniffSnapshot('0\n')).toBe('ignored');
    expect(sniffSnapshot('10.0.0.0/8\n')).toBe('ignored');
    expect(thrown(() => loadSnapshot([join(d, 'out.txt')], { explicit: true })).code).toBe('not-a-snapshot');
    // A file the path names but holding more than one value is read for what it is.
    writeFileSync(join(d, 'ip_forward'), 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 1\n');
    expect(loadSnapshot([join(d, 'ip_forward')], { explicit: true }).host.sysctls.get('net.ipv4.ip_forward')?.value).toBe('1');
  });
});
