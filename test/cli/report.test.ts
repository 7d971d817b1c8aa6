import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runReport } from '../../src/cli/report-command.js';
import { EXIT } from '../../src/cli/run-action.js';
import { isInputError } from '../../src/model/errors.js';
import { FIELD } from '../present/report-fixtures.js';
import { HAVE_TSHARK, tsharkFields } from '../support/tshark.js';

let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const tmp = (): string => mkdtempSync(join(tmpdir(), 'natlens-report-'));

describe('natlens report: usage', () => {
  it('needs at least one output', async () => {
    const e = await runReport(['x'], {}).catch((x: unknown) => x);
    expect(isInputError(e) && e.code === 'usage').toBe(true);
  });

  it('refuses to write a report over one of its inputs, or two outputs to one file', async () => {
    const d = tmp();
    const e1 = await runReport([join(d, 'eth0.pcap')], { html: join(d, 'eth0.pcap') }).catch((x: unknown) => x);
    expect(isInputError(e1) && e1.code === 'usage' && e1.file === join(d, 'eth0.pcap')).toBe(true);
    const e2 = await runReport([d], { html: join(d, 'r'), markdown: join(d, 'r') }).catch((x: unknown) => x);
    expect(isInputError(e2) && e2.code === 'usage').toBe(true);
  });
});

const SAMPLES = new URL('../../samples', import.meta.url).pathname;

describe('natlens report on the lab samples', () => {
  it('seed-incident: exit 1, writes all three files and says where', async () => {
    const d = tmp();
    const [md, html, ev] = [join(d, 'r.md'), join(d, 'r.html'), join(d, 'e.pcapng')];
    const code = await runReport([`${SAMPLES}/seed-incident`], { markdown: md, html, evidence: ev });
    expect(code).toBe(EXIT.PACKETS_STOP);
    expect(out).toContain(`wrote Markdown report  ${md}`);
    expect(out).toContain(`wrote HTML report      ${html}`);
    expect(out).toMatch(new RegExp(`wrote evidence pcapng  ${ev.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ packets, with comments\\)`));
    expect(readFileSync(md, 'utf8')).toContain('`ip-forward-disabled`');
    expect(readFileSync(html, 'utf8')).toContain('<!DOCTYPE html>');
    expect(statSync(ev).size).toBeGreaterThan(0);
    if (HAVE_TSHARK) {
      const rows = tsharkFields(ev, ['frame.interface_name', 'frame.comment']);
      const n = Number(/\((\d+) packets/.exec(out)![1]);
      expect(rows).toHaveLength(n);
      for (const r of rows) expect(r[1]).toMatch(/^natlens f\d+ /);
    }
  });

  it('healthy: exit 0 with only the Markdown report', async () => {
    const d = tmp();
    const code = await runReport([`${SAMPLES}/healthy`], { markdown: join(d, 'r.md') });
    expect(code).toBe(EXIT.OK);
    expect(existsSync(join(d, 'r.html'))).toBe(false);
    expect(readFileSync(join(d, 'r.md'), 'utf8')).toContain('No finding');
  });

  it('pcapng captures with their own interface names (mtu-exceeded): the evidence keeps those names', async () => {
    const d = tmp();
    const ev = join(d, 'e.pcapng');
    await runReport([`${SAMPLES}/mtu-exceeded`], { evidence: ev, inside: 'lan1', outside: 'wan9' });
    if (HAVE_TSHARK) {
      const names = new Set(tsharkFields(ev, ['frame.interface_name']).map((r) => r[0]));
      expect([...names].every((n) => n === 'lan1' || n === 'wan9')).toBe(true);
      expect(names.has('lan1')).toBe(true);
    }
  });
});

describe.skipIf(!existsSync(`${FIELD}/ip-forward-off-any`))('natlens report on the field -i any bundle', () => {
  it('the evidence keeps both interfaces of the one LINUX_SLL2 file', async () => {
    const d = tmp();
    const ev = join(d, 'e.pcapng');
    await runReport([`${FIELD}/ip-forward-off-any`], { evidence: ev });
    if (HAVE_TSHARK) expect(new Set(tsharkFields(ev, ['frame.interface_name']).map((r) => r[0]))).toEqual(new Set(['eth0', 'net1']));
  });
});
