/**
 * `natlens analyze` on every bundle the netns lab makes: the check each scenario was built for comes first,
 * and every flow scenarios.json is sure of has its disposition (healthy: every flow delivered). Other
 * address plans, interface names and capture formats than the field's, so nothing can lean on those.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { compareWithScenario } from './expectations.js';
import { LAB_AVAILABLE, readLabJson, readScenarios, useLabOutput } from './lab-output.js';

const scenarios = readScenarios();

describe.skipIf(!LAB_AVAILABLE)('natlens analyze on the netns lab bundles', () => {
  const out = useLabOutput();

  it('rp-filter-drop: the fix names the outside interface as sysctl spells it (the lan plan\'s wan9.7 is wan9/7)', async () => {
    const dir = join(out(), 'rp-filter-drop');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings.find((x) => x.check === 'rp-filter-drop')!;
    const key = `net.ipv4.conf.${lab.outside.replace(/\./g, '/')}.rp_filter`;
    expect(f.fix[0]).toContain(`sysctl -w ${key}=2`);
    expect(f.evidence.some((e) => e.kind === 'sysctl' && e.key === key)).toBe(true);
  });

  it('upstream-no-reply: among the fixes, a gratuitous ARP for the EIP the silent flows left with (a stale MAC upstream)', async () => {
    const dir = join(out(), 'upstream-no-reply');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings.find((x) => x.check === 'upstream-no-reply')!;
    expect(f.fix.some((c) => new RegExp(`^arping -U -c 3 -I ${lab.outside.replace(/\./g, '\\.')} (${lab.addresses.eip}|${lab.addresses.eip2}) `).test(c))).toBe(true);
    // Not where the silence has another known cause: an address conflict names the other holder instead.
    const conflict = await analyze([join(out(), 'eip-conflict')]);
    expect(conflict.findings.find((x) => x.check === 'upstream-no-reply')!.fix.some((c) => c.startsWith('arping -U'))).toBe(false);
  });

  it("ip-forward-disabled: the node's boot configuration (this host's) says whether the reboot brings it back", async (ctx) => {
    const dir = join(out(), 'ip-forward-disabled');
    const boot = join(dir, 'sysctl-boot.txt');
    // The lab writes it where the host has systemd-analyze.
    if (!existsSync(boot)) ctx.skip();
    const a = await analyze([dir]);
    const f = a.findings.find((x) => x.check === 'ip-forward-disabled')!;
    // Read here without natlens: the last line that sets the switch, comments and -prefixes aside.
    const sets = readFileSync(boot, 'utf8')
      .split('\n')
      .map((l) => /^\s*-?net[./]ipv4[./](?:ip_forward|conf[./]all[./]forwarding)\s*=\s*(\S+)/.exec(l)?.[1])
      .filter((v) => v !== undefined);
    if (sets.length === 0) expect(f.evidence.some((e) => e.kind === 'note' && e.text.startsWith('boot configuration read:') && e.text.endsWith('none sets net.ipv4.ip_forward'))).toBe(true);
    else expect(f.evidence.find((e) => e.kind === 'sysctl' && e.boot !== undefined)).toMatchObject({ value: sets[sets.length - 1] });
  });

  for (const [name, want] of Object.entries(scenarios)) {
    it(`${name}: ${want.check ?? 'no error finding'}`, async () => {
      const dir = join(out(), name);
      const a = await analyze([dir]);
      expect(compareWithScenario(a, readLabJson(dir), want)).toEqual([]);
      expect(a.summary.verdict).toBe(a.findings.some((f) => f.severity === 'error') ? 'packets-stop' : 'ok');
      if (want.check === null) expect(a.summary.verdict).toBe('ok');
      // Interface roles come from the snapshot, whatever the names.
      const lab = readLabJson(dir);
      expect(a.interfaces).toMatchObject({ inside: lab.inside, outside: lab.outside });
    });
  }
});

// The bundled samples are the lab's bundles too (make-samples.sh): each must still get its scenario right, as
// `npm start` and a first-time user see it. No root needed.
const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');
const sampleDirs = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'lab.json'))).sort() : [];

describe('natlens analyze on the bundled samples', () => {
  it.each(sampleDirs)('%s: its scenario\'s check and dispositions', async (name) => {
    const dir = join(SAMPLES, name);
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    expect(compareWithScenario(a, lab, scenarios[lab.scenario]!)).toEqual([]);
  });
});
