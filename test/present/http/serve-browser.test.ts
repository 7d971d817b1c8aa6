import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/present/http/server.js';
import { threadJobRunner } from '../../../src/present/http/thread-job-runner.js';
import { fakeRunner, removeDir, tempDir } from './serve-helpers.js';
import { makeTar } from './tar-fixture.js';

/**
 * The page at / in a real browser: Debian's chromium driven by playwright-core (no browser download). Uploads a
 * bundle tarball through the file input, watches the list reach done, and opens the report link.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const workerUrl = new URL('dist/present/http/analysis-worker.js', `file://${repo}`);
const field = path.resolve(repo, '../shared/field');
const ready = existsSync(CHROMIUM) && existsSync(fileURLToPath(workerUrl)) && existsSync(path.join(field, 'ip-forward-off'));

describe.skipIf(!ready)('natlens serve page in Chromium', () => {
  let browser: Browser;
  let srv: RunningServer;
  let work: string;
  let dataDir: string;
  let bundle: string;
  beforeAll(async () => {
    work = await tempDir('natlens-browser-');
    dataDir = path.join(work, 'data');
    bundle = path.join(work, 'ip-forward-off.tar.gz');
    await createTar({ gzip: true, file: bundle, cwd: field }, ['ip-forward-off']);
    srv = await startServer({ dataDir, host: '127.0.0.1', port: 0, token: null, maxUploadBytes: 64 << 20, workers: 1, runner: threadJobRunner({ workerUrl }) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await removeDir(work);
  });

  it('uploads a bundle through the form, shows it done, and the report link opens the report', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${srv.url}/`);
    await page.waitForSelector('#analyses td.empty:has-text("No analyses yet.")');
    expect(await page.isDisabled('#upload')).toBe(true);

    await page.setInputFiles('#files', bundle);
    expect(await page.textContent('#chosen')).toContain('ip-forward-off.tar.gz');
    await page.click('#upload');
    await page.waitForSelector('#message:not(:has-text("Uploading"))');
    expect(await page.textContent('#message')).toMatch(/^Uploaded: analysis [0-9a-f]{20} is queued\.$/);
    const row = page.locator('#analyses tr[data-status="done"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td.status').textContent()).toBe('done');
    expect(await row.locator('td.result').textContent()).toMatch(/IP forwarding is disabled/i);
    expect(await row.locator('td.files').textContent()).toMatch(/ip-forward-off\.tar\.gz \(\d+ files\)/);

    const [report] = await Promise.all([page.waitForEvent('popup'), row.locator('a.report-html').click()]);
    await report.waitForLoadState();
    expect(report.url()).toMatch(/\/api\/analyses\/[0-9a-f]{20}\/report\.html$/);
    expect(await report.textContent('body')).toContain('ip-forward-disabled');
    await report.close();

    const evidenceHref = await row.locator('a.evidence').getAttribute('href');
    const ev = await page.request.get(`${srv.url}${evidenceHref}`);
    expect(ev.status()).toBe(200);
    expect((await ev.body()).readUInt32LE(0)).toBe(0x0a0d0d0a);

    // For a person to look at: the page after the run.
    writeFileSync(path.join(tmpdir(), 'natlens-serve-page.png'), await page.screenshot({ fullPage: true }));
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('takes files by drag and drop, and shows hostile names as text', async () => {
    const page = await browser.newPage();
    await page.goto(`${srv.url}/`);
    // A tarball whose entry name is markup: the server refuses it and the page shows the message as text.
    const evil = makeTar([{ path: '<img src=x onerror="window.__xss=1">/../../x', data: 'x' }]);
    await page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'evil.tar'));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [...evil]);
    expect(await page.textContent('#chosen')).toContain('evil.tar');
    await page.click('#upload');
    await page.waitForSelector('#message.error');
    expect(await page.textContent('#message')).toMatch(/^Upload refused \(422\): evil\.tar: entry "<img src=x onerror=/);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#message img').count()).toBe(0);
    await page.close();
  }, 30_000);
  it('asks for the token when the service has one, then lists, uploads and downloads with it', async () => {
    const tokenData = path.join(work, 'token-data');
    const guarded = await startServer({ dataDir: tokenData, host: '127.0.0.1', port: 0, token: 'tok-123', maxUploadBytes: 1 << 20, workers: 1, runner: fakeRunner });
    try {
      const page = await browser.newPage();
      await page.goto(`${guarded.url}/`);
      await page.waitForSelector('#analyses td.empty:has-text("Enter the API token")');
      expect(await page.isVisible('#token')).toBe(true);
      await page.fill('#token', 'tok-123');
      await page.dispatchEvent('#token', 'change');
      await page.waitForSelector('#analyses td.empty:has-text("No analyses yet.")');
      await page.setInputFiles('#files', { name: 'eth0.pcap', mimeType: 'application/octet-stream', buffer: Buffer.from('PCAP') });
      await page.click('#upload');
      const row = page.locator('#analyses tr[data-status="done"]');
      await row.waitFor({ timeout: 15_000 });
      // A plain link cannot carry the header: the page fetches with it and hands the file over as a download.
      const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.report-md').click()]);
      const saved = path.join(work, 'report-from-page.md');
      await download.saveAs(saved);
      expect(readFileSync(saved, 'utf8')).toBe('# report\n\neth0.pcap\n');
      await page.close();
    } finally {
      await guarded.close();
    }
  }, 30_000);
});
