import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/model/analysis.js';
import { renderHtml } from '../../src/present/html-report.js';
import { FIXED_NOW, clone, loadFixture } from './report-fixtures.js';

const DIR = '/bundle/field/ip-forward-off';

/** Writable view of a deep-cloned fixture, to plant hostile strings. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function hostile(): Analysis {
  const a = clone(loadFixture('ip-forward-off', DIR)) as unknown as Mutable<Analysis>;
  const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';
  const rule = a.rules.find((r) => r.line === 18)!;
  rule.text = `-A EXCLUSIVE_SNAT -s 10.0.4.10/32 -m comment --comment "${evil}" -j SNAT --to-source 203.0.113.71`;
  // An interface name and a file name from the input, everywhere they appear.
  const ifaceEvil = `eth0${evil}`;
  const json = JSON.stringify(a).replaceAll('"eth0"', JSON.stringify(ifaceEvil)).replaceAll(`${DIR}/net1.pcap`, JSON.stringify(`${DIR}/net1${evil}.pcap`).slice(1, -1));
  const b = JSON.parse(json) as Mutable<Analysis>;
  b.findings[0]!.title = evil;
  b.findings[0]!.fix = [`echo '${evil}'`];
  b.warnings = [{ code: 'truncated', file: `${DIR}/${evil}`, offset: 12, message: evil }];
  return b as unknown as Analysis;
}

describe('renderHtml', () => {
  const a = loadFixture('ip-forward-off', DIR);
  const html = renderHtml(a, { now: FIXED_NOW });

  it('is one document with every section of the postmortem', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<h1>/g)).toHaveLength(1);
    for (const id of ['summary', 'root-cause', 'timeline', 'flows', 'rules', 'inputs']) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('ip-forward-disabled');
    expect(html).toContain('<code>net.ipv4.ip_forward = 0</code>');
    expect(html).toContain('sysctl -w net.ipv4.ip_forward=1');
    expect(html).toContain('node that runs the NAT gateway pod');
    // One flow row per flow, one input row per input.
    expect(html.match(/<tr><td class="mono">f\d+<div class="sub">/g)).toHaveLength(a.flows.length);
    for (const i of a.inputs) expect(html).toContain(i.sha256);
    expect(html).toContain('@media print');
  });

  it('draws the timeline: one lane per interface, a tick per sampled packet, a mark per missing copy, the stop line', () => {
    const svg = /<svg class="timeline"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(svg.match(/class="tl-lane"/g)).toHaveLength(2);
    const ticks = a.flows.reduce((n, f) => n + f.samples.length, 0);
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="2.4"/g)).toHaveLength(ticks);
    // 28 judged requests arrived and had no copy: 28 hollow marks on the other lane.
    expect(svg.match(/<circle /g)).toHaveLength(28);
    expect(svg).toContain('forwarding stopped · eth0 frame 19');
  });

  it('is self-contained: no script, no external reference of any kind', () => {
    for (const doc of [html, renderHtml(loadFixture('healthy', DIR), { now: FIXED_NOW }), renderHtml(hostile(), { now: FIXED_NOW })]) {
      expect(doc).not.toMatch(/<script/i);
      expect(doc).not.toMatch(/<(link|img|iframe|object|embed|audio|video|source)\b/i);
      expect(doc).not.toMatch(/@import/i);
      expect(doc).not.toMatch(/url\(/i);
      expect(doc).not.toMatch(/https?:\/\//i);
      for (const m of doc.matchAll(/\s(src|href|xlink:href|srcset|action)\s*=\s*"([^"]*)"/gi)) {
        expect(m[1]).toBe('href');
        expect(m[2]!.startsWith('#')).toBe(true);
      }
    }
  });

  it('escapes every input-derived string (rule comment, interface name, file name, finding text, fix, warning)', () => {
    const doc = renderHtml(hostile(), { now: FIXED_NOW });
    expect(doc).not.toContain('<script');
    expect(doc).not.toContain('<img');
    expect(doc).not.toMatch(/onerror=alert\(1\)>/);
    expect(doc).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // The rule comment, the interface name (lanes, tables), the file name and the fix all appear, escaped.
    expect(doc).toContain('--comment &quot;&lt;script&gt;');
    expect(doc).toMatch(/class="tl-lane">eth0&lt;script&gt;/);
    expect(doc).toContain('net1&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;.pcap');
    expect(doc).toContain('echo &#39;&lt;script&gt;');
  });
});
