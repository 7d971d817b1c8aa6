import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { packetFromOptions, registerTrace, runTrace, type TraceOptions } from '../../src/cli/trace-command.js';

const FIELD = join(import.meta.dirname, '../../../shared/field');

function capture(fn: () => number): { code: number; out: string } {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    return { code: fn(), out };
  } finally {
    spy.mockRestore();
  }
}

const ping: TraceOptions = { in: 'eth0', proto: 'icmp', src: '10.0.4.10', dst: '198.51.100.29' };

function usageError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('natlens trace: options', () => {
  it('builds the packet from the options, with protocol names or numbers', () => {
    expect(packetFromOptions({ ...ping, icmpId: '20507', size: '1500', df: true })).toMatchObject({ proto: 1, icmpType: 8, icmpId: 20507, size: 1500, df: true, state: 'new' });
    expect(packetFromOptions({ in: 'x', proto: '6', src: '1.2.3.4', dst: '5.6.7.8', dport: '443' })).toMatchObject({ proto: 6, sport: 40000, dport: 443, size: 60 });
    expect(packetFromOptions({ in: 'x', proto: 'udp', src: '1.2.3.4', dst: '5.6.7.8', sport: '53', dport: '53', state: 'established' })).toMatchObject({ proto: 17, sport: 53, state: 'established' });
    expect(packetFromOptions({ in: 'x', proto: '47', src: '1.2.3.4', dst: '5.6.7.8' })).toMatchObject({ proto: 47, sport: 0, dport: 0 });
    expect(packetFromOptions({ in: 'x', proto: 'tcp', src: '1.2.3.4', dst: '5.6.7.8', dport: '443', state: 'invalid' })).toMatchObject({ proto: 6, state: 'invalid' });
  });

  const bad: [string, TraceOptions][] = [
    ['bad source', { ...ping, src: '10.0.4' }],
    ['bad destination', { ...ping, dst: 'example.com' }],
    ['unknown protocol', { ...ping, proto: 'gre2' }],
    ['protocol out of range', { ...ping, proto: '300' }],
    ['tcp without --dport', { ...ping, proto: 'tcp' }],
    ['ports on icmp', { ...ping, dport: '80' }],
    ['icmp options on udp', { ...ping, proto: 'udp', dport: '53', icmpId: '3' }],
    ['port out of range', { ...ping, proto: 'tcp', dport: '70000' }],
    ['bad state', { ...ping, state: 'open' }],
    ['bad size', { ...ping, size: 'big' }],
  ];
  for (const [name, o] of bad) {
    it(`rejects ${name} with a usage error`, () => {
      expect(usageError(() => packetFromOptions(o)).code).toBe('usage');
    });
  }

  it('rejects an interface the snapshot does not have, and names the ones it has', () => {
    const e = usageError(() => runTrace([join(FIELD, 'healthy')], { ...ping, in: 'eth9' }));
    expect(e.code).toBe('usage');
    expect(e.message).toContain('net1');
  });

  it('rejects --format other than text/json', () => {
    expect(usageError(() => runTrace([join(FIELD, 'healthy')], { ...ping, format: 'xml' })).code).toBe('usage');
  });

  it('a garbage file named explicitly is an input error naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-trace-'));
    const f = join(dir, 'rules.txt');
    writeFileSync(f, 'this is not a snapshot\nat all\n');
    const e = usageError(() => runTrace([f], ping));
    expect(e.file).toBe(f);
    expect(e.code).toBe('not-a-snapshot');
  });
});

describe.skipIf(!existsSync(join(FIELD, 'healthy', 'iptables-save.txt')))('natlens trace on the field bundles', () => {
  it('healthy: the app ping leaves net1 as 203.0.113.71 by EXCLUSIVE_SNAT, exit 0 (JSON)', () => {
    const { code, out } = capture(() => runTrace([join(FIELD, 'healthy')], { ...ping, format: 'json' }));
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.disposition).toMatchObject({ kind: 'forwarded', egress: 'net1', nextHop: '203.0.113.1', out: { src: '203.0.113.71', dst: '198.51.100.29' } });
    expect(j.rewrites).toHaveLength(1);
    expect(j.rewrites[0]).toMatchObject({ kind: 'SNAT', before: { src: '10.0.4.10' }, after: { src: '203.0.113.71' }, rule: { chain: 'EXCLUSIVE_SNAT', line: 18 } });
  });

  it('healthy: the port forward in text shows every rule with file:line and counters, and the NAT diff', () => {
    const { code, out } = capture(() =>
      runTrace([join(FIELD, 'healthy')], { in: 'net1', proto: 'tcp', src: '203.0.113.5', dst: '203.0.113.72', sport: '42335', dport: '8080' }),
    );
    expect(code).toBe(0);
    expect(out).toContain('iptables-save.txt:19  -A SHARED_DNAT -d 203.0.113.72/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.4.11:80  [3 pkts, 180 bytes]');
    expect(out).toMatch(/nat\s+DNAT\s+203\.0\.113\.5:42335 → 203\.0\.113\.72:8080 {2}⇒ {2}203\.0\.113\.5:42335 → 10\.0\.4\.11:80/);
    expect(out).toMatch(/result\s+FORWARDED out eth0 to next hop 10\.0\.4\.11: 203\.0\.113\.5:42335 → 10\.0\.4\.11:80/);
  });

  it('healthy: a reply with --state established is translated by the conntrack entry', () => {
    const { code, out } = capture(() =>
      runTrace([join(FIELD, 'healthy')], { in: 'net1', proto: 'icmp', src: '198.51.100.29', dst: '203.0.113.72', icmpType: '0', icmpId: '59803', state: 'established', format: 'json' }),
    );
    expect(code).toBe(0);
    expect(JSON.parse(out).disposition).toMatchObject({ kind: 'forwarded', egress: 'eth0', out: { dst: '10.0.4.11', sport: 20506 } });
  });

  it('ip-forward-off: dropped, exit 1, citing sysctl.txt', () => {
    const { code, out } = capture(() => runTrace([join(FIELD, 'ip-forward-off')], { ...ping, format: 'json' }));
    expect(code).toBe(1);
    const d = JSON.parse(out).disposition;
    expect(d).toMatchObject({ kind: 'dropped', reason: 'ip-forward-disabled', source: { file: join(FIELD, 'ip-forward-off', 'sysctl.txt'), line: 17 } });
  });

  it('forward-drop: dropped by the FORWARD policy, exit 1', () => {
    const { code, out } = capture(() => runTrace([join(FIELD, 'forward-drop')], ping));
    expect(code).toBe(1);
    expect(out).toMatch(/result\s+DROPPED at filter \(forward-chain\)/);
  });

  it('is wired into commander: exit code set through the action wrapper', async () => {
    const program = new Command();
    program.exitOverride();
    registerTrace(program);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'natlens', 'trace', join(FIELD, 'forward-drop'), '--in', 'eth0', '--proto', 'icmp', '--src', '10.0.4.10', '--dst', '198.51.100.29']);
    } finally {
      spy.mockRestore();
    }
    expect(process.exitCode).toBe(1);
  });
});

describe('natlens trace without a snapshot', () => {
  it('a folder with captures only is an input error, not a guess', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-trace-empty-'));
    writeFileSync(join(dir, 'README'), 'captures from the incident\n');
    const e = usageError(() => runTrace([dir], ping));
    expect(e.code).toBe('no-input');
  });
});
