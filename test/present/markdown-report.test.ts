import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/present/markdown-report.js';
import type { Analysis } from '../../src/model/analysis.js';
import { expectGolden, normalise } from './golden.js';
import { FIXED_NOW, clone, loadFixture } from './report-fixtures.js';

const DIR = '/bundle/field';

describe('renderMarkdown (fixture analyses of the field bundles)', () => {
  it('ip-forward-off: golden', () => {
    const a = loadFixture('ip-forward-off', `${DIR}/ip-forward-off`);
    expectGolden('fixture-ip-forward-off.md', normalise(renderMarkdown(a, { now: FIXED_NOW }), `${DIR}/ip-forward-off`, a.tool.version));
  });

  it('healthy: golden', () => {
    const a = loadFixture('healthy', `${DIR}/healthy`);
    expectGolden('fixture-healthy.md', normalise(renderMarkdown(a, { now: FIXED_NOW }), `${DIR}/healthy`, a.tool.version));
  });

  it('holds the verdict, cause, evidence, fix, timeline, flows, rules and inputs', () => {
    const a = loadFixture('ip-forward-off', `${DIR}/ip-forward-off`);
    const md = renderMarkdown(a, { now: FIXED_NOW });
    expect(md).toContain(a.summary.sentence);
    expect(md).toContain('`ip-forward-disabled`');
    expect(md).toContain('**confirmed**');
    expect(md).toMatch(/sysctl `sysctl\.txt:17`: `net\.ipv4\.ip_forward = 0`/);
    expect(md).toContain('`eth0.pcap frame 22`');
    expect(md).toContain('[5 pkts, 420 bytes]');
    expect(md).toContain('sysctl -w net.ipv4.ip_forward=1');
    expect(md).toContain('/etc/sysctl.d/');
    expect(md).toContain('node that runs the NAT gateway pod');
    expect(md).toContain('**Forwarding stopped** at 09:58:42.116213000');
    // One flow row per flow, with the disposition.
    for (const f of a.flows) expect(md).toMatch(new RegExp(`^\\| ${f.id} \\| ${f.proto} \\|.*\\*\\*${f.disposition}\\*\\*`, 'm'));
    expect(md).toMatch(/### Never fired \(counter zero\): 6/);
    for (const i of a.inputs) expect(md).toContain(i.sha256);
    expect(md).toContain('Window every capture covers: 2026-11-26 09:58:41.003143000 UTC → 09:58:55.211202000 (14.208 s)');
    expect(md).toContain('Report made 2026-11-26 12:00 UTC (2 hours after the last captured packet)');
  });

  it('healthy: no Kube-OVN note, no stop mark, latency per flow', () => {
    const md = renderMarkdown(loadFixture('healthy', DIR), { now: FIXED_NOW });
    expect(md).not.toContain('Kube-OVN');
    expect(md).not.toContain('Forwarding stopped');
    expect(md).toContain('No finding: nothing stops packets');
    expect(md).toMatch(/^\| f1 \| icmp \|.*\| 23 µs \|$/m);
  });

  it('says a line-of-a-file evidence kind once: the kind, where, then the line (a kernel log line, a route)', () => {
    const a = clone(loadFixture('ip-forward-off', DIR)) as { -readonly [K in keyof Analysis]: Analysis[K] } & Record<string, unknown>;
    const f = a.findings[0] as unknown as { evidence: unknown[] };
    f.evidence = [
      { kind: 'log', file: `${DIR}/dmesg.txt`, line: 2, text: '[ 8123.4] nf_conntrack: table full, dropping packet' },
      { kind: 'route', file: `${DIR}/ip-route.txt`, line: 1, text: 'default via 10.0.0.1 dev net1' },
    ];
    const md = renderMarkdown(a as Analysis, { now: FIXED_NOW });
    expect(md).toContain('- log `dmesg.txt:2`: `[ 8123.4] nf_conntrack: table full, dropping packet`');
    expect(md).toContain('- route `ip-route.txt:1`: `default via 10.0.0.1 dev net1`');
  });

  it('cannot be broken by input-derived text: no raw HTML, pipes escaped in tables', () => {
    const a = clone(loadFixture('ip-forward-off', DIR)) as { -readonly [K in keyof Analysis]: Analysis[K] } & Record<string, unknown>;
    const evil = '<script>alert(1)</script> | x `y`';
    (a.rules[0] as { text: string }).text = `-A PREROUTING -m comment --comment "${evil}" -j DNAT_FILTER`;
    (a.findings[0] as { detail: string }).detail = evil;
    (a.warnings as unknown[]) = [{ code: 'truncated', file: `${DIR}/${evil}.pcap`, offset: 4, message: evil }];
    const md = renderMarkdown(a as Analysis, { now: FIXED_NOW });
    // Outside code spans, '<' only appears escaped.
    const prose = md.replace(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
    expect(prose).not.toContain('<script>');
    expect(md).toContain('&lt;script>alert(1)&lt;/script>');
    // Every table row still has the same number of cells as its header.
    const rows = md.split('\n').filter((l) => l.startsWith('| `') && l.includes('PREROUTING'));
    expect(rows.length).toBe(1);
    expect(rows[0]!.split(/(?<!\\)\|/).length).toBe(7);
  });
});
