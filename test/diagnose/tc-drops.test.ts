/**
 * Drops by tc, outside netfilter: the lab's tc-shaper bundle (a tbf shaper on the inside's egress), and the same
 * captures with the snapshot's tc listing saying an ingress policer dropped them instead — each gets the advice for
 * its own kind of qdisc.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-tc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('intermittent-drop explained by tc (lab tc-shaper)', () => {
  const dir = useLabOutput('tc-shaper');

  it('a shaper on egress: confirmed, the qdisc cited, the shaper\'s own fix', async () => {
    const inside = readLabJson(dir()).inside;
    const f = (await analyze([dir()])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['intermittent-drop', 'confirmed']);
    expect(f.evidence.some((e) => e.kind === 'interface' && e.text.startsWith(`qdisc tbf `) && e.text.includes(`dev ${inside} root`))).toBe(true);
    expect(f.fix).toContain(`tc -s qdisc show dev ${inside}  # the tbf qdisc on egress of ${inside}: its dropped count grows with the lost packets`);
    expect(f.fix.some((c) => c.startsWith('# raise the shaper\'s rate') && c.endsWith(`tc qdisc del dev ${inside} root`))).toBe(true);
  });

  it('an ingress policer (qdisc ingress, parent ffff:fff1): the policer\'s fix, not a shaper\'s', async () => {
    const outside = readLabJson(dir()).outside;
    const listing = readFileSync(join(dir(), 'tc-qdisc.txt'), 'utf8');
    const dropped = Number(/dropped (\d+)/.exec(listing.slice(listing.indexOf('qdisc tbf')))![1]);
    const ingress = Buffer.from(
      `qdisc noqueue 0: dev ${outside} root refcnt 2 \n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n` +
        `qdisc ingress ffff: dev ${outside} parent ffff:fff1 ---------------- \n Sent 90000 bytes 300 pkt (dropped ${dropped}, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n`,
    );
    const d = editedBundle(dir(), join(tmp, 'ingress'), { 'tc-qdisc.txt': () => ingress, 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['intermittent-drop', 'confirmed']);
    expect(f.detail).toContain(`the ingress qdisc on ingress of ${outside} dropped ${dropped}`);
    expect(f.fix).toContain(`tc -s filter show dev ${outside} ingress  # the policer that drops: raise its rate and burst, or remove it (tc qdisc del dev ${outside} ingress)`);
    expect(f.fix.some((c) => c.startsWith('# raise the shaper'))).toBe(false);
  });
});
