/**
 * The `e` key: the HTML and Markdown reports and the evidence pcapng, written next to the bundle.
 * For a bundle folder `/x/incident-42/` that is `/x/incident-42.natlens.html` etc. — beside it, not in
 * it: an evidence pcapng inside the bundle would be read as one more capture by the next analysis.
 * For loose files (or when the parent folder is not writable) the current directory is used.
 */
import { writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Analysis } from '../../model/analysis.js';
import { renderHtml } from '../html-report.js';
import { renderMarkdown } from '../markdown-report.js';
import { writeEvidencePcapng } from '../evidence-pcapng.js';

export interface ReportTargets {
  readonly html: string;
  readonly markdown: string;
  readonly evidence: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function reportTargets(inputs: readonly string[], cwd: string): ReportTargets {
  const only = inputs.length === 1 ? resolve(cwd, inputs[0]!) : null;
  const bundle = only !== null && isDir(only) ? only : null;
  const dir = bundle ? dirname(bundle) : cwd;
  const stem = bundle ? basename(bundle) : 'natlens';
  return targetsIn(dir, stem);
}

function targetsIn(dir: string, stem: string): ReportTargets {
  return { html: join(dir, `${stem}.natlens.html`), markdown: join(dir, `${stem}.natlens.md`), evidence: join(dir, `${stem}.evidence.pcapng`) };
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

async function writeAll(a: Analysis, t: ReportTargets): Promise<string[]> {
  const now = new Date();
  await writeFile(t.html, renderHtml(a, { now }));
  await writeFile(t.markdown, renderMarkdown(a, { now }));
  await writeEvidencePcapng(a, t.evidence);
  return [t.html, t.markdown, t.evidence];
}

export async function exportReports(a: Analysis, inputs: readonly string[], cwd: string = process.cwd()): Promise<string[]> {
  const t = reportTargets(inputs, cwd);
  try {
    return await writeAll(a, t);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    const fallback = targetsIn(cwd, basename(t.html).replace(/\.natlens\.html$/, ''));
    if (code && NOT_WRITABLE.has(code) && fallback.html !== t.html) return writeAll(a, fallback);
    throw e;
  }
}
