import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runRules } from '../../src/cli/rules-command.js';
import { InputError } from '../../src/model/errors.js';
import { FIELD, LAB, fieldScenarios } from '../gateway/helpers.js';

function capture(f: () => number): { code: number; out: string } {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    return { code: f(), out };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('natlens rules', () => {
  it('prints the lab rule set as a tree within 80 columns, jumps nested, counters and lines', () => {
    const { code, out } = capture(() => runRules([join(LAB, 'legacy-save-c.txt')], {}));
    expect(code).toBe(0);
    for (const l of out.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    const lines = out.split('\n');
    const fwd = lines.findIndex((l) => l.startsWith('FORWARD  policy DROP  30 pkt 2088 B'));
    expect(fwd).toBeGreaterThan(0);
    // LOGDROP is nested under the first rule that jumps to it, and referred to by the goto.
    const jump = lines.findIndex((l) => /^ {2}6\. {2}6 pkt 360 B {2}→ LOGDROP/.test(l));
    expect(jump).toBeGreaterThan(fwd);
    expect(lines.slice(jump, jump + 4).some((l) => /^ {6}LOGDROP\s+legacy-save-c\.txt:\d+$/.test(l))).toBe(true);
    expect(out).toContain('(LOGDROP is shown above)');
    expect(out).toMatch(/123M pkt 99G B {2}SNAT to 198\.18\.5\.10-198\.18\.5\.12 random-fully/);
    expect(out).toMatch(/\? matches only some packets: a rate limit \(limit --limit 5\/min\)/);
    expect(out).not.toMatch(/not modelled: -m limit/);
    expect(out).not.toContain('chains no built-in chain reaches');
  });

  it('lists the ipset sets the rules look up (type, members, line), and says when the bundle has none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-rules-ipset-'));
    const rules = join(dir, 'rules.txt');
    writeFileSync(rules, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:180] -A FORWARD -m set --match-set blocked src -j DROP\nCOMMIT\n');
    const members = Array.from({ length: 14 }, (_, k) => `add blocked 10.9.0.${k + 1}`).join('\n');
    writeFileSync(join(dir, 'ipset.txt'), `create blocked hash:ip family inet hashsize 1024 maxelem 65536\n${members}\ncreate v6 hash:net family inet6\n`);
    const { out } = capture(() => runRules([dir], {}));
    const lines = out.split('\n');
    const at = lines.indexOf(`ipset sets (${join(dir, 'ipset.txt')})`);
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {2}blocked {2}hash:ip {2}14 members +ipset\.txt:1$/);
    expect(lines.slice(at + 2, at + 4).join(' ')).toMatch(/^ {4}10\.9\.0\.1, 10\.9\.0\.2, .*10\.9\.0\.12, … and 2 more$/);
    expect(lines.some((l) => /^ {2}v6 {2}hash:net \(IPv6\) {2}0 members/.test(l))).toBe(true);
    const j = JSON.parse(capture(() => runRules([dir], { format: 'json' })).out);
    expect(j.ipsets.map((x: { name: string; members: unknown[] }) => [x.name, x.members.length])).toEqual([
      ['blocked', 14],
      ['v6', 0],
    ]);
    const without = capture(() => runRules([rules], {})).out;
    expect(without).not.toContain('ipset sets');
    expect(without).toMatch(/rules\.txt:5: rules look packets up in the ipset set blocked, and\s+the\s+snapshot holds no ipset listing/);
  });

  it('--table and --format json give the ruleset data', () => {
    const { out } = capture(() => runRules([join(LAB, 'legacy-save-c.txt'), join(LAB, 'legacy-L-nat.txt')], { format: 'json', table: 'nat' }));
    const j = JSON.parse(out);
    expect(Object.keys(j.rules.tables)).toEqual(['nat']);
    expect(j.rules.tables.nat.chains.find((c: { name: string }) => c.name === 'DNAT_RULES').rules).toHaveLength(5);
    expect(j.disagreements).toEqual([]);
    expect(j.files.map((f: { kind: string }) => f.kind)).toEqual(['iptables-save', 'iptables-list']);
  });

  it('says when the nft snapshot hides legacy rules', () => {
    const { out } = capture(() => runRules([join(LAB, 'nft-save-with-legacy-warning.txt')], {}));
    expect(out).toMatch(/iptables-legacy tables are present/);
  });

  it.skipIf(fieldScenarios().length === 0)('shows a field bundle with nat from iptables-save and filter from the listing', () => {
    const { out } = capture(() => runRules([join(FIELD, 'forward-drop')], {}));
    expect(out).toMatch(/^FORWARD {2}policy DROP {2}30 pkt 2088 B/m);
    expect(out).toMatch(/SNAT to 203\.0\.113\.72 random-fully/);
    expect(out).not.toMatch(/Forms disagree/);
  });

  it('rejects garbage named explicitly, bad options, and input without rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-rules-'));
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'hello\nworld\n');
    const err = (f: () => unknown): InputError => {
      try {
        f();
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
      throw new Error('no error');
    };
    expect([err(() => runRules([junk], {})).code, err(() => runRules([junk], {})).line]).toEqual(['not-a-snapshot', 1]);
    expect(err(() => runRules([join(LAB, 'sysctl.txt')], {})).code).toBe('no-input');
    expect(err(() => runRules([join(LAB, 'legacy-save-c.txt')], { table: 'bogus' })).code).toBe('usage');
    expect(err(() => runRules([join(LAB, 'legacy-save-c.txt')], { format: 'xml' })).code).toBe('usage');
    expect(err(() => runRules([join(dir, 'missing')], {})).code).toBe('io');
  });
});
