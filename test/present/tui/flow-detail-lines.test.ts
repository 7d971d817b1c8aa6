import { describe, expect, it } from 'vitest';
import { buildFlowDetail, flowLanes, laneRows, translationLines } from '../../../src/present/tui/flow-detail-lines.js';
import { lineText } from '../../../src/present/tui/text-line.js';
import { fixture } from './tui-fixtures.js';

const b = fixture('delivered-and-partial');
const a = fixture('ip-forward-off');

describe('flow lanes', () => {
  it('joins each packet to its copy on the other interface, request and reply', () => {
    const h1 = b.flows.find((f) => f.id === 'h1')!;
    const rows = laneRows(h1, 'eth0');
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.matched && r.left && r.right)).toBe(true);
    // Requests go eth0 → net1 (frame 24 → 12), replies come back net1 → eth0 (15 → 25).
    expect([rows[0]!.left!.frame, rows[0]!.right!.frame, rows[0]!.from]).toEqual([24, 12, 'left']);
    expect([rows[1]!.right!.frame, rows[1]!.left!.frame, rows[1]!.from]).toEqual([15, 25, 'right']);
    expect(rows[0]!.latencyNs).toBe(11000);
  });

  it('marks the request whose copy never appeared', () => {
    const h2 = b.flows.find((f) => f.id === 'h2')!;
    const lost = laneRows(h2, 'eth0').filter((r) => !r.matched);
    expect(lost.map((r) => [r.left?.frame, r.right])).toEqual([[50, null]]);
    const text = buildFlowDetail(b, h2, 100);
    const lines = Array.from({ length: text.size }, (_, i) => lineText(text.line(i)));
    expect(lines.find((l) => l.includes('#50 '))).toContain('no copy ✖');
    expect(lines.find((l) => l.includes('#20 '))).toMatch(/#20 .*▶ #10 /);
  });

  it('shows frame numbers of a long capture whole (seven digits), at 80 columns as at 160', () => {
    const h1 = b.flows.find((f) => f.id === 'h1')!;
    const big = { ...h1, samples: h1.samples.map((p) => ({ ...p, frame: p.frame + 1_234_000, ...(p.match ? { match: { ...p.match, frame: p.match.frame + 1_234_000 } } : {}) })) };
    for (const width of [80, 160]) {
      const text = buildFlowDetail(b, big, width);
      const lines = Array.from({ length: text.size }, (_, i) => lineText(text.line(i)));
      for (const p of big.samples) expect(lines.some((l) => l.includes(`#${p.frame} `)), `#${p.frame} at ${width}`).toBe(true);
      expect(lines.join('\n')).not.toMatch(/#\d+…/);
    }
  });

  it('shows a packet whose copy the capture missed but TCP acknowledged as forwarded, not lost', () => {
    const h2 = b.flows.find((f) => f.id === 'h2')!;
    const acked = { ...h2, samples: h2.samples.map((p) => (p.frame === 50 && p.iface === 'eth0' ? { ...p, copyNotCaptured: true } : p)) };
    const row = laneRows(acked, 'eth0').find((r) => r.left?.frame === 50)!;
    expect([row.matched, row.copyNotCaptured]).toEqual([false, true]);
    const text = buildFlowDetail(b, acked, 100);
    const lines = Array.from({ length: text.size }, (_, i) => lineText(text.line(i)));
    expect(lines.find((l) => l.includes('#50 '))).toContain('unseen ▷');
    expect(lines.find((l) => l.includes('#50 '))).not.toContain('no copy');
  });

  it('points a crossing the flow\'s way even when only the later copy was kept (its partner shown by frame number)', () => {
    const h1 = b.flows.find((f) => f.id === 'h1')!;
    // Only net1's packets kept: a request there is the copy of an eth0 arrival, a reply there the arrival.
    const onlyNet1 = { ...h1, samples: h1.samples.filter((p) => p.iface === 'net1') };
    const rows = laneRows(onlyNet1, 'eth0');
    expect(rows.every((r) => r.left === null && r.leftFrame !== null)).toBe(true);
    expect(rows.map((r) => [r.right!.direction, r.from])).toEqual(rows.map((r) => [r.right!.direction, r.right!.direction === 'request' ? 'left' : 'right']));
    const text = buildFlowDetail(b, onlyNet1, 100);
    const lines = Array.from({ length: text.size }, (_, i) => lineText(text.line(i)));
    expect(lines.find((l) => l.includes('#12 '))).toMatch(/#24 .*▶ #12 /);
  });

  it('shows the pieces a merged arrival left as (segmentation offload) joined to it, the arrival once', () => {
    const h1 = b.flows.find((f) => f.id === 'h1')!;
    const req = h1.samples.find((p) => p.iface === 'eth0' && p.direction === 'request' && p.match)!;
    const copy = h1.samples.find((p) => p.iface === req.match!.iface && p.frame === req.match!.frame)!;
    const back = { file: req.file, iface: req.iface, frame: req.frame, latencyNs: 12000 };
    const later = (ns: number, frame: number) => ({ ...copy, frame, time: copy.time.replace(/\d{3}Z$/, `${ns}Z`), offload: 'piece' as const, match: back });
    const cut = {
      ...h1,
      samples: [
        { ...req, offload: 'merged' as const },
        { ...copy, offload: 'piece' as const },
        later(901, 501),
        later(902, 502),
        { ...later(903, 503), match: null },
      ],
    };
    const rows = laneRows(cut, 'eth0');
    expect(rows.filter((r) => r.left?.frame === req.frame)).toHaveLength(1);
    expect(rows.filter((r) => r.leftFrame === req.frame).map((r) => r.right!.frame)).toEqual([501, 502]);
    const text = buildFlowDetail(b, cut, 100);
    const lines = Array.from({ length: text.size }, (_, i) => lineText(text.line(i)));
    expect(lines.find((l) => l.includes('#501 '))).toMatch(new RegExp(`#${req.frame} .*▶ #501 `));
    expect(lines.find((l) => l.includes('#503 '))).toContain('piece ▷');
    expect(lines.find((l) => l.includes('#503 '))).not.toContain('no copy');
  });

  it('puts the ingress interface on the left', () => {
    const f03 = a.flows.find((f) => f.id === 'f03')!;
    expect(flowLanes(a, f03)).toEqual({ left: 'net1', right: 'eth0' });
  });
});

describe('translation', () => {
  it('flags an observed address that differs from the expected one, and allows a remapped echo id', () => {
    const h2 = b.flows.find((f) => f.id === 'h2')!;
    const t = translationLines(h2, 100, 'net1').map(lineText);
    expect(t.find((l) => l.includes('src'))).toMatch(/10\.0\.4\.10\s+203\.0\.113\.71\s+203\.0\.113\.99 ≠ expected/);
    const h1 = b.flows.find((f) => f.id === 'h1')!;
    const t1 = translationLines(h1, 100, 'net1').map(lineText);
    expect(t1.find((l) => l.includes('echo id'))).toMatch(/20506\s+20506\s+59803 remapped \(allowed\)/);
    expect(t1.join('\n')).toContain('iptables-save.txt:21 nat SHARED_SNAT');
  });

  it('names the NAT rewrite from the trace when the analysis has no expected translation', () => {
    const f03 = a.flows.find((f) => f.id === 'f03')!;
    const t = translationLines({ ...f03, expected: null }, 100, 'eth0').map(lineText).join('\n');
    expect(t).toContain('DNAT rule');
    expect(t).toContain('iptables-save.txt:17');
  });
});
