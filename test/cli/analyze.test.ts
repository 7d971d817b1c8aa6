/** `natlens analyze` and `natlens BUNDLE` as a user runs them: the built binary, exit codes, formats, bad input. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD, REPO } from '../support/field.js';

const BIN = join(REPO, 'bin/natlens');
const built = existsSync(join(REPO, 'dist/cli/main.js'));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!built || !existsSync(FIELD))('natlens analyze (built binary)', () => {
  it('exit 0 and a one-sentence verdict for a healthy gateway', () => {
    const r = run(['analyze', join(FIELD, 'healthy')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^VERDICT: No packets stop/m);
    expect(r.out).toContain('FLOWS (');
  });

  it('exit 1 when packets stop; the root cause, its evidence and the fix are printed', () => {
    const r = run(['analyze', join(FIELD, 'ip-forward-off')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1\. \[error, confirmed\] ip-forward-disabled/);
    expect(r.out).toMatch(/sysctl\.txt:\d+ net\.ipv4\.ip_forward = 0/);
    expect(r.out).toContain('$ sysctl -w net.ipv4.ip_forward=1');
  });

  it('stops quietly, with its exit code, when the reader of its output goes away (| head -c 50)', () => {
    // The JSON is larger than a pipe holds, so natlens is still writing when head has gone.
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" analyze "${join(FIELD, 'ip-forward-off')}" --format json | head -c 50`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\{/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
  });

  it('--exit-zero reports but exits 0 (what npm start uses)', () => {
    expect(run(['analyze', join(FIELD, 'ip-forward-off'), '--exit-zero']).code).toBe(0);
  });

  it('--format json is the documented contract; --format md is Markdown', () => {
    const j = run(['analyze', join(FIELD, 'snat-missing'), '--format', 'json']);
    expect(j.code).toBe(1);
    const a = JSON.parse(j.out);
    expect(a.tool.name).toBe('natlens');
    expect(a.findings[0].check).toBe('snat-missing');
    const m = run(['analyze', join(FIELD, 'snat-missing'), '--format', 'md']);
    expect(m.out).toMatch(/^# /m);
  });

  it('every input carries its size and SHA-256 (captures hashed on the digest thread of the built binary)', () => {
    const a = JSON.parse(run(['analyze', join(FIELD, 'healthy'), '--format', 'json']).out) as { inputs: { path: string; kind: string; sha256: string; bytes: number }[] };
    expect(a.inputs.filter((i) => i.kind === 'capture')).toHaveLength(2);
    for (const i of a.inputs) {
      const bytes = readFileSync(i.path);
      expect(i.bytes, i.path).toBe(bytes.length);
      expect(i.sha256, i.path).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('natlens BUNDLE without a terminal prints the text diagnosis', () => {
    const r = run([join(FIELD, 'ip-forward-off')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^VERDICT: Packets stop/m);
  });

  it('--inside/--outside override the roles, and an unknown interface is a usage error', () => {
    const ok = run(['analyze', join(FIELD, 'healthy'), '--format', 'json', '--inside', 'eth0', '--outside', 'net1']);
    expect(JSON.parse(ok.out).interfaces.how).toContain('--inside');
    const bad = run(['analyze', join(FIELD, 'healthy'), '--outside', 'wan7']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('wan7');
  });

  it('bad input exits 2 naming the file: a missing path, a garbage file named explicitly, no capture at all, a bad option', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-cli-'));
    const missing = run(['analyze', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope');

    const garbage = join(dir, 'rules.txt');
    writeFileSync(garbage, 'this is not iptables output\nnor anything else\n');
    const g = run(['analyze', join(FIELD, 'healthy', 'eth0.pcap'), join(FIELD, 'healthy', 'net1.pcap'), garbage]);
    expect(g.code).toBe(2);
    expect(g.err).toContain('rules.txt');

    const noCaptures = run(['analyze', join(FIELD, 'healthy', 'iptables-save.txt')]);
    expect(noCaptures.code).toBe(2);
    expect(noCaptures.err).toMatch(/no capture/);

    expect(run(['analyze', join(FIELD, 'healthy'), '--format', 'yaml']).code).toBe(2);
    expect(run([]).code).toBe(2);
  });

  it('a capture cut mid-record (tcpdump killed) is analysed with a warning naming the byte offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-cli-'));
    for (const f of ['iptables-save.txt', 'sysctl.txt', 'ip-addr.json', 'ip-route.json', 'net1.pcap']) copyFileSync(join(FIELD, 'ip-forward-off', f), join(dir, f));
    const whole = readFileSync(join(FIELD, 'ip-forward-off', 'eth0.pcap'));
    writeFileSync(join(dir, 'eth0.pcap'), whole.subarray(0, whole.length - 10));
    const r = run(['analyze', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const a = JSON.parse(r.out);
    const w = a.warnings.find((x: { code: string }) => x.code === 'truncated');
    expect(w.file).toContain('eth0.pcap');
    expect(w.offset).toBeGreaterThan(24);
    expect(a.findings[0].check).toBe('ip-forward-disabled');
  });
});
