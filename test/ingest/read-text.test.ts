/**
 * Snapshot text in the encodings command output gets saved in: UTF-8 (with or without a BOM), and UTF-16 as
 * Windows PowerShell 5.1's `>` and `Out-File` write it (little-endian with a BOM, CRLF). A real field bundle
 * re-encoded each way must give the same analysis as the original.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeText } from '../../src/ingest/read-text.js';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-read-text-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SAMPLE = 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.eth0.rp_filter = 2 — ünïcode\n';

function utf16be(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  const out = Buffer.alloc(le.length);
  for (let k = 0; k < le.length; k += 2) {
    out[k] = le[k + 1]!;
    out[k + 1] = le[k]!;
  }
  return out;
}

const ENCODINGS: Record<string, (s: string) => Buffer> = {
  'UTF-8': (s) => Buffer.from(s, 'utf8'),
  'UTF-8 with a BOM': (s) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]),
  'UTF-16LE with a BOM (PowerShell 5.1 >)': (s) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s.replace(/\n/g, '\r\n'), 'utf16le')]),
  'UTF-16BE with a BOM': (s) => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(s)]),
  'UTF-16LE without a BOM': (s) => Buffer.from(s, 'utf16le'),
  'UTF-16BE without a BOM': (s) => utf16be(s),
};

describe('decodeText', () => {
  for (const [name, encode] of Object.entries(ENCODINGS)) {
    it(`reads ${name}`, () => {
      expect(decodeText(encode(SAMPLE)).replace(/\r\n/g, '\n')).toBe(SAMPLE);
    });
  }

  it('leaves binary content binary (its NUL bytes are what tells the snapshot loader it is no text)', () => {
    const core = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    expect(decodeText(core)).toContain('\0');
    // A short file of one ASCII character and a NUL is no evidence of UTF-16.
    expect(decodeText(Buffer.from([0x31, 0x00]))).toBe('1\0');
  });
});

const sets = fieldSets().filter((s) => ['ip-forward-off', 'forward-drop', 'healthy'].includes(s.name));

describe.skipIf(sets.length === 0)('a real bundle whose state files PowerShell saved', () => {
  for (const set of sets) {
    it(`${set.name}: every text file as UTF-16LE with a BOM and CRLF gives the original's analysis`, async () => {
      const original = await analyze([set.dir]);
      const utf16 = ENCODINGS['UTF-16LE with a BOM (PowerShell 5.1 >)']!;
      const texts = readdirSync(set.dir).filter((f) => /\.(?:txt|json)$/.test(f) && f !== 'lab.json');
      expect(texts.length).toBeGreaterThan(5);
      const dir = editedBundle(set.dir, join(tmp, `${set.name}-utf16`), Object.fromEntries(texts.map((f) => [f, (b: Buffer) => utf16(b.toString('utf8'))])));
      const a = await analyze([dir]);
      expect(a.inputs.filter((i) => i.kind === 'ignored').map((i) => i.path)).toEqual(original.inputs.filter((i) => i.kind === 'ignored').map((i) => i.path.replace(set.dir, dir)));
      expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
      expect(flowKeys(a)).toEqual(flowKeys(original));
    });
  }
});

describe('terminal escape sequences', () => {
  it('are taken out (colours, a window title), lines kept', () => {
    const coloured = '1: \x1b[36meth0: \x1b[0m<UP> mtu 1500\n\x1b]0;root@gw: ~\x07    inet \x1b[35m10.0.0.1\x1b[0m/24\n';
    expect(decodeText(Buffer.from(coloured))).toBe('1: eth0: <UP> mtu 1500\n    inet 10.0.0.1/24\n');
  });
});
