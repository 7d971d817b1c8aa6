import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Analysis } from '../../../src/model/analysis.js';

/** Hand-made analyses of the field captures (frame numbers and rule lines as in the real files). */
export function fixture(name: 'ip-forward-off' | 'delivered-and-partial'): Analysis {
  const p = fileURLToPath(new URL(`../../fixtures/tui/${name}.analysis.json`, import.meta.url));
  return JSON.parse(readFileSync(p, 'utf8')) as Analysis;
}

/** Let ink render (it throttles frames) before looking at the last one. */
export const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

export const KEY = { enter: '\r', tab: '\t', esc: '\x1b', down: '\x1b[B', up: '\x1b[A', backspace: '\x7f' } as const;
