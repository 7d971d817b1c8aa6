/**
 * A report's headline says what was found: packets stop, packets pass — or, when there were flows but none
 * could be judged (the outside not captured), that they could not be followed, never "they pass".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { renderHtml } from '../../src/present/html-report.js';
import { renderMarkdown } from '../../src/present/markdown-report.js';
import { headline } from '../../src/present/report-facts.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-headline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = (n: string) => fieldSets().find((s) => s.name === n);

describe.skipIf(!set('healthy') || !set('ip-forward-off'))('report headline on real field sets', () => {
  it('pass, stop, and not followed', async () => {
    expect(headline(await analyze([set('healthy')!.dir]))).toMatchObject({ kind: 'ok', badge: 'OK' });
    expect(headline(await analyze([set('ip-forward-off')!.dir]))).toMatchObject({ kind: 'stop', badge: 'PACKETS STOP' });
    const a = await analyze([editedBundle(set('healthy')!.dir, join(tmp, 'inside-only'), { 'net1.pcap': null })]);
    expect(headline(a)).toMatchObject({ kind: 'unjudged', badge: 'NOT JUDGED' });
    expect(renderMarkdown(a).split('\n')[0]).toBe('# Postmortem: packets could not be followed through the NAT gateway');
    const html = renderHtml(a);
    expect(html).toContain('<h1>Packets could not be followed through the NAT gateway</h1>');
    expect(html).toContain('<span class="badge unjudged">NOT JUDGED</span>');
    expect(html).not.toContain('Packets pass');
  });
});
