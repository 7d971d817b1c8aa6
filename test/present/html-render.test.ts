/**
 * Open the HTML report in a real headless Chromium (Debian `chromium`): it must render without a single
 * network request beyond the file itself, without console errors, with the timeline drawn at a
 * readable size, and produce a printable PDF.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/present/html-report.js';
import { FIXED_NOW, loadFixture } from './report-fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe.skipIf(!CHROMIUM)('HTML report in headless Chromium', () => {
  it('renders offline: no request but the file, no console error, timeline visible, prints to PDF', async () => {
    const { chromium } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'natlens-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(loadFixture('ip-forward-off', '/bundle/ip-forward-off'), { now: FIXED_NOW }));
    const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(errors).toEqual([]);
      const box = await page.locator('svg.timeline').boundingBox();
      expect(box!.width).toBeGreaterThan(800);
      expect(box!.height).toBeGreaterThan(150);
      expect(await page.locator('h1').innerText()).toBe('Packets stop at the NAT gateway');
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4' });
      expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    } finally {
      await browser.close();
    }
  });
});
