/**
 * Captures stopped at slightly different moments (two tcpdumps ended by hand): packets whose copy would
 * have left after the other capture stopped are not judged lost — requests and replies alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, pcapPrefix, pcapSuffix } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const healthy = fieldSets().find((s) => s.name === 'healthy');
const tmp = mkdtempSync(join(tmpdir(), 'natlens-window-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!healthy)('capture window: real captures cut at different moments', () => {
  it('a reply that arrived on the outside just before that capture stopped, after the inside one had, is not judged lost', async () => {
    const full = await analyze([healthy!.dir]);
    const inside = full.interfaces.inside!;
    const outside = full.interfaces.outside!;
    expect(full.flows.every((f) => f.disposition === 'delivered' || f.disposition === 'local')).toBe(true);
    // The last reply that came in on the outside (to a flow from the inside) and was forwarded inside.
    const replies = full.flows.filter((f) => f.ingress === inside).flatMap((f) => f.samples.filter((p) => p.iface === outside && p.direction === 'reply' && p.match?.iface === inside).map((p) => ({ f, p })));
    expect(replies.length).toBeGreaterThan(0);
    const { f, p } = replies.sort((a, b) => a.p.frame - b.p.frame).at(-1)!;

    // The inside capture stops just before the reply's copy; the outside one just after the reply.
    const dir = editedBundle(healthy!.dir, join(tmp, 'end'), {
      [`${inside}.pcap`]: (b) => pcapPrefix(b, p.match!.frame - 1),
      [`${outside}.pcap`]: (b) => pcapPrefix(b, p.frame),
    });
    const cut = await analyze([dir]);
    const same = cut.flows.find((x) => x.original.src === f.original.src && x.original.dst === f.original.dst && x.original.sport === f.original.sport && x.proto === f.proto);
    expect(same).toBeDefined();
    expect(same!.disposition).not.toBe('partial');
    expect(same!.disposition).not.toBe('reply-not-returned');
    expect(same!.lossRate ?? 0).toBe(0);
    expect(cut.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(cut.summary.verdict).toBe('ok');
  });

  it('replies that arrived on the outside before the inside capture started are not judged lost', async () => {
    const full = await analyze([healthy!.dir]);
    const inside = full.interfaces.inside!;
    const outside = full.interfaces.outside!;
    // An inside flow with several replies: the inside capture starts just after its first reply's copy.
    const f = full.flows.find((x) => x.ingress === inside && x.samples.filter((p) => p.iface === outside && p.direction === 'reply' && p.match).length >= 3)!;
    expect(f).toBeDefined();
    const first = f.samples.find((p) => p.iface === outside && p.direction === 'reply' && p.match)!;
    const dir = editedBundle(healthy!.dir, join(tmp, 'start'), { [`${inside}.pcap`]: (b) => pcapSuffix(b, first.match!.frame) });
    const cut = await analyze([dir]);
    const same = cut.flows.find((x) => x.ingress === inside && x.original.src === f.original.src && x.original.dst === f.original.dst && x.original.sport === f.original.sport && x.proto === f.proto);
    expect(same).toBeDefined();
    expect(same!.packets[outside]!.reply).toBeGreaterThan(same!.packets[inside]!.reply);
    expect(same!.disposition).toBe('delivered');
    expect(same!.lossRate ?? 0).toBe(0);
    expect(cut.findings.filter((x) => x.severity === 'error')).toEqual([]);
  });
});
