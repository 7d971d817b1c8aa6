/**
 * A gateway that also runs Docker (lab docker-forward-drop): dockerd puts FORWARD's policy at DROP each time it
 * starts. The fix is Docker's own — ACCEPT rules in DOCKER-USER, which it leaves alone — not `-P FORWARD ACCEPT`,
 * which its next start undoes.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';

describe.skipIf(!LAB_AVAILABLE)('Docker on the gateway (lab docker-forward-drop)', () => {
  const bundle = useLabOutput('docker-forward-drop');

  it("names Docker's FORWARD chain and lets the flows through DOCKER-USER, both ways", async () => {
    const lab = readLabJson(bundle());
    const a = await analyze([bundle()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    expect(f.detail).toContain("The FORWARD chain is Docker's");
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'rule', chain: 'FORWARD', text: '-A FORWARD -j DOCKER-USER' }));
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'policy', chain: 'FORWARD', policy: 'DROP' }));
    const { inside: I, outside: E } = lab;
    // Flows went both ways (the app out, the client in to its floating IP): each way accepted whole.
    const users = f.fix.filter((c) => c.startsWith('iptables -I DOCKER-USER'));
    expect(users).toHaveLength(2);
    expect(users).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^iptables -I DOCKER-USER -i ${I} -o ${E} -j ACCEPT `)),
        expect.stringMatching(new RegExp(`^iptables -I DOCKER-USER -i ${E} -o ${I} -j ACCEPT `)),
      ]),
    );
    expect(f.fix.some((c) => /-P FORWARD ACCEPT/.test(c))).toBe(false);
  });
});
