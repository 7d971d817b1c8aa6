/**
 * A capture that missed a packet (the kernel's capture buffer overflowed) must not make natlens report a
 * drop at the gateway when TCP itself proves the packet got through: the far end acknowledged it. Real
 * field captures with one forwarded TCP data segment taken out of the outside capture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, pcapWithout } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const healthy = fieldSets().find((s) => s.name === 'healthy');
const tmp = mkdtempSync(join(tmpdir(), 'natlens-tcpack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!healthy)('TCP segments whose copy the capture missed', () => {
  it('a data segment missing from the outside capture but acknowledged by the server counts as forwarded', async () => {
    const full = await analyze([healthy!.dir]);
    const inside = full.interfaces.inside!;
    const outside = full.interfaces.outside!;
    // A request segment with data (longer than bare headers) from a TCP flow the app opened.
    const flow = full.flows.find((f) => f.proto === 'tcp' && f.ingress === inside)!;
    const data = flow.samples.find((p) => p.iface === inside && p.direction === 'request' && p.length > 52 && p.summary.includes('TCP [P') && p.match?.iface === outside)!;
    expect(data).toBeDefined();

    const dir = editedBundle(healthy!.dir, join(tmp, 'missed'), { [`${outside}.pcap`]: (b) => pcapWithout(b, data.match!.frame) });
    const a = await analyze([dir]);
    const same = a.flows.find((f) => f.proto === 'tcp' && f.original.sport === flow.original.sport && f.original.src === flow.original.src)!;
    expect(same.disposition).toBe('delivered');
    expect(same.lossRate).toBe(0);
    const p = same.samples.find((x) => x.iface === inside && x.frame === data.frame)!;
    expect(p.match).toBeNull();
    expect(p.copyNotCaptured).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.warnings.map((w) => w.code)).toContain('copies-not-captured');
  });
});
