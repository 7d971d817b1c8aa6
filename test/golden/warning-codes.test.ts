/**
 * Every warning code the source can emit is documented in docs/warnings.md (the codes are part of the output
 * contract), and the page lists none the source no longer emits.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/field.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Codes written as `code: '…'` in a warning or failure object, and the one sniff.ts hands on as `unsimulated`. */
function emittedCodes(): Set<string> {
  const codes = new Set<string>();
  for (const f of sources(join(REPO, 'src'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\bcode: '([a-z0-9-]+)'/g)) codes.add(m[1]!);
    for (const m of text.matchAll(/\bunsimulated(?:\?)?: '([a-z0-9-]+)'/g)) codes.add(m[1]!);
  }
  return codes;
}

describe('docs/warnings.md', () => {
  const page = readFileSync(join(REPO, 'docs/warnings.md'), 'utf8');
  const documented = new Set([...page.matchAll(/^\| (`[a-z0-9-]+`(?:, `[a-z0-9-]+`)*) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z0-9-]+)`/g)].map((x) => x[1]!)));
  const served = ['io', 'internal', 'crashed'];

  it('documents every code the source emits', () => {
    const missing = [...emittedCodes()].filter((c) => !documented.has(c) && !(served.includes(c) && page.includes(`\`${c}\``)));
    expect(missing).toEqual([]);
  });

  it('lists no code the source does not emit', () => {
    const emitted = emittedCodes();
    expect([...documented].filter((c) => !emitted.has(c))).toEqual([]);
  });
});
