/**
 * Text a packet tool printed is what people often have at hand (pasted into a ticket, `tcpdump -nn -r eth0.pcap >
 * eth0.txt`). It cannot be analysed, but the error says what it is and what to give instead. The text here is
 * the real tools' output of real field captures, in their usual forms.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeError } from '../support/input-error.js';
import { packetTextTool } from '../../src/ingest/packet-text.js';
import { sniffDetail } from '../../src/gateway/sniff.js';
import { fieldSets } from '../support/field.js';
import { HAVE_TSHARK } from '../support/tshark.js';

const HAVE_TCPDUMP = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'natlens-packet-text-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = fieldSets().find((s) => s.name === 'ip-forward-off');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}


describe.skipIf(!set || !HAVE_TCPDUMP)('tcpdump text output of a real capture', () => {
  for (const flags of [['-nn'], ['-nn', '-e'], ['-nn', '-tttt'], ['-nn', '-v']]) {
    it(`tcpdump ${flags.join(' ')} -r is told for what it is`, () => {
      const text = run('tcpdump', [...flags, '-r', join(set!.dir, 'eth0.pcap')]);
      expect(packetTextTool(text)).toBe('tcpdump');
      expect(sniffDetail(text).reason).toMatch(/^tcpdump's text output/);
    });
  }

  it('a bundle of text output only: no-captures, naming the files and what to capture', async () => {
    const dir = join(tmp, 'printed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'eth0.txt'), run('tcpdump', ['-nn', '-r', join(set!.dir, 'eth0.pcap')]));
    writeFileSync(join(dir, 'notes.txt'), 'pings stopped at 03:12, see captures\n');
    const e = await analyzeError([dir]);
    expect(e.code).toBe('no-captures');
    expect(e.message).toContain(join(dir, 'eth0.txt'));
    expect(e.message).not.toContain('notes.txt');
    expect(e.message).toContain('tcpdump -i IFACE -w IFACE.pcap');
  });
});

describe.skipIf(!set || !HAVE_TSHARK)('tshark text output of a real capture', () => {
  it('tshark -r is told for what it is', () => {
    expect(packetTextTool(run('tshark', ['-n', '-r', join(set!.dir, 'net1.pcap')]))).toBe('tshark');
  });
});

describe('other text is not packet text', () => {
  it.each([
    ['a sysctl listing', 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.rp_filter = 1\n'],
    ['conntrack -L', 'icmp     1 29 src=10.0.4.10 dst=198.51.100.29 type=8 code=0 id=20717 src=198.51.100.29 dst=203.0.113.71 type=0 code=0 id=20717 mark=0 use=1\n'],
    ['a log', '2026-12-06 03:12:00 ERROR eip unreachable\n2026-12-06 03:12:01 retrying\n'],
  ])('%s', (_name, text) => expect(packetTextTool(text)).toBeNull());
});
