import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../../src/index.js';
import { exportReports, reportTargets } from '../../../src/present/tui/export-reports.js';
import { readSavedAnalysis } from '../../../src/present/tui/load-analysis.js';
import { InputError } from '../../../src/model/errors.js';

const FIELD = '/work/shared/field/ip-forward-off';
const field = existsSync(FIELD) ? FIELD : join(process.cwd(), 'samples', 'seed-incident');

describe('report targets', () => {
  it('puts the reports beside a bundle folder, named after it, and in the cwd for loose files', () => {
    const root = mkdtempSync(join(tmpdir(), 'natlens-tui-'));
    try {
      cpSync(field, join(root, 'incident-42'), { recursive: true });
      expect(reportTargets(['incident-42'], root)).toEqual({
        html: join(root, 'incident-42.natlens.html'),
        markdown: join(root, 'incident-42.natlens.md'),
        evidence: join(root, 'incident-42.evidence.pcapng'),
      });
      expect(reportTargets([join(root, 'incident-42', 'eth0.pcap')], '/somewhere').html).toBe('/somewhere/natlens.natlens.html');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!existsSync(field))('export on a real bundle', () => {
  it('writes HTML, Markdown and a pcapng evidence file beside the bundle, never into it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'natlens-tui-'));
    try {
      const bundle = join(root, 'incident-42');
      cpSync(field, bundle, { recursive: true });
      const before = readdirSync(bundle).sort();
      const a = await analyze([bundle]);
      const wrote = await exportReports(a, [bundle], root);
      expect(wrote).toEqual([join(root, 'incident-42.natlens.html'), join(root, 'incident-42.natlens.md'), join(root, 'incident-42.evidence.pcapng')]);
      expect(readFileSync(wrote[0]!, 'utf8')).toMatch(/^<!doctype html>/i);
      expect(readFileSync(wrote[1]!, 'utf8')).toContain(a.findings[0]!.check);
      // pcapng Section Header Block magic (draft-ietf-opsawg-pcapng §4.1).
      expect(readFileSync(wrote[2]!).readUInt32LE(0)).toBe(0x0a0d0d0a);
      expect(readdirSync(bundle).sort()).toEqual(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('saved analysis', () => {
  it('opens a natlens analysis JSON, leaves other JSON (ip -j addr) to the analysis, rejects a broken one', () => {
    const root = mkdtempSync(join(tmpdir(), 'natlens-tui-'));
    try {
      const fx = join(process.cwd(), 'test/fixtures/tui/ip-forward-off.analysis.json');
      expect(readSavedAnalysis([fx])?.findings[0]?.check).toBe('ip-forward-disabled');
      expect(readSavedAnalysis([join(field, 'ip-addr.json')])).toBeNull();
      expect(readSavedAnalysis([field])).toBeNull();
      const broken = join(root, 'a.json');
      const { flows: _dropped, ...rest } = JSON.parse(readFileSync(fx, 'utf8')) as Record<string, unknown>;
      writeFileSync(broken, JSON.stringify(rest));
      expect(() => readSavedAnalysis([broken])).toThrow(InputError);
      // Saved by Windows PowerShell 5.1 (`natlens analyze --format json > a.json`): UTF-16LE with a BOM.
      const powershell = join(root, 'ps.json');
      writeFileSync(powershell, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(fx, 'utf8').replace(/\n/g, '\r\n'), 'utf16le')]));
      expect(readSavedAnalysis([powershell])?.findings[0]?.check).toBe('ip-forward-disabled');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
