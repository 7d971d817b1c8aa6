import { describe, expect, test } from 'vitest';
import { analyze } from '../../src/index.js';
import { fieldSets } from '../support/field.js';

/** What each field scenario (lab.json) must be diagnosed as: the FAILURES.md check id. */
const EXPECTED: Record<string, string | null> = {
  healthy: null,
  'ip-forward-off': 'ip-forward-disabled',
  'forward-drop': 'forward-chain-drop',
  'snat-missing': 'snat-missing',
  'dnat-wrong-backend': 'dnat-backend-unreachable',
};

const sets = fieldSets();

describe.skipIf(sets.length === 0)('real field captures give the cause lab.json names', () => {
  for (const s of sets) {
    test(`${s.name} (${s.scenario})`, async () => {
      expect(Object.keys(EXPECTED)).toContain(s.scenario);
      const a = await analyze([s.dir]);
      const want = EXPECTED[s.scenario];
      const errors = a.findings.filter((f) => f.severity === 'error');
      if (want === null) {
        expect(errors).toEqual([]);
        expect(a.summary.verdict).toBe('ok');
        expect(a.flows.length).toBeGreaterThan(0);
        expect(a.flows.filter((f) => f.disposition !== 'delivered')).toEqual([]);
        // Every flow was translated exactly as the rules predict.
        for (const f of a.flows) {
          expect(f.observed?.src).toBe(f.expected?.src);
          expect(f.observed?.dst).toBe(f.expected?.dst);
        }
      } else {
        expect(a.summary.verdict).toBe('packets-stop');
        // The root cause comes first, with proof.
        expect(errors[0]?.check).toBe(want);
        expect(errors.map((f) => f.check)).toEqual([want]);
        expect(errors[0]!.evidence.some((e) => e.kind === 'frame')).toBe(true);
        expect(errors[0]!.fix.length).toBeGreaterThan(0);
        expect(errors[0]!.flows.length).toBeGreaterThan(0);
      }
    });
  }

  test('ip-forward-disabled is confirmed by the sysctl line and explains flows in both directions', async () => {
    const s = sets.find((x) => x.scenario === 'ip-forward-off')!;
    const a = await analyze([s.dir]);
    const f = a.findings[0]!;
    expect(f.confidence).toBe('confirmed');
    const sysctl = f.evidence.find((e) => e.kind === 'sysctl');
    expect(sysctl).toMatchObject({ key: 'net.ipv4.ip_forward', value: '0' });
    expect(f.fix.some((x) => x.includes('/etc/sysctl.d/'))).toBe(true);
    const flows = a.flows.filter((x) => f.flows.includes(x.id));
    expect(new Set(flows.map((x) => x.ingress)).size).toBe(2);
    for (const x of flows) expect(x.disposition).toBe('stopped-at-gateway');
  });

  test('without the sysctls the same captures make ip-forward-disabled likely, with the command that confirms it', async () => {
    const s = sets.find((x) => x.scenario === 'ip-forward-off')!;
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(s.dir)
      .filter((n) => n !== 'sysctl.txt' && n !== 'lab.json')
      .map((n) => `${s.dir}/${n}`);
    const a = await analyze(files);
    const f = a.findings[0]!;
    expect(f.check).toBe('ip-forward-disabled');
    expect(f.confidence).toBe('likely');
    expect(f.fix.join('\n')).toContain('sysctl net.ipv4.ip_forward');
  });

  test('every input is reported with its real size and SHA-256 (captures hashed while read)', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    for (const s of sets.slice(0, 3)) {
      const a = await analyze([s.dir]);
      for (const i of a.inputs) {
        const bytes = readFileSync(i.path);
        expect([i.path, i.bytes, i.sha256]).toEqual([i.path, bytes.length, createHash('sha256').update(bytes).digest('hex')]);
      }
      expect(a.inputs.filter((i) => i.kind === 'capture').length).toBeGreaterThan(0);
    }
  });

  test('the -i any capture splits per interface using ip addr', async () => {
    const s = sets.find((x) => x.name === 'ip-forward-off-any')!;
    const a = await analyze([s.dir]);
    const cap = a.inputs.find((i) => i.kind === 'capture')!;
    expect(cap.interfaces).toEqual(['eth0', 'net1']);
    expect(a.findings[0]!.check).toBe('ip-forward-disabled');
  });

  test('snat-missing names the untranslated frames on the outside', async () => {
    const s = sets.find((x) => x.scenario === 'snat-missing')!;
    const a = await analyze([s.dir]);
    const f = a.findings[0]!;
    const frames = f.evidence.filter((e) => e.kind === 'frame');
    expect(frames.length).toBeGreaterThan(0);
    for (const e of frames) if (e.kind === 'frame') expect(e.iface).toBe(a.interfaces.outside);
    for (const id of f.flows) expect(a.flows.find((x) => x.id === id)!.disposition).toBe('forwarded-untranslated');
  });
});
