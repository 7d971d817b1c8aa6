/**
 * End to end: the real binary in a real terminal (tmux), driven by keys, read back with capture-pane.
 * Expectations come from the same binary's JSON analysis of the same bundle, not from constants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Analysis, Flow } from '../../src/model/analysis.js';
import { openTuiIfTerminal } from '../../src/cli/tui-command.js';
import { FIELD } from '../present/report-fixtures.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin', 'natlens');
const BUILT = existsSync(join(REPO, 'dist', 'cli', 'main.js')) && existsSync(join(REPO, 'dist', 'present', 'tui', 'analyze-worker.js'));
const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
// The field capture of the seed incident, or the bundled sample made by the lab (both: ip_forward off).
const SOURCE = existsSync(join(FIELD, 'ip-forward-off', 'eth0.pcap')) ? join(FIELD, 'ip-forward-off') : join(REPO, 'samples', 'seed-incident');

const SOCKET = `natlens-e2e-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const pane = (s: string) => tmux('capture-pane', '-p', '-t', s).stdout;

async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function natRuleLine(f: Flow): { file: string; line: number } | null {
  const r = f.expected?.rule ?? f.trace?.rewrites[0]?.rule ?? f.trace?.steps.find((s) => s.table === 'nat' && s.rule)?.rule ?? null;
  return r ? { file: r.file, line: r.line } : null;
}

describe('openTuiIfTerminal', () => {
  it('leaves a pipe to the text analysis (returns null without loading the UI)', async () => {
    expect(await openTuiIfTerminal(['x'], {}, { stdin: { isTTY: true }, stdout: { isTTY: false } })).toBeNull();
    expect(await openTuiIfTerminal(['x'], {}, { stdin: { isTTY: false }, stdout: { isTTY: true } })).toBeNull();
  });
});

describe.skipIf(!BUILT)('natlens tui without a terminal', () => {
  it('exits 2 and says why', () => {
    const r = spawnSync(process.execPath, [BIN, 'tui', SOURCE], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/interactive terminal.*\[usage\]/);
  });
});

describe.skipIf(!HAVE_TMUX || !BUILT || !existsSync(SOURCE))('natlens tui in a real terminal (tmux)', () => {
  let root = '';
  let bundle = '';
  let analysis: Analysis;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'natlens-tui-e2e-'));
    bundle = join(root, 'incident');
    cpSync(SOURCE, bundle, { recursive: true });
    const r = spawnSync(process.execPath, [BIN, 'analyze', bundle, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    analysis = JSON.parse(r.stdout) as Analysis;
  });
  afterAll(() => {
    tmux('kill-server');
    rmSync(root, { recursive: true, force: true });
  });

  function start(name: string, w: number, h: number, args: string): string {
    const exitFile = join(root, `${name}.exit`);
    // Keep the window open after exit so the last frame can be read.
    const cmd = `cd ${JSON.stringify(root)} && node ${JSON.stringify(BIN)} tui ${args}; echo EXIT=$? > ${JSON.stringify(exitFile)}; sleep 600`;
    const r = tmux('new-session', '-d', '-s', name, '-x', String(w), '-y', String(h), cmd);
    expect(r.status).toBe(0);
    return exitFile;
  }

  it('first screen names the root cause; j + Enter opens a flow with frame numbers and its NAT rule; ? helps; e writes reports; q exits 0', async () => {
    const root0 = analysis.findings[0]!;
    expect(root0.severity).toBe('error');
    const exitFile = start('main', 100, 30, JSON.stringify(bundle));

    const first = await waitFor('the overview', () => (pane('main').includes(root0.check) ? pane('main') : null));
    expect(first).toContain(root0.confidence);
    for (const l of first.split('\n')) expect([...l].length).toBeLessThanOrEqual(100);

    tmux('send-keys', '-t', 'main', 'j');
    await new Promise((r) => setTimeout(r, 300));
    tmux('send-keys', '-t', 'main', 'Enter');
    const id = await waitFor('a flow detail', () => /› flow (\S+)/.exec(pane('main'))?.[1]);
    const flow = analysis.flows.find((f) => f.id === id)!;
    expect(root0.flows).toContain(id);
    const detail = pane('main');
    expect(detail).toContain(`#${flow.samples[0]!.frame} `);
    const rule = natRuleLine(flow);
    expect(rule).not.toBeNull();
    expect(detail).toContain(`${basename(rule!.file)}:${rule!.line}`);

    tmux('send-keys', '-t', 'main', '?');
    const help = await waitFor('the help', () => (pane('main').includes('Keys') ? pane('main') : null));
    expect(help).toMatch(/q \/ Ctrl-C\s+quit/);
    tmux('send-keys', '-t', 'main', 'Escape');
    await waitFor('help closed', () => !pane('main').includes('› help'));

    tmux('send-keys', '-t', 'main', 'e');
    await waitFor('the reports written', () => pane('main').includes('wrote '), 60_000);
    for (const f of ['incident.natlens.html', 'incident.natlens.md', 'incident.evidence.pcapng']) expect(existsSync(join(root, f))).toBe(true);

    tmux('send-keys', '-t', 'main', 'q');
    const exit = await waitFor('the exit code', () => existsSync(exitFile) && readFileSync(exitFile, 'utf8'));
    expect(exit.trim()).toBe('EXIT=0');
  });

  it('fits 80×24: the root cause is on the first screen and no line is wider than the terminal', async () => {
    const exitFile = start('small', 80, 24, JSON.stringify(bundle));
    const first = await waitFor('the overview', () => (pane('small').includes(analysis.findings[0]!.check) ? pane('small') : null));
    const lines = first.replace(/\n+$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    tmux('send-keys', '-t', 'small', 'Tab');
    await waitFor('the flow table', () => pane('small').includes(`of ${analysis.flows.length} flows`));
    tmux('send-keys', '-t', 'small', 'q');
    expect((await waitFor('the exit code', () => existsSync(exitFile) && readFileSync(exitFile, 'utf8'))).trim()).toBe('EXIT=0');
  });

  it('unusable input is shown and exits 2', async () => {
    const bad = join(root, 'garbage.pcap');
    writeFileSync(bad, Buffer.from('this is not a capture file at all, just text\n'));
    const exitFile = start('bad', 100, 30, JSON.stringify(bad));
    const exit = await waitFor('the exit code', () => existsSync(exitFile) && readFileSync(exitFile, 'utf8'));
    expect(exit.trim()).toBe('EXIT=2');
    expect(pane('bad')).toContain('garbage.pcap');
  });
});
