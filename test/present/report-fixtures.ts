/**
 * The hand-checked Analysis fixtures (test/fixtures/analysis/*.json) are consistent with the field
 * bundles: real frame numbers, rule lines, counters and sysctl lines. File paths in them start with
 * `BUNDLE/`; `loadFixture` points them at a directory (the real bundle when a test re-reads captures,
 * any fixed path when it only renders).
 */
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import type { Analysis } from '../../src/model/analysis.js';

export const FIELD = process.env.NATLENS_FIELD ?? '/work/shared/field';
export const HAVE_FIELD = existsSync(`${FIELD}/ip-forward-off/eth0.pcap`) && existsSync(`${FIELD}/healthy/eth0.pcap`);

export function loadFixture(name: 'ip-forward-off' | 'healthy', bundleDir: string): Analysis {
  const text = readFileSync(new URL(`../fixtures/analysis/${name}.json`, import.meta.url), 'utf8');
  return JSON.parse(text.replaceAll('BUNDLE/', `${bundleDir.replace(/\/$/, '')}/`)) as Analysis;
}

/** A deep copy that tests may change freely. */
export function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

export const FIXED_NOW = new Date('2026-11-26T12:00:00Z');
