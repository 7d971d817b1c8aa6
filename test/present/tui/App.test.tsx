import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { App } from '../../../src/present/tui/App.js';
import { KEY_BINDINGS } from '../../../src/present/tui/keymap.js';
import { InputError } from '../../../src/model/errors.js';
import type { Analysis, AnalyzeProgress } from '../../../src/model/analysis.js';
import { fixture, settle, KEY } from './tui-fixtures.js';

// ink draws only the final frame when it thinks it runs in CI (is-in-ci reads CI when ink is first imported);
// these tests read every frame, as a person at a terminal sees them, so CI runs must not change that.
vi.hoisted(() => {
  process.env['CI'] = 'false';
});

const a = fixture('ip-forward-off');

function open(analysis: Analysis, columns = 80, rows = 24, extra: Partial<Parameters<typeof App>[0]> = {}) {
  const onExit = vi.fn();
  const r = render(<App source={{ analysis }} paths={['bundle']} onExit={onExit} size={{ columns, rows }} {...extra} />);
  const frame = () => r.lastFrame() ?? '';
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await settle();
    }
  };
  return { r, frame, press, onExit };
}

/** Every frame must fit the terminal: at most rows-1 lines (a full-height frame makes ink clear the screen). */
function expectFits(frame: string, columns: number, rows: number) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

describe('App: overview', () => {
  it('names the root cause check id, its confidence and the fix on the first screen at 80×24', async () => {
    const { frame } = open(a);
    await settle();
    const f = frame();
    expect(f).toContain('ip-forward-disabled');
    expect(f).toContain('confirmed');
    expect(f).toContain('sysctl.txt:17');
    expect(f).toContain('sysctl -w net.ipv4.ip_forward=1');
    expectFits(f, 80, 24);
  });

  it('j then Enter opens a flow with its frame numbers on both lanes and its NAT rule', async () => {
    const { frame, press } = open(a, 100, 30);
    await settle();
    // The first flow is on the first screen and selected; j moves to the second: f02 (10.0.4.10, frames 22 23 27 29 30).
    await press('j', KEY.enter);
    const f = frame();
    expect(f).toContain('flow f02');
    for (const n of [22, 23, 27, 29, 30]) expect(f).toContain(`#${n} `);
    expect(f).toContain('iptables-save.txt:18');
    expect(f).toContain('no copy');
    expect(f).toMatch(/eth0 \(inside\)/);
    expect(f).toMatch(/net1 \(outside\)/);
    expectFits(f, 100, 30);
  });

  it('Esc goes back to where Enter came from', async () => {
    const { frame, press } = open(a, 100, 30);
    await settle();
    await press(KEY.enter);
    await expect.poll(frame).toContain('flow f01');
    await press(KEY.esc);
    await settle(80);
    await expect.poll(frame).not.toContain('flow f01');
    await expect.poll(frame).toContain('ip-forward-disabled');
  });
});

describe('App: flows', () => {
  it('Tab shows the flow table with every flow, dispositions and loss', async () => {
    const { frame, press } = open(a, 160, 40);
    await settle();
    await press(KEY.tab);
    const f = frame();
    expect(f).toContain('12 of 12 flows');
    expect(f.match(/stopped-at-gateway/g)?.length).toBe(12);
    expect(f).toContain('10.0.4.10:33118 → 198.51.100.29:80');
    expect(f).toContain('203.0.113.5:54829 → 203.0.113.72:8080');
    expect(f).toContain('100%');
    expectFits(f, 160, 40);
  });

  it('/ filters by protocol and port as it is typed, Esc restores, c clears', async () => {
    const { frame, press } = open(a, 120, 30);
    await settle();
    await press(KEY.tab, '/', 't', 'c', 'p');
    await expect.poll(frame).toContain('6 of 12 flows');
    await press(' ', '8', '0', '8', '0', KEY.enter);
    await expect.poll(frame).toContain('3 of 12 flows');
    await expect.poll(frame).not.toContain('icmp ');
    await press('/', 'x', KEY.esc);
    await settle(80);
    await expect.poll(frame).toContain('3 of 12 flows');
    await press('c');
    await expect.poll(frame).toContain('12 of 12 flows');
  });

  it('a filter typed in one chunk (a paste) loses nothing', async () => {
    const { frame, press } = open(a, 120, 30);
    await settle();
    await press('2', '/udp', KEY.enter);
    await expect.poll(frame).toContain('3 of 12 flows');
  });

  it('s cycles the sort key and reorders the rows', async () => {
    const { frame, press } = open(a, 120, 30);
    await settle();
    await press(KEY.tab);
    await expect.poll(frame).toContain('sort disposition');
    await press('s', 's', 's');
    // source: 10.0.4.10 flows first, 203.0.113.5 last.
    const f = frame();
    expect(f).toContain('sort source');
    const rows = f.split('\n').filter((l) => /^\s*▸?\s*(icmp|tcp|udp) /.test(l));
    expect(rows[0]).toContain('10.0.4.10');
    expect(rows[rows.length - 1]).toContain('203.0.113.5');
  });

  it('scrolls a long list at 80×24 and shows the position', async () => {
    const { frame, press } = open(a, 80, 12);
    await settle();
    await press(KEY.tab);
    expect(frame()).toMatch(/1\/12/);
    for (let i = 0; i < 11; i++) await press('j');
    const f = frame();
    expect(f).toMatch(/12\/12/);
    expectFits(f, 80, 12);
  });
});

describe('App: rules and inputs', () => {
  it('Rules shows the tree with counters and the flows each rule caught; Enter lists them', async () => {
    const { frame, press } = open(a, 120, 40);
    await settle();
    await press('3');
    const f = frame();
    expect(f).toContain('nat table');
    expect(f).toContain('EXCLUSIVE_DNAT');
    expect(f).toMatch(/:17 \[5:420\]/);
    expect(f).toMatch(/:21 \[0:0\] -s 10\.0\.4\.0\/24 -o net1/);
    // First selectable rule is PREROUTING :13, caught by every flow.
    await press(KEY.enter);
    await expect.poll(frame).toContain('rule iptables-save.txt:13');
    await expect.poll(frame).toContain('12 of 12 flows');
  });

  it('Inputs shows files with hashes, capture windows, the overlap and warnings', async () => {
    const { frame, press } = open(a, 120, 40);
    await settle();
    await press('4');
    const f = frame();
    expect(f).toContain('eth0.pcap');
    expect(f).toContain('110cee1231f9');
    expect(f).toContain('09:58:40.651166000 → 09:58:55.211202000');
    expect(f).toContain('overlap');
    expect(f).toContain('truncated-payload');
  });
});

describe('App: help, quit, export', () => {
  it('? lists every key, including quit', async () => {
    const { frame, press } = open(a, 120, 40);
    await settle();
    await press('?');
    const f = frame();
    for (const b of KEY_BINDINGS) expect(f).toContain(b.keys);
    expect(f).toContain('quit');
  });

  it('q ends with exit code 0', async () => {
    const { press, onExit } = open(a);
    await settle();
    await press('q');
    await expect.poll(() => onExit.mock.calls).toEqual([[0]]);
  });

  it('e writes the reports and says where in the status line', async () => {
    const exportReports = vi.fn(async () => ['/tmp/x/bundle.natlens.html', '/tmp/x/bundle.natlens.md', '/tmp/x/bundle.evidence.pcapng']);
    const { frame, press } = open(a, 160, 30, { exportReports });
    await settle();
    await press('e');
    await settle(80);
    await expect.poll(() => exportReports.mock.calls.length).toBe(1);
    await expect.poll(frame).toContain('wrote /tmp/x/bundle.natlens.html, /tmp/x/bundle.natlens.md, /tmp/x/bundle.evidence.pcapng');
  });
});

describe('App: loading and errors', () => {
  it('shows bytes and packets read while loading, then the overview', async () => {
    let report: (p: AnalyzeProgress) => void = () => {};
    let finish: (x: Analysis) => void = () => {};
    const load = (onProgress: (p: AnalyzeProgress) => void) => {
      report = onProgress;
      return new Promise<Analysis>((res) => (finish = res));
    };
    const onExit = vi.fn();
    const r = render(<App source={{ load }} paths={['bundle']} onExit={onExit} size={{ columns: 80, rows: 24 }} />);
    await settle();
    report({ phase: 'captures', bytesRead: 512 * 1024, bytesTotal: 1024 * 1024, packets: 65536 });
    await settle(150);
    await expect.poll(() => r.lastFrame()).toContain('50%');
    await expect.poll(() => r.lastFrame()).toContain('512.0 KiB of 1.0 MiB');
    await expect.poll(() => r.lastFrame()).toContain('65,536 packets');
    finish(a);
    await settle(80);
    await expect.poll(() => r.lastFrame()).toContain('ip-forward-disabled');
  });

  it('unusable input is shown with file, offset and code, and exits 2', async () => {
    const load = () => Promise.reject(new InputError('not-a-capture', 'bundle/eth0.pcap', 'the first bytes are no pcap or pcapng magic', { offset: 0 }));
    const onExit = vi.fn();
    const r = render(<App source={{ load }} paths={['bundle']} onExit={onExit} size={{ columns: 80, rows: 24 }} />);
    await settle(80);
    await expect.poll(() => r.lastFrame()).toContain('bundle/eth0.pcap (byte offset 0)');
    await expect.poll(() => r.lastFrame()).toContain('not-a-capture');
    await expect.poll(() => onExit.mock.calls).toEqual([[2]]);
  });
});
