/**
 * `natlens packets` as a user runs it: text and ndjson, several files, stdin, --count, --ip-addr, --snapshot,
 * warnings (exit 0) and unusable input (exit 2), a closed output pipe, and a live `tcpdump -w -` pipe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_DIR } from '../ingest/captures-under-test.js';
import { generateCapture } from '../bench/generate-capture.mjs';
import { pcapFile, pcapngFile } from '../support/capture-writer.mjs';
import { HAVE_TSHARK } from '../support/tshark.js';
import { BIN, natlens, ndjson } from './packets-run.js';
import { compareWithTshark } from './packets-tshark-compare.js';
import { cookedAny } from '../support/cooked-capture.mjs';

const dir = mkdtempSync(join(tmpdir(), 'natlens-packets-'));
const put = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const frame = (n: number, fill = 0) => new Uint8Array(n).fill(fill);

// A small capture of our own so the suite does not depend on ../shared being present.
const two = put(
  'two.pcap',
  pcapFile({
    records: [
      { sec: 1_795_687_113, frac: 5, data: frame(60) },
      { sec: 1_795_687_114, frac: 6, data: frame(60) },
    ],
  }),
);

describe('natlens packets', () => {
  it('prints one text line per packet: frame number, UTC time to the ns', () => {
    const r = natlens(['packets', two]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 2))).toEqual([
      ['1', '09:58:33.000005000'],
      ['2', '09:58:34.000006000'],
    ]);
  });

  it('lists several files in order, each with its own frame numbers, and honours --count across them', () => {
    const all = ndjson(natlens(['packets', '--format', 'ndjson', two, two]).stdout);
    expect(all.map((p) => [p.file, p.frame])).toEqual([
      [two, 1],
      [two, 2],
      [two, 1],
      [two, 2],
    ]);
    const three = ndjson(natlens(['packets', '--format', 'ndjson', '--count', '3', two, two]).stdout);
    expect(three.map((p) => p.frame)).toEqual([1, 2, 1]);
  });

  it('reads standard input given as -', () => {
    const bytes = readFileSync(two);
    const r = natlens(['packets', '--format', 'ndjson', '-'], bytes);
    expect(r.status).toBe(0);
    expect(ndjson(r.stdout).map((p) => [p.file, p.frame, p.time])).toEqual([
      ['-', 1, '2026-11-26T09:58:33.000005000Z'],
      ['-', 2, '2026-11-26T09:58:34.000006000Z'],
    ]);
  });

  it.skipIf(spawnSync('python3', ['-V'], { stdio: 'ignore' }).status !== 0)(
    'waits on a non-blocking stdin whose writer pauses (EAGAIN), instead of stopping early',
    () => {
      const whole = readFileSync(two).length;
      // The writer sends part of the file, pauses, then the rest; O_NONBLOCK is set on the pipe before exec.
      const script = `(sleep 0.5; head -c 50 "${two}"; sleep 0.5; tail -c +51 "${two}") | python3 -c "
import os, fcntl
fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execv('${process.execPath}', ['node', '${BIN}', 'packets', '--format', 'ndjson', '-'])"`;
      const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(ndjson(r.stdout).map((p) => [p.frame, p.caplen])).toEqual([
        [1, 60],
        [2, 60],
      ]);
      expect(whole).toBe(24 + 2 * (16 + 60));
    },
  );

  it('exits 2 naming file, offset and code for unusable input, still listing the usable files', () => {
    const text = put('notes.txt', 'hello\n');
    const empty = put('empty.pcap', '');
    const badBlock = put('bad.pcapng', pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'raw', blockType: 6, body: frame(32), length: 22 }] }]));
    const r = natlens(['packets', '--format', 'ndjson', text, two, empty, badBlock, join(dir, 'missing.pcap')]);
    expect(r.status).toBe(2);
    expect(ndjson(r.stdout).map((p) => p.frame)).toEqual([1, 2]);
    const errors = r.stderr.trimEnd().split('\n');
    expect(errors.map((l) => /\[([a-z-]+)\]$/.exec(l)?.[1])).toEqual(['not-a-capture', 'empty-file', 'bad-block', 'io']);
    expect(errors[2]).toContain(`${badBlock} (byte offset 48)`);
  });

  it('warns (exit 0) on a truncated last record and an unknown link type, using what is whole', () => {
    const whole = pcapFile({ records: [{ sec: 1, frac: 0, data: frame(60) }, { sec: 2, frac: 0, data: frame(60) }] });
    const cut = put('cut.pcap', whole.subarray(0, whole.length - 7));
    const usb = put('usb.pcap', pcapFile({ linkType: 189, records: [{ sec: 1, frac: 0, data: frame(30) }] }));
    const r = natlens(['packets', '--format', 'ndjson', cut, usb]);
    expect(r.status).toBe(0);
    expect(ndjson(r.stdout).map((p) => [p.file, p.frame])).toEqual([[cut, 1]]);
    const warnings = r.stderr.trimEnd().split('\n');
    expect(warnings.map((l) => /\[([a-z-]+)\]$/.exec(l)?.[1])).toEqual(['truncated', 'unknown-link-type']);
    expect(warnings[0]).toContain(`${cut} (byte offset 100)`);
    expect(warnings[1]).toContain(usb);
  });

  it('refuses an --ip-addr file that names no interface (exit 2, one error)', () => {
    const notIpAddr = put('sysctl.txt', 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\n');
    const r = natlens(['packets', two, '--ip-addr', notIpAddr]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').map((l) => /\[([a-z-]+)\]$/.exec(l)?.[1])).toEqual(['not-a-snapshot']);
  });

  it('rejects a --count that is not a positive whole number (exit 2)', () => {
    expect(natlens(['packets', '--count', '0', two]).status).toBe(2);
    expect(natlens(['packets', '--count', 'x', two]).status).toBe(2);
    expect(natlens(['packets', '--format', 'xml', two]).status).toBe(2);
  });

  it('stops quietly when the reader of its output goes away (| head -1)', () => {
    const big = join(dir, 'big.pcap');
    generateCapture(big, { packets: 200_000 });
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" packets "${big}" | head -1`], { encoding: 'utf8' });
    expect(r.stdout.split('\n')[0]).toMatch(/^1 /);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  const anyDir = join(FIELD_DIR, 'ip-forward-off-any');
  it.skipIf(!HAVE_TSHARK)('names -i any interfaces from ip addr text and JSON alike, and by index without one', () => {
    const capture = join(anyDir, 'any.pcap');
    const list = (...extra: string[]) => {
      const r = natlens(['packets', '--format', 'ndjson', capture, ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return ndjson(r.stdout);
    };
    const byJson = list('--ip-addr', join(anyDir, 'ip-addr.json'));
    const byText = list('--ip-addr', join(anyDir, 'ip-addr.txt'));
    const bare = list();
    const ifaces = new Set(byJson.map((p) => `${p.link.ifIndex}=${p.interface}`));
    expect(ifaces.size).toBeGreaterThanOrEqual(2);
    for (const entry of ifaces) expect(entry).toMatch(/^\d+=[a-z][\w.-]*$/);
    expect(byText.map((p) => p.interface)).toEqual(byJson.map((p) => p.interface));
    expect(bare.map((p) => p.interface)).toEqual(byJson.map((p) => `if${p.link.ifIndex}`));
  });
});

const healthy = join(FIELD_DIR, 'healthy');
describe.skipIf(!existsSync(healthy))('natlens packets --snapshot: an -i any capture placed on the gateway\'s interfaces', () => {
  // The healthy field set's per-interface captures merged as tcpdump -i any before 4.99 writes them (Linux
  // cooked v1: no interface index), then placed back by the snapshot: by MAC address, neighbours and routes.
  const links = JSON.parse(readFileSync(join(healthy, 'ip-addr.json'), 'utf8')) as { ifname: string; ifindex: number; address: string }[];
  const pcaps = readdirSync(healthy).filter((f) => f.endsWith('.pcap'));
  const any = put(
    'any-v1.pcap',
    cookedAny(
      pcaps.map((f) => {
        const l = links.find((x) => x.ifname === f.replace(/\.pcap$/, ''))!;
        return { bytes: readFileSync(join(healthy, f)), mac: l.address, ifindex: l.ifindex };
      }),
      1,
    ),
  );
  const list = (...args: string[]) => {
    const r = natlens(['packets', '--format', 'ndjson', ...args]);
    expect(r.status, r.stderr).toBe(0);
    return ndjson(r.stdout);
  };

  it('names each IPv4 and ARP packet\'s interface, the one whose own capture holds it', () => {
    const placed = list(any, '--snapshot', healthy);
    expect(list(any).every((p) => p.interface === undefined || p.interface === '')).toBe(true);
    const own = new Map<string, Set<string>>();
    for (const f of pcaps) own.set(f.replace(/\.pcap$/, ''), new Set(list(join(healthy, f)).map((p) => `${p.time} ${p.caplen}`)));
    const v4 = placed.filter((p) => p.ip?.version === 4 || p.arp);
    expect(v4.length).toBeGreaterThan(100);
    for (const p of v4) {
      expect(own.has(p.interface), `${p.frame} ${p.interface}`).toBe(true);
      expect(own.get(p.interface)!.has(`${p.time} ${p.caplen - 2}`) || own.get(p.interface)!.has(`${p.time} ${p.caplen}`), `frame ${p.frame} on ${p.interface}`).toBe(true);
    }
    // Both interfaces, each with as many IPv4 packets as its own capture.
    for (const [name, times] of own) expect(v4.filter((p) => p.interface === name).length, name).toBeLessThanOrEqual(times.size);
    expect(new Set(v4.map((p) => p.interface)).size).toBe(pcaps.length);
  });

  it('places them by route alone (ip route, no MACs), and refuses a snapshot that can place nothing (exit 2)', () => {
    const byRoute = list(any, '--snapshot', join(healthy, 'ip-route.txt'));
    const byAll = list(any, '--snapshot', healthy);
    const v4 = (ps: Record<string, any>[]) => ps.filter((p) => p.ip?.version === 4).map((p) => p.interface);
    expect(v4(byRoute)).toEqual(v4(byAll));
    const r = natlens(['packets', any, '--snapshot', join(healthy, 'sysctl.txt')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/sysctl\.txt.*\[not-a-snapshot\]/);
  });
});

const IS_ROOT = process.getuid?.() === 0;
const HAVE_TCPDUMP = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
const HAVE_IP = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!(IS_ROOT && HAVE_TCPDUMP && HAVE_IP && HAVE_TSHARK))('live capture in a network namespace', () => {
  it('reads `tcpdump -i any --time-stamp-precision=nano -w -` from a pipe, and the saved file matches tshark', () => {
    const tag = `nlpk${process.pid % 100000}`;
    const saved = join(dir, 'live-any-ns.pcap');
    const script = `
set -e
A=${tag}a B=${tag}b
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add ${tag}x netns $A type veth peer name ${tag}y netns $B
ip -n $A addr add 192.0.2.1/24 dev ${tag}x; ip -n $B addr add 192.0.2.2/24 dev ${tag}y
ip -n $A link set ${tag}x up; ip -n $B link set ${tag}y up; ip -n $A link set lo up
ip netns exec $A timeout 30 tcpdump -i any -U -n --time-stamp-precision=nano -c 6 -w - icmp 2>/dev/null | tee "${saved}" | "${process.execPath}" "${BIN}" packets --format ndjson - > "${saved}.ndjson" &
sleep 1.5
ip netns exec $A ping -c 3 -i 0.2 -W 1 192.0.2.2 >/dev/null
wait
`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const packets = ndjson(readFileSync(`${saved}.ndjson`, 'utf8'));
    expect(packets.map((p) => [p.frame, p.icmp?.type, p.icmp?.seq])).toEqual([
      [1, 8, 1],
      [2, 0, 1],
      [3, 8, 2],
      [4, 0, 2],
      [5, 8, 3],
      [6, 0, 3],
    ]);
    expect(packets.every((p) => p.link.type.startsWith('LINUX_SLL2') && p.ip.src.startsWith('192.0.2.'))).toBe(true);
    // Nanosecond file magic: times are not whole microseconds (with overwhelming likelihood for 6 packets).
    expect(packets.some((p) => !p.time.endsWith('000Z'))).toBe(true);
    expect(compareWithTshark(saved)).toBe(6);
  });
});
