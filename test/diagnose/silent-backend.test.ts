/**
 * upstream-no-reply when the destination is up and reaches back through the gateway (lab backend-silent): the
 * backend's own traffic passes both ways, so the silence is the backend dropping the requests, not its route back.
 * And the backend that refuses with a TCP reset (lab port-forward-wrong-port): the gateway delivered the packets, so a
 * warning that names the port forward's rule, not an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-silent-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('a backend that drops in silence (lab backend-silent)', () => {
  const dir = useLabOutput('backend-silent');

  it('names the backend as up and reaching back, with its own flow as evidence, and what to look at on it', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['upstream-no-reply', 'likely']);
    const own = a.flows.find((x) => x.proto === 'icmp' && x.original.src === lab.addresses.app2 && x.original.dst === lab.addresses.remote)!;
    expect(own.disposition).toBe('delivered');
    expect(f.detail).toContain(`${lab.addresses.app2} is up and routes back through this gateway — ${own.id}, from ${lab.addresses.app2}, passes both ways`);
    expect(f.detail).toContain('A closed TCP port would have answered with a reset');
    expect(f.detail).toMatch(/the stop is on the backend\.$/);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.includes(`${own.id}: ${lab.addresses.app2} sends its own traffic through the gateway`))).toBe(true);
    expect(f.fix[0]).toMatch(new RegExp(`^# on ${lab.addresses.app2.replace(/\./g, '\\.')}: iptables -S INPUT; nft list ruleset; ss -lntu — what drops the requests to .*tcp/${lab.ports.app2Tcp}`));
  });

  it('names only the silent backend\'s flows: the floating IP\'s, to another backend, stay delivered', async () => {
    // The floating IP's backend (app) is not the silent one: its flows stay delivered, and no finding names it.
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    expect(a.findings[0]!.flows.every((id) => a.flows.find((x) => x.id === id)!.observed!.dst === lab.addresses.app2)).toBe(true);
  });
});

describe.skipIf(!LAB_AVAILABLE)('a port forward to a port nothing listens on (lab port-forward-wrong-port)', () => {
  it('a confirmed warning naming the backend, its port and the DNAT rule; the verdict stays "ok"', async () => {
    const dir = join(await labOutput(), 'port-forward-wrong-port');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    expect(a.summary.verdict).toBe('ok');
    const wrong = lab.ports.app2Tcp + 1;
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence, f.title]).toEqual(['upstream-no-reply', 'warning', 'confirmed', `${lab.addresses.app2} refuses connections to port ${wrong} (TCP reset)`]);
    const fwd = a.flows.filter((x) => x.proto === 'tcp' && x.original.dst === lab.addresses.eip2 && x.original.dport === lab.ports.forwardTcp);
    expect(fwd.length).toBe(2);
    expect([...f.flows].sort()).toEqual(fwd.map((x) => x.id).sort());
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', chain: 'SHARED_DNAT' });
    expect(f.evidence.filter((e) => e.kind === 'frame' && e.summary.includes('with a reset')).length).toBe(2);
    expect(f.fix[1]).toBe(`iptables -t nat -S SHARED_DNAT  # the port forward: --to-destination ${lab.addresses.app2}:<the port the service listens on>`);
  }, LAB_WAIT_MS);

  it('healthy bundles hold no such warning: a reset after a SYN-ACK is not a refusal', async () => {
    const a = await analyze([join(await labOutput(), 'conntrack-flushed-loose')]);
    expect(a.findings.filter((x) => x.check === 'upstream-no-reply' && x.title.includes('refuses connections'))).toEqual([]);
  }, LAB_WAIT_MS);
});
