/**
 * Every capture the oracle tests read: each one in ../shared/field (found by content, not by name:
 * `healthy-pcapng/*.pcap` are pcapng files) and our generated ones, written to a temp dir.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sniffCaptureFormat } from '../../src/ingest/sniff-capture-format.js';
import { generatedCaptures } from './generated-captures.js';

export const FIELD_DIR = resolve(import.meta.dirname, '../../../shared/field');

export interface CaptureUnderTest {
  readonly path: string;
  readonly format: string;
  /** Sibling ip-addr.json when the bundle has one (names for SLL2 interface indexes). */
  readonly ipAddrJson: string | null;
}

function fieldCaptures(): CaptureUnderTest[] {
  let dirs: string[];
  try {
    dirs = readdirSync(FIELD_DIR).sort();
  } catch {
    return [];
  }
  const out: CaptureUnderTest[] = [];
  for (const d of dirs) {
    const dir = join(FIELD_DIR, d);
    if (!statSync(dir).isDirectory()) continue;
    const names = readdirSync(dir).sort();
    for (const n of names) {
      const p = join(dir, n);
      const head = readFileSync(p).subarray(0, 12);
      const format = sniffCaptureFormat(head);
      if (format !== null) out.push({ path: p, format, ipAddrJson: names.includes('ip-addr.json') ? join(dir, 'ip-addr.json') : null });
    }
  }
  return out;
}

let generatedDir: string | null = null;
function writtenGenerated(): CaptureUnderTest[] {
  generatedDir ??= mkdtempSync(join(tmpdir(), 'natlens-generated-'));
  return generatedCaptures().map((g) => {
    const p = join(generatedDir!, g.name);
    writeFileSync(p, g.bytes);
    return { path: p, format: sniffCaptureFormat(g.bytes)!, ipAddrJson: null };
  });
}

export function capturesUnderTest(): CaptureUnderTest[] {
  return [...fieldCaptures(), ...writtenGenerated()];
}

/** Classic microsecond pcaps, the only kind pcap-parser reads. */
export function classicMicroCaptures(): CaptureUnderTest[] {
  return capturesUnderTest().filter((c) => c.format === 'pcap');
}
